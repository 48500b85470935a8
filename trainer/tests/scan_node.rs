//! The kernel's libtorch autograd node against autograd through the pure-tensor reference.

use seq2exp_trainer::scan::{selective_scan, selective_scan_reference, DeltaArg, ScanArgs};
use tch::{Device, Kind, Tensor};

struct Case {
    u: Tensor,
    delta: Tensor,
    a_log: Tensor,
    b: Tensor,
    c: Tensor,
    d: Tensor,
    z: Tensor,
    bias: Tensor,
    /// The low-rank form of δ (R = 3): `[B, R, L]` and `[D, R]`.
    low: Tensor,
    weight: Tensor,
}

fn case(bsz: i64, dim: i64, len: i64, n: i64, kind: Kind, seed: i64) -> Case {
    tch::manual_seed(seed);
    let o = (kind, Device::Cpu);
    let leaf = |t: Tensor| t.set_requires_grad(true);
    Case {
        u: leaf(Tensor::randn([bsz, dim, len], o)),
        // pre-softplus δ from −9 to 2.3 → softplus spans ~1e-4 .. 10
        delta: leaf(Tensor::rand([bsz, dim, len], o) * 11.3 - 9.0),
        a_log: leaf((Tensor::rand([dim, n], o) * 3.0).log1p()),
        b: leaf(Tensor::randn([bsz, len, n], o)),
        c: leaf(Tensor::randn([bsz, len, n], o)),
        d: leaf(Tensor::randn([dim], o)),
        z: leaf(Tensor::randn([bsz, dim, len], o)),
        bias: leaf(Tensor::randn([dim], o) * 0.5),
        // Row 0 with weight ≈ 1 carries the δ range above; rows 1, 2 add channel-dependent terms.
        low: leaf(Tensor::cat(
            &[Tensor::rand([bsz, 1, len], o) * 11.3 - 9.0, Tensor::randn([bsz, 2, len], o) * 0.5],
            1,
        )),
        weight: leaf(Tensor::cat(&[Tensor::rand([dim, 1], o) * 0.4 + 0.8, Tensor::randn([dim, 2], o) * 0.2], 1)),
    }
}

fn args(c: &Case) -> ScanArgs<'_> {
    ScanArgs {
        u: &c.u,
        delta: DeltaArg::Full(&c.delta),
        a_log: &c.a_log,
        b: &c.b,
        c: &c.c,
        d_skip: Some(&c.d),
        z: Some(&c.z),
        delta_bias: Some(&c.bias),
        delta_softplus: true,
    }
}

fn args_low(c: &Case) -> ScanArgs<'_> {
    ScanArgs { delta: DeltaArg::LowRank { low: &c.low, weight: &c.weight }, ..args(c) }
}

/// The inputs that get gradients, with δ in the requested form.
fn leaves(c: &Case, low_rank: bool) -> Vec<(&'static str, &Tensor)> {
    let delta =
        if low_rank { vec![("delta_low", &c.low), ("dt_weight", &c.weight)] } else { vec![("delta", &c.delta)] };
    let rest =
        [("u", &c.u), ("a_log", &c.a_log), ("b", &c.b), ("c", &c.c), ("d", &c.d), ("z", &c.z), ("bias", &c.bias)];
    delta.into_iter().chain(rest).collect()
}

/// max |a − b| / (max |b| + tiny): relative to the tensor's scale, so near-zero entries don't dominate.
fn rel_err(a: &Tensor, b: &Tensor) -> f64 {
    let diff = (a - b).abs().max().double_value(&[]);
    diff / (b.abs().max().double_value(&[]) + 1e-12)
}

/// A small graph around the scan: the loss also depends on the inputs through other ops.
fn loss(y: &Tensor, c: &Case, w: &Tensor) -> Tensor {
    (y.tanh() * w).sum(Kind::Double) + (&c.u * 0.1).sin().sum(Kind::Double)
}

fn compare(bsz: i64, dim: i64, len: i64, n: i64, low_rank: bool) {
    let c = case(bsz, dim, len, n, Kind::Float, 7 + len);
    let w = Tensor::randn([bsz, dim, len], (Kind::Float, Device::Cpu));
    let leaves = leaves(&c, low_rank);
    let grads = |y: Tensor| -> Vec<Tensor> {
        let l = loss(&y, &c, &w);
        let ts: Vec<&Tensor> = leaves.iter().map(|(_, t)| *t).collect();
        Tensor::run_backward(&[l], &ts, false, false)
    };
    let a = if low_rank { args_low(&c) } else { args(&c) };
    let y_ref = selective_scan_reference(&a);
    let y = selective_scan(&a).unwrap();
    assert!(rel_err(&y, &y_ref) < 1e-4, "y: L={len} low-rank {low_rank} err {}", rel_err(&y, &y_ref));
    let g_ref = grads(y_ref);
    let g = grads(y);
    assert_eq!(g.len(), leaves.len());
    for ((name, _), (a, b)) in leaves.iter().zip(g.iter().zip(&g_ref)) {
        let e = rel_err(a, b);
        assert!(e < 1e-4, "d{name}: B={bsz} D={dim} L={len} N={n}: rel err {e}");
    }
}

