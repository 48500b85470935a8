//! The CUDA selective scan against the Rust (CPU) kernel: values and every gradient on random inputs,
//! and a tiny Seq2Exp model's forward/backward on CPU versus CUDA. Compiled only with the `cuda` feature
//! (`cargo test -p seq2exp-trainer --features cuda --test cuda_parity`); built so, every test fails
//! without a visible GPU rather than passing untested.

use seq2exp_models::config::{Preset, Seq2ExpConfig};
use seq2exp_trainer::model::{ModelInput, Pass, Seq2Exp};
use seq2exp_trainer::scan::{selective_scan, DeltaArg, ScanArgs};
use tch::{Device, Kind, Tensor};

/// The GPU to test on; the test fails when there is none.
fn gpu(test: &str) -> Option<Device> {
    assert!(tch::Cuda::is_available(), "{test}: no CUDA device visible (tch::Cuda::is_available() is false)");
    Some(Device::Cuda(0))
}

/// One scan's inputs, created on the CPU from a seed.
struct Case {
    u: Tensor,
    delta: Tensor,
    a_log: Tensor,
    b: Tensor,
    c: Tensor,
    d: Tensor,
    z: Tensor,
    bias: Tensor,
    low: Tensor,
    weight: Tensor,
}

impl Case {
    fn new(bsz: i64, dim: i64, len: i64, n: i64, seed: i64) -> Self {
        tch::manual_seed(seed);
        let o = (Kind::Float, Device::Cpu);
        Case {
            u: Tensor::randn([bsz, dim, len], o),
            // pre-softplus δ from −9 to 2.3 → softplus spans ~1e-4 .. 10
            delta: Tensor::rand([bsz, dim, len], o) * 11.3 - 9.0,
            a_log: (Tensor::rand([dim, n], o) * 3.0).log1p(),
            b: Tensor::randn([bsz, len, n], o),
            c: Tensor::randn([bsz, len, n], o),
            d: Tensor::randn([dim], o),
            z: Tensor::randn([bsz, dim, len], o),
            bias: Tensor::randn([dim], o) * 0.5,
            low: Tensor::cat(&[Tensor::rand([bsz, 1, len], o) * 11.3 - 9.0, Tensor::randn([bsz, 2, len], o) * 0.5], 1),
            weight: Tensor::cat(&[Tensor::rand([dim, 1], o) * 0.4 + 0.8, Tensor::randn([dim, 2], o) * 0.2], 1),
        }
    }

    /// The same values as gradient leaves on `device`, in kind `kind`.
    fn on(&self, device: Device, kind: Kind) -> Case {
        let leaf = |t: &Tensor| t.to_kind(kind).to_device(device).detach().set_requires_grad(true);
        Case {
            u: leaf(&self.u),
            delta: leaf(&self.delta),
            a_log: leaf(&self.a_log),
            b: leaf(&self.b),
            c: leaf(&self.c),
            d: leaf(&self.d),
            z: leaf(&self.z),
            bias: leaf(&self.bias),
            low: leaf(&self.low),
            weight: leaf(&self.weight),
        }
    }

    fn args(&self, low_rank: bool, optional: bool) -> ScanArgs<'_> {
        let delta = if low_rank {
            DeltaArg::LowRank { low: &self.low, weight: &self.weight }
        } else {
            DeltaArg::Full(&self.delta)
        };
        let opt = |t| optional.then_some(t);
        ScanArgs {
            u: &self.u,
            delta,
            a_log: &self.a_log,
            b: &self.b,
            c: &self.c,
            d_skip: opt(&self.d),
            z: opt(&self.z),
            delta_bias: opt(&self.bias),
            delta_softplus: true,
        }
    }

    /// The leaves that get a gradient for this form of δ and these optional inputs.
    fn leaves(&self, low_rank: bool, optional: bool) -> Vec<(&'static str, &Tensor)> {
        let mut out = if low_rank {
            vec![("delta_low", &self.low), ("dt_weight", &self.weight)]
        } else {
            vec![("delta", &self.delta)]
        };
        out.extend([("u", &self.u), ("a_log", &self.a_log), ("b", &self.b), ("c", &self.c)]);
        if optional {
            out.extend([("d", &self.d), ("z", &self.z), ("bias", &self.bias)]);
        }
        out
    }
}

