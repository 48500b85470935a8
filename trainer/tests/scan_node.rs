//! The kernel's libtorch autograd node against autograd through the pure-tensor reference.

use seq2exp_trainer::scan::{selective_scan, selective_scan_reference, ScanArgs};
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
    }
}

fn args(c: &Case) -> ScanArgs<'_> {
    ScanArgs { u: &c.u, delta: &c.delta, a_log: &c.a_log, b: &c.b, c: &c.c, d_skip: Some(&c.d), z: Some(&c.z), delta_bias: Some(&c.bias), delta_softplus: true }
}

fn leaves(c: &Case) -> [(&'static str, &Tensor); 8] {
    [("u", &c.u), ("delta", &c.delta), ("a_log", &c.a_log), ("b", &c.b), ("c", &c.c), ("d", &c.d), ("z", &c.z), ("bias", &c.bias)]
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

fn compare(bsz: i64, dim: i64, len: i64, n: i64) {
    let c = case(bsz, dim, len, n, Kind::Float, 7 + len);
    let w = Tensor::randn([bsz, dim, len], (Kind::Float, Device::Cpu));
    let grads = |y: Tensor| -> Vec<Tensor> {
        let l = loss(&y, &c, &w);
        let ts: Vec<&Tensor> = leaves(&c).iter().map(|(_, t)| *t).collect();
        Tensor::run_backward(&[l], &ts, false, false)
    };
    let y_ref = selective_scan_reference(&args(&c));
    let y = selective_scan(&args(&c)).unwrap();
    assert!(rel_err(&y, &y_ref) < 1e-4, "y: L={len} err {}", rel_err(&y, &y_ref));
    let g_ref = grads(y_ref);
    let g = grads(y);
    for ((name, _), (a, b)) in leaves(&c).iter().zip(g.iter().zip(&g_ref)) {
        let e = rel_err(a, b);
        assert!(e < 1e-4, "d{name}: B={bsz} D={dim} L={len} N={n}: rel err {e}");
    }
}

#[test]
fn node_matches_reference_values_and_every_gradient() {
    for &(bsz, dim, n) in &[(1, 3, 4), (2, 5, 16), (1, 8, 5)] {
        for len in [1, 7, 64, 255, 256, 257, 1000] {
            compare(bsz, dim, len, n);
        }
    }
}

#[test]
fn node_runs_in_f64_and_without_optional_inputs() {
    let c = case(1, 4, 33, 3, Kind::Double, 3);
    let a = ScanArgs { d_skip: None, z: None, delta_bias: None, delta_softplus: false, ..args(&c) };
    let delta_pos = c.delta.exp(); // without softplus δ must be positive
    let a = ScanArgs { delta: &delta_pos, ..a };
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
fn no_grad_forward_keeps_no_checkpoints_but_matches() {
    let c = case(1, 4, 40, 4, Kind::Float, 5);
    let y_grad = selective_scan(&args(&c)).unwrap();
    let y = tch::no_grad(|| selective_scan(&args(&c)).unwrap());
    assert!(!y.requires_grad());
    assert_eq!(rel_err(&y, &y_grad), 0.0);
}