#[test]
fn node_matches_reference_values_and_every_gradient() {
    for &(bsz, dim, n) in &[(1, 3, 4), (2, 5, 16), (1, 8, 5)] {
        for len in [1, 7, 64, 255, 256, 257, 1000] {
            compare(bsz, dim, len, n, false);
        }
    }
}

/// The same with δ as delta_low [B, 3, L] and dt_weight [D, 3]; D = 20 spans two of the kernel's
/// channel blocks, so d delta_low sums across blocks.
#[test]
fn node_matches_reference_with_low_rank_delta() {
    for &(bsz, dim, n) in &[(1, 3, 4), (2, 5, 16), (1, 20, 5)] {
        for len in [1, 7, 64, 255, 256, 257, 1000] {
            compare(bsz, dim, len, n, true);
        }
    }
}

#[test]
fn node_runs_in_f64_and_without_optional_inputs() {
    let c = case(1, 4, 33, 3, Kind::Double, 3);
    let a = ScanArgs { d_skip: None, z: None, delta_bias: None, delta_softplus: false, ..args(&c) };
    let delta_pos = c.delta.exp(); // without softplus δ must be positive
    let a = ScanArgs { delta: DeltaArg::Full(&delta_pos), ..a };
    let y = selective_scan(&a).unwrap();
    assert_eq!(y.kind(), Kind::Double);
    assert!(rel_err(&y, &selective_scan_reference(&a)) < 1e-12);
}

#[test]
fn node_runs_low_rank_in_f64() {
    let c = case(2, 4, 33, 3, Kind::Double, 4);
    let a = args_low(&c);
    let y = selective_scan(&a).unwrap();
    assert_eq!(y.kind(), Kind::Double);
    assert!(rel_err(&y, &selective_scan_reference(&a)) < 1e-12);
}

#[test]
fn bad_shapes_are_errors_not_crashes() {
    let c = case(1, 4, 10, 3, Kind::Float, 1);
    let short_b = c.b.narrow(1, 0, 5);
    let err = selective_scan(&ScanArgs { b: &short_b, ..args(&c) }).unwrap_err().to_string();
    assert!(err.contains("selective scan"), "{err}");
}

#[test]
fn bad_low_rank_shapes_are_errors_not_crashes() {
    let c = case(1, 4, 10, 3, Kind::Float, 1);
    let low_r2 = c.low.narrow(1, 0, 2); // R = 2 against a weight of R = 3
    let low_l9 = c.low.narrow(2, 0, 9);
    let w_d3 = c.weight.narrow(0, 0, 3);
    let w_1d = c.weight.select(1, 0);
    let empty = Tensor::zeros([0], (Kind::Float, Device::Cpu));
    let bad = [
        (DeltaArg::LowRank { low: &low_r2, weight: &c.weight }, "delta_low must be"),
        (DeltaArg::LowRank { low: &low_l9, weight: &c.weight }, "delta_low must be"),
        (DeltaArg::LowRank { low: &c.low, weight: &w_d3 }, "dt_weight must be"),
        (DeltaArg::LowRank { low: &c.low, weight: &w_1d }, "dt_weight must be"),
        (DeltaArg::LowRank { low: &empty, weight: &empty }, "dt_weight must be"),
        (DeltaArg::Full(&empty), "dt_weight must be"), // no δ at all
    ];
    for (delta, want) in bad {
        let err = selective_scan(&ScanArgs { delta, ..args(&c) }).unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn no_grad_forward_keeps_no_checkpoints_but_matches() {
    let c = case(1, 4, 40, 4, Kind::Float, 5);
    for a in [args(&c), args_low(&c)] {
        let y_grad = selective_scan(&a).unwrap();
        let y = tch::no_grad(|| selective_scan(&a).unwrap());
        assert!(y_grad.requires_grad());
        assert!(!y.requires_grad());
        assert_eq!(rel_err(&y, &y_grad), 0.0);
    }
}
