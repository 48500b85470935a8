//! Size validation (errors, never panics), determinism, empty inputs, chunk independence.

mod common;

use common::{random_vec, Case, Grads, FULL};
use seq2exp_models::scan::{
    checkpoint_len, scan_backward, scan_backward_with, scan_forward, scan_forward_with, Delta, DeltaGrad, Isa,
    ScanDims, ScanError, ScanInputs, ScanOptions, DEFAULT_CHUNK,
};

fn small_case() -> Case<f32> {
    Case::random(ScanDims::new(2, 3, 10, 4), FULL, 1).to_f32()
}

/// The same sizes with a low-rank δ of rank 2.
fn small_low_rank_case() -> Case<f32> {
    Case::random_low_rank(ScanDims::new(2, 3, 10, 4), FULL, 2, 1).to_f32()
}

fn length_err(r: Result<(), ScanError>) -> &'static str {
    match r {
        Err(ScanError::Length { name, .. }) => name,
        other => panic!("expected a length error, got {other:?}"),
    }
}

#[test]
fn forward_rejects_every_bad_input_length() {
    let case = small_case();
    let dims = case.dims;
    let short: Vec<f32> = vec![0.0; 3];
    let mut y = vec![7.0f32; case.u.len()];
    let names = ["u", "delta", "a_log", "b", "c", "d_skip", "z", "delta_bias"];
    for name in names {
        let mut x = case.inputs();
        match name {
            "u" => x.u = &short,
            "delta" => x.delta = Delta::Full(&short),
            "a_log" => x.a_log = &short,
            "b" => x.b = &short,
            "c" => x.c = &short,
            "d_skip" => x.d_skip = Some(&short[..2]),
            "z" => x.z = Some(&short),
            _ => x.delta_bias = Some(&short[..1]),
        }
        assert_eq!(length_err(scan_forward(dims, &x, &mut y, None, 4)), name);
    }
    assert!(y.iter().all(|&v| v == 7.0), "y was written despite the error");
    let x = case.inputs();
    assert_eq!(length_err(scan_forward(dims, &x, &mut y[1..], None, 4)), "y");
    let mut ck = vec![0.0f32; checkpoint_len(dims, 4).unwrap() + 1];
    assert_eq!(length_err(scan_forward(dims, &x, &mut y, Some(&mut ck), 4)), "checkpoints");
}

#[test]
fn backward_rejects_every_bad_gradient_length() {
    let case = small_case();
    let dims = case.dims;
    let x = case.inputs();
    let ck = vec![0.0f32; checkpoint_len(dims, 4).unwrap()];
    let dy = vec![0.0f32; case.u.len()];
    let mut g = Grads::<f32>::zeros(dims, true, None);
    assert_eq!(length_err(scan_backward(dims, &x, &ck[1..], 4, &dy, &mut g.as_grads())), "checkpoints");
    assert_eq!(length_err(scan_backward(dims, &x, &ck, 4, &dy[1..], &mut g.as_grads())), "dy");
    // Checkpoints made for another chunk length do not fit.
    assert_eq!(length_err(scan_backward(dims, &x, &ck, 3, &dy, &mut g.as_grads())), "checkpoints");
    for name in ["du", "ddelta", "da_log", "db", "dc", "dd_skip", "ddelta_bias", "dz"] {
        let mut g = Grads::<f32>::zeros(dims, true, None);
        let mut gr = g.as_grads();
        let mut extra = vec![0.0f32; 1000];
        match name {
            "du" => gr.du = &mut extra,
            "ddelta" => gr.ddelta = DeltaGrad::Full(&mut extra),
            "da_log" => gr.da_log = &mut extra,
            "db" => gr.db = &mut extra,
            "dc" => gr.dc = &mut extra,
            "dd_skip" => gr.dd_skip = Some(&mut extra),
            "ddelta_bias" => gr.ddelta_bias = Some(&mut extra),
            _ => gr.dz = Some(&mut extra),
        }
        assert_eq!(length_err(scan_backward(dims, &x, &ck, 4, &dy, &mut gr)), name);
    }
}