/// max |a − b| / (max |b| + tiny), both on the CPU in f64.
fn rel_err(a: &Tensor, b: &Tensor) -> f64 {
    let (a, b) = (a.to_device(Device::Cpu).to_kind(Kind::Double), b.to_device(Device::Cpu).to_kind(Kind::Double));
    (&a - &b).abs().max().double_value(&[]) / (b.abs().max().double_value(&[]) + 1e-12)
}

/// y and the gradients of Σ y·w with respect to every leaf.
fn run(c: &Case, w: &Tensor, low_rank: bool, optional: bool) -> (Tensor, Vec<Tensor>) {
    let y = selective_scan(&c.args(low_rank, optional)).expect("selective scan");
    let l = (&y.to_kind(Kind::Float) * w.to_device(y.device())).sum(Kind::Float);
    let leaves: Vec<&Tensor> = c.leaves(low_rank, optional).into_iter().map(|(_, t)| t).collect();
    let grads = Tensor::run_backward(&[l], &leaves, false, false);
    (y, grads)
}

/// CUDA (inputs in `kind`) against the CPU kernel (f32) on one case; `tol` relative.
fn compare(
    dev: Device,
    (bsz, dim, len, n): (i64, i64, i64, i64),
    low_rank: bool,
    optional: bool,
    kind: Kind,
    tol: f64,
) {
    let base = Case::new(bsz, dim, len, n, 100 + len + dim);
    // bf16 runs compare against the CPU kernel on the same rounded inputs.
    let base = base.on(Device::Cpu, kind).on(Device::Cpu, Kind::Float);
    let w = Tensor::randn([bsz, dim, len], (Kind::Float, Device::Cpu));
    let cpu = base.on(Device::Cpu, Kind::Float);
    let gpu = base.on(dev, kind);
    let (y_cpu, g_cpu) = run(&cpu, &w, low_rank, optional);
    let (y_gpu, g_gpu) = run(&gpu, &w, low_rank, optional);
    let what = format!("B={bsz} D={dim} L={len} N={n} low-rank {low_rank} optional {optional} {kind:?}");
    let e = rel_err(&y_gpu, &y_cpu);
    assert!(e < tol, "y: {what}: rel err {e}");
    for ((name, _), (g, r)) in cpu.leaves(low_rank, optional).iter().zip(g_gpu.iter().zip(&g_cpu)) {
        assert_eq!(g.device(), dev, "d{name} must stay on the GPU");
        let e = rel_err(g, r);
        assert!(e < tol, "d{name}: {what}: rel err {e}");
    }
}

/// SCAN.md's cases: L ∈ {1, 7, 64, 1000} and chunk boundaries (the node's chunk is 256; the backward's
/// segments are 32), several (B, D, N) — D = 40 spans two 32-channel blocks, N = 20 and 33 use the
/// larger register blocks — and δ from 1e-4 to 10.
#[test]
fn cuda_kernel_matches_cpu_kernel_values_and_gradients() {
    let Some(dev) = gpu("cuda_kernel_matches_cpu_kernel_values_and_gradients") else { return };
    for &(bsz, dim, n) in &[(1, 3, 4), (2, 5, 16), (1, 40, 20), (2, 7, 33)] {
        for len in [1, 7, 31, 32, 33, 64, 255, 256, 257, 1000] {
            for low_rank in [false, true] {
                compare(dev, (bsz, dim, len, n), low_rank, true, Kind::Float, 1e-4);
            }
        }
    }
}

