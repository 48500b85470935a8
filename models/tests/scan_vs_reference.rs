//! The kernel (f32 on every instruction set this CPU has, and f64) against the plain f64
//! reference: y, the checkpoints and every gradient, on random inputs.
//!
//! Tolerance: elementwise, |kernel − reference| ≤ 1e-4 · (|reference| + 0.1·rms(reference tensor))
//! for f32 (the rms term is a small absolute floor for elements near 0, where f32 cancellation
//! dominates), and 1e-10 for the f64 kernel.

mod common;

use common::{assert_close, random_vec, to_f64, Case, Opts, BARE, FULL, NO_SOFTPLUS};
use seq2exp_models::scan::{reference, Isa, ScanDims, DEFAULT_CHUNK};

const RTOL_F32: f64 = 1e-4;
const RTOL_F64: f64 = 1e-10;

struct Config {
    b: usize,
    d: usize,
    l: usize,
    n: usize,
    chunk: usize,
    opts: Opts,
    /// R of a low-rank δ; `None` for the full `[B, D, L]` δ.
    rank: Option<usize>,
}

const fn cfg(b: usize, d: usize, l: usize, n: usize, chunk: usize, opts: Opts) -> Config {
    Config { b, d, l, n, chunk, opts, rank: None }
}

/// The same with a low-rank δ of rank `r`.
const fn low(r: usize, c: Config) -> Config {
    Config { rank: Some(r), ..c }
}

/// Compare one case on every ISA, f32 and f64; returns the worst f32 error ratio seen.
fn check_case(c: &Config, seed: u64) -> f64 {
    let dims = ScanDims::new(c.b, c.d, c.l, c.n);
    let case = match c.rank {
        Some(r) => Case::random_low_rank(dims, c.opts, r, seed),
        None => Case::random(dims, c.opts, seed),
    };
    let dy = random_vec(case.u.len(), seed ^ 0x5eed);
    let fwd = reference::forward(dims, &case.inputs()).unwrap();
    let want_ck = fwd.checkpoints(dims, c.chunk);
    let want_g = reference::backward(dims, &case.inputs(), &dy).unwrap();
    let case32 = case.to_f32();
    let dy32: Vec<f32> = dy.iter().map(|&x| x as f32).collect();
    let mut worst: f64 = 0.0;
    for isa in Isa::available() {
        let tag = format!("{isa:?} B{} D{} L{} N{} T{} R{:?} {:?}", c.b, c.d, c.l, c.n, c.chunk, c.rank, c.opts);
        let (y, ck) = case32.forward(c.chunk, isa);
        worst = worst.max(assert_close(&format!("y f32 {tag}"), &to_f64(&y), &fwd.y, RTOL_F32));
        worst = worst.max(assert_close(&format!("ckpt f32 {tag}"), &to_f64(&ck), &want_ck, RTOL_F32));
        let g = case32.backward(c.chunk, isa, &dy32);
        let want = common::Grads::from_ref(want_g.clone(), case.z.is_some(), c.rank.is_some());
        assert_eq!(g.named().len(), want.named().len());
        for ((name, got), (_, w)) in g.named().into_iter().zip(want.named()) {
            worst = worst.max(assert_close(&format!("{name} f32 {tag}"), &got, &w, RTOL_F32));
        }
        let (y64, ck64) = case.forward(c.chunk, isa);
        assert_close(&format!("y f64 {tag}"), &y64, &fwd.y, RTOL_F64);
        assert_close(&format!("ckpt f64 {tag}"), &ck64, &want_ck, RTOL_F64);
        let g64 = case.backward(c.chunk, isa, &dy);
        for ((name, got), (_, w)) in g64.named().into_iter().zip(want.named()) {
            assert_close(&format!("{name} f64 {tag}"), &got, &w, RTOL_F64);
        }
    }
    worst
}

fn run(configs: &[Config], seed: u64) {
    let mut worst: f64 = 0.0;
    for (i, c) in configs.iter().enumerate() {
        worst = worst.max(check_case(c, seed + i as u64));
    }
    eprintln!("worst f32 error ratio: {worst:.3e} (limit {RTOL_F32:.0e})");
}