#[test]
fn other_refusals() {
    let case = small_case();
    let dims = case.dims;
    let x = case.inputs();
    let mut y = vec![0.0f32; case.u.len()];
    assert_eq!(scan_forward(dims, &x, &mut y, None, 0), Err(ScanError::ZeroChunk));
    assert_eq!(checkpoint_len(dims, 0), Err(ScanError::ZeroChunk));
    let no_state = ScanDims { state: 0, ..dims };
    assert_eq!(scan_forward(no_state, &x, &mut y, None, 4), Err(ScanError::ZeroState));
    let huge = ScanDims::new(usize::MAX / 2, 3, 10, 4);
    assert!(matches!(scan_forward(huge, &x, &mut y, None, 4), Err(ScanError::Overflow { .. })));
    assert!(matches!(checkpoint_len(huge, 1), Err(ScanError::Overflow { .. })));
    // dz requested without z.
    let no_z = ScanInputs { z: None, ..x };
    let ck = vec![0.0f32; checkpoint_len(dims, 4).unwrap()];
    let mut g = Grads::<f32>::zeros(dims, true, None);
    let r = scan_backward(dims, &no_z, &ck, 4, &y, &mut g.as_grads());
    assert_eq!(r, Err(ScanError::MissingInput("dz")));
    for isa in [Isa::Avx2Fma, Isa::Avx512].into_iter().filter(|i| !i.is_available()) {
        let r = scan_forward_with(dims, &x, &mut y, None, &ScanOptions { chunk: 4, isa });
        assert_eq!(r, Err(ScanError::IsaUnavailable(isa)));
    }
}

#[test]
fn checkpoint_len_formula() {
    for (b, d, l, n, t) in [(1, 256, 200_000, 16, 256), (2, 3, 10, 4, 4), (1, 1, 1, 1, 9), (3, 2, 0, 5, 8)] {
        let chunks = usize::div_ceil(l, t);
        assert_eq!(checkpoint_len(ScanDims::new(b, d, l, n), t), Ok(b * d * chunks * n));
    }
}

/// Empty batch, channels or length, either form of δ: Ok, and every gradient is zero (with
/// D = 0 the low-rank d delta_low `[B, R, L]` is not empty and must still be cleared).
#[test]
fn empty_dimensions() {
    let dims_list = [ScanDims::new(0, 3, 5, 4), ScanDims::new(2, 0, 5, 4), ScanDims::new(2, 3, 0, 4)];
    for (dims, rank) in dims_list.iter().flat_map(|&d| [(d, None), (d, Some(3))]) {
        let case = match rank {
            Some(r) => Case::random_low_rank(dims, FULL, r, 2).to_f32(),
            None => Case::random(dims, FULL, 2).to_f32(),
        };
        let (y, ck) = case.forward(4, Isa::detect());
        assert!(y.is_empty());
        assert!(ck.is_empty());
        let dy = vec![0.0f32; case.u.len()];
        let mut g = Grads::<f32>::zeros(dims, true, rank);
        g.db.fill(9.0);
        g.da_log.fill(9.0);
        g.dd_skip.fill(9.0);
        g.ddelta.fill(9.0);
        g.ddelta_bias.fill(9.0);
        if let Some(w) = g.ddt_weight.as_mut() {
            w.fill(9.0);
        }
        scan_backward(dims, &case.inputs(), &ck, 4, &dy, &mut g.as_grads()).unwrap();
        for (name, v) in g.named() {
            assert!(v.iter().all(|&x| x == 0.0), "{name} not zeroed for {dims:?}");
        }
    }
}

fn run_backward_in_pool(threads: usize, case: &Case<f32>, dy: &[f32], isa: Isa) -> Grads<f32> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| case.backward(16, isa, dy))
}

#[test]
fn backward_is_bit_identical_across_runs_and_thread_counts() {
    // D = 40: three channel blocks; N = 16 and 5 (padded); several chunks; full and low-rank δ.
    let dims = |n| ScanDims::new(2, 40, 300, n);
    let cases =
        [Case::random(dims(16), FULL, 3), Case::random(dims(5), FULL, 3), Case::random_low_rank(dims(16), FULL, 8, 3)];
    for case in cases {
        let case = case.to_f32();
        let dy: Vec<f32> = random_vec(case.u.len(), 4).iter().map(|&v| v as f32).collect();
        for isa in Isa::available() {
            let first = run_backward_in_pool(1, &case, &dy, isa);
            for threads in [1, 2, 3, 4] {
                let again = run_backward_in_pool(threads, &case, &dy, isa);
                for ((name, a), (_, b)) in first.named().iter().zip(again.named()) {
                    let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{name} differs with {threads} threads on {isa:?}");
                }
            }
        }
    }
}

#[test]
fn forward_does_not_depend_on_chunk_or_checkpointing() {
    let dims = ScanDims::new(2, 5, 123, 16);
    let cases = [Case::random(dims, FULL, 5), Case::random_low_rank(dims, FULL, 8, 5)];
    for case in cases.iter().map(Case::to_f32) {
        for isa in Isa::available() {
            let (y, _) = case.forward(DEFAULT_CHUNK, isa);
            for chunk in [1, 7, 64, 1000] {
                assert_eq!(case.forward(chunk, isa).0, y, "chunk {chunk} {isa:?}");
            }
            let mut y2 = vec![0.0f32; y.len()];
            let opts = ScanOptions { chunk: 7, isa };
            scan_forward_with(case.dims, &case.inputs(), &mut y2, None, &opts).unwrap();
            assert_eq!(y2, y);
        }
    }
}