#[test]
fn cuda_kernel_matches_without_optional_inputs() {
    let Some(dev) = gpu("cuda_kernel_matches_without_optional_inputs") else { return };
    for len in [1, 33, 600] {
        compare(dev, (2, 6, len, 16), false, false, Kind::Float, 1e-4);
        compare(dev, (1, 33, len, 8), true, false, Kind::Float, 1e-4);
    }
}

/// bf16 inputs are read as bf16 and scanned in f32: same numbers as the f32 CPU kernel on the rounded
/// inputs, up to f32 rounding; gradients come back in bf16, hence the looser tolerance.
#[test]
fn cuda_kernel_reads_bf16_inputs() {
    let Some(dev) = gpu("cuda_kernel_reads_bf16_inputs") else { return };
    for low_rank in [false, true] {
        compare(dev, (2, 16, 300, 16), low_rank, true, Kind::BFloat16, 1e-2);
    }
}

#[test]
fn cuda_scan_is_deterministic() {
    let Some(dev) = gpu("cuda_scan_is_deterministic") else { return };
    let base = Case::new(2, 40, 700, 16, 5);
    let w = Tensor::randn([2, 40, 700], (Kind::Float, dev));
    let (y1, g1) = run(&base.on(dev, Kind::Float), &w, true, true);
    let (y2, g2) = run(&base.on(dev, Kind::Float), &w, true, true);
    assert_eq!(rel_err(&y1, &y2), 0.0);
    for (a, b) in g1.iter().zip(&g2) {
        assert_eq!(rel_err(a, b), 0.0, "gradients must be bit-identical between runs");
    }
}

/// A tiny Seq2Exp (generator, Beta mask, predictor, head) on CPU and on CUDA with the same weights.
#[test]
fn tiny_model_forward_backward_cpu_vs_cuda() {
    let Some(dev) = gpu("tiny_model_forward_backward_cpu_vs_cuda") else { return };
    let mut cfg = Seq2ExpConfig::preset(Preset::Tiny);
    cfg.window = 2_000;
    cfg.head.pool_width = 500;
    cfg.mask.promoter_half_width = 250;
    tch::manual_seed(21);
    let cpu = Seq2Exp::new(&cfg, Device::Cpu);
    let mut gpu = Seq2Exp::new(&cfg, dev);
    gpu.vs.copy(&cpu.vs).expect("same variables");
    let (bsz, l, ch) = (2, cfg.window as i64, cfg.signals.len() as i64);
    let input = |device: Device| ModelInput {
        dna: Tensor::arange(bsz * l, (Kind::Int64, Device::Cpu)).remainder(5).reshape([bsz, l]).to_device(device),
        signals: (Tensor::arange(bsz * l * ch, (Kind::Float, Device::Cpu)) * 0.37)
            .sin()
            .reshape([bsz, l, ch])
            .to_device(device),
        features: (Tensor::arange(bsz * 9, (Kind::Float, Device::Cpu)) * 0.1).cos().reshape([bsz, 9]).to_device(device),
        blacklist: None,
        peaks: None,
    };
    let step = |m: &Seq2Exp, device: Device| {
        let out = m.forward(&input(device), Pass::Eval);
        (out.pred.square().sum(Kind::Float) + out.kl).backward();
        let mut grads: Vec<(String, Tensor)> =
            m.vs.variables().into_iter().map(|(n, v)| (n, v.grad().to_device(Device::Cpu))).collect();
        grads.sort_by(|a, b| a.0.cmp(&b.0));
        (out.pred.to_device(Device::Cpu), grads)
    };
    let (p_cpu, g_cpu) = step(&cpu, Device::Cpu);
    let (p_gpu, g_gpu) = step(&gpu, dev);
    let e = rel_err(&p_gpu, &p_cpu);
    assert!(e < 1e-4, "prediction: rel err {e}");
    assert_eq!(g_cpu.len(), g_gpu.len());
    for ((name, a), (_, b)) in g_gpu.iter().zip(&g_cpu) {
        let e = rel_err(a, b);
        assert!(e < 1e-3, "d{name}: rel err {e}");
    }
}