#[test]
fn lengths_1_7_64_1000() {
    run(
        &[
            cfg(1, 1, 1, 16, DEFAULT_CHUNK, FULL),
            cfg(2, 3, 1, 4, DEFAULT_CHUNK, BARE),
            cfg(2, 3, 7, 16, 4, FULL),
            cfg(1, 2, 7, 5, DEFAULT_CHUNK, NO_SOFTPLUS),
            cfg(1, 4, 64, 4, 16, FULL),
            cfg(2, 3, 64, 16, 64, BARE),
            cfg(1, 2, 64, 16, 16, NO_SOFTPLUS),
            cfg(2, 5, 1000, 5, DEFAULT_CHUNK, FULL),
            cfg(1, 3, 1000, 16, 64, BARE),
            cfg(1, 2, 1000, 16, 100, FULL),
        ],
        100,
    );
}

#[test]
fn chunk_boundaries() {
    let mut configs = Vec::new();
    for (t, n) in [(8, 16), (16, 5)] {
        for l in [t - 1, t, t + 1, 2 * t + 3] {
            configs.push(cfg(2, 2, l, n, t, FULL));
        }
    }
    configs.push(cfg(1, 2, 17, 16, 1, FULL)); // every position is a chunk
    run(&configs, 200);
}

#[test]
fn several_state_blocks_and_channel_blocks() {
    let mixed = Opts { z: true, skip: false, bias: true, softplus: true };
    run(
        &[
            cfg(2, 17, 100, 20, 32, FULL), // N = 20: two state blocks; D = 17: two channel blocks
            cfg(1, 33, 50, 32, 16, mixed),
            cfg(3, 16, 40, 1, 8, FULL),
        ],
        300,
    );
}

#[test]
fn optional_inputs_each_alone() {
    let mut configs = Vec::new();
    for (z, skip, bias) in [(true, false, false), (false, true, false), (false, false, true)] {
        configs.push(cfg(2, 3, 70, 16, 32, Opts { z, skip, bias, softplus: true }));
    }
    run(&configs, 400);
}

#[test]
fn low_rank_delta_lengths_1_7_64_1000() {
    run(
        &[
            low(8, cfg(1, 1, 1, 16, DEFAULT_CHUNK, FULL)),
            low(1, cfg(2, 3, 1, 4, DEFAULT_CHUNK, BARE)),
            low(3, cfg(2, 3, 7, 16, 4, FULL)),
            low(2, cfg(1, 2, 7, 5, DEFAULT_CHUNK, NO_SOFTPLUS)),
            low(8, cfg(1, 4, 64, 4, 16, FULL)),
            low(8, cfg(2, 3, 64, 16, 64, BARE)),
            low(4, cfg(1, 2, 64, 16, 16, NO_SOFTPLUS)),
            low(8, cfg(2, 5, 1000, 5, DEFAULT_CHUNK, FULL)),
            low(3, cfg(1, 3, 1000, 16, 64, BARE)),
            low(8, cfg(1, 2, 1000, 16, 100, FULL)),
        ],
        500,
    );
}

/// d delta_low sums over channels from several channel blocks (D = 17, 33, 40), at chunk edges.
#[test]
fn low_rank_delta_channel_blocks_and_chunk_boundaries() {
    let mut configs = vec![
        low(8, cfg(2, 17, 100, 20, 32, FULL)),
        low(5, cfg(1, 33, 50, 32, 16, FULL)),
        low(8, cfg(1, 40, 70, 16, 16, NO_SOFTPLUS)),
        low(2, cfg(3, 16, 40, 1, 8, BARE)),
        low(8, cfg(1, 2, 17, 16, 1, FULL)), // every position is a chunk
    ];
    for l in [15, 16, 17, 35] {
        configs.push(low(8, cfg(2, 18, l, 16, 16, FULL)));
    }
    run(&configs, 600);
}

/// Rank 0 is legal: δ_pre = 0, δ = softplus(bias).
#[test]
fn low_rank_delta_rank_zero() {
    run(&[low(0, cfg(2, 3, 20, 16, 8, FULL))], 700);
}