#[test]
fn chunk_longer_than_the_sequence() {
    let case = small_case();
    let dy: Vec<f32> = random_vec(case.u.len(), 7).iter().map(|&v| v as f32).collect();
    let want = case.backward(case.dims.len, Isa::detect(), &dy);
    for chunk in [case.dims.len + 1, 1 << 40, usize::MAX] {
        assert_eq!(case.forward(chunk, Isa::detect()), case.forward(case.dims.len, Isa::detect()));
        assert_eq!(case.backward(chunk, Isa::detect(), &dy), want, "chunk {chunk}");
    }
}

#[test]
fn gradients_overwrite_rather_than_accumulate() {
    for case in [small_case(), small_low_rank_case()] {
        overwrites(case);
    }
}

fn overwrites(case: Case<f32>) {
    let dy: Vec<f32> = random_vec(case.u.len(), 6).iter().map(|&v| v as f32).collect();
    let clean = case.backward(4, Isa::detect(), &dy);
    let (_, ck) = case.forward(4, Isa::detect());
    let mut dirty = Grads::<f32>::zeros(case.dims, true, case.rank());
    for v in [
        &mut dirty.du,
        &mut dirty.db,
        &mut dirty.dc,
        &mut dirty.da_log,
        &mut dirty.dd_skip,
        &mut dirty.ddelta,
        &mut dirty.ddelta_bias,
    ] {
        v.fill(123.0);
    }
    if let Some(w) = dirty.ddt_weight.as_mut() {
        w.fill(123.0);
    }
    let opts = ScanOptions::new(4);
    scan_backward_with(case.dims, &case.inputs(), &ck, &dy, &mut dirty.as_grads(), &opts).unwrap();
    assert_eq!(dirty, clean);
}

#[test]
fn low_rank_delta_bad_sizes_are_errors() {
    let case = small_low_rank_case();
    let dims = case.dims;
    let lr = case.low_rank.as_ref().unwrap();
    let mut y = vec![7.0f32; case.u.len()];
    let short = [0.0f32; 5];
    let with = |low: &'static str| {
        let mut x = case.inputs();
        let (l, w) = match low {
            "delta_low" => (&short[..], &lr.weight[..]),
            _ => (&lr.low[..], &short[..]),
        };
        x.delta = Delta::LowRank { low: l, weight: w, rank: 2 };
        x
    };
    for name in ["delta_low", "dt_weight"] {
        let x = with(name);
        assert_eq!(length_err(scan_forward(dims, &x, &mut y, None, 4)), name);
    }
    // A rank that does not match the factors.
    let mut x = case.inputs();
    x.delta = Delta::LowRank { low: &lr.low, weight: &lr.weight, rank: 3 };
    assert_eq!(length_err(scan_forward(dims, &x, &mut y, None, 4)), "delta_low");
    x.delta = Delta::LowRank { low: &lr.low, weight: &lr.weight, rank: usize::MAX / 4 };
    assert!(matches!(scan_forward(dims, &x, &mut y, None, 4), Err(ScanError::Overflow { .. })));
    assert!(y.iter().all(|&v| v == 7.0), "y was written despite the error");
}

#[test]
fn low_rank_delta_bad_gradients_are_errors() {
    let (full, low) = (small_case(), small_low_rank_case());
    let dims = low.dims;
    let ck = vec![0.0f32; checkpoint_len(dims, 4).unwrap()];
    let dy = vec![0.0f32; low.u.len()];
    for name in ["ddelta_low", "ddt_weight"] {
        let mut g = Grads::<f32>::zeros(dims, true, Some(2));
        let mut extra = vec![0.0f32; 1000];
        let mut gr = g.as_grads();
        if let DeltaGrad::LowRank { low, weight } = &mut gr.ddelta {
            match name {
                "ddelta_low" => *low = &mut extra,
                _ => *weight = &mut extra,
            }
        }
        let r = scan_backward(dims, &low.inputs(), &ck, 4, &dy, &mut gr);
        assert_eq!(length_err(r), name);
    }
    // The gradient's form must be the input's.
    let mut g = Grads::<f32>::zeros(dims, true, None);
    let r = scan_backward(dims, &low.inputs(), &ck, 4, &dy, &mut g.as_grads());
    assert_eq!(r, Err(ScanError::DeltaForm));
    let mut g = Grads::<f32>::zeros(dims, true, Some(2));
    let r = scan_backward(dims, &full.inputs(), &ck, 4, &dy, &mut g.as_grads());
    assert_eq!(r, Err(ScanError::DeltaForm));
}
