//! Shared helpers for the scan tests: seeded random cases, kernel calls with owned buffers, and
//! the comparison used everywhere.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use seq2exp_models::scan::{
    checkpoint_len, reference::RefGrads, scan_backward_with, scan_forward_with, Delta, DeltaGrad, Isa, ScanDims,
    ScanFloat, ScanGrads, ScanInputs, ScanOptions,
};

/// Which optional inputs a case has.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    pub z: bool,
    pub skip: bool,
    pub bias: bool,
    pub softplus: bool,
}

pub const FULL: Opts = Opts { z: true, skip: true, bias: true, softplus: true };
pub const BARE: Opts = Opts { z: false, skip: false, bias: false, softplus: true };
pub const NO_SOFTPLUS: Opts = Opts { z: true, skip: true, bias: true, softplus: false };

/// The factors of a low-rank δ: `low` `[B, R, L]`, `weight` `[D, R]`.
#[derive(Clone, Debug)]
pub struct LowRank<T> {
    pub low: Vec<T>,
    pub weight: Vec<T>,
    pub rank: usize,
}

/// Owned scan inputs. With `low_rank` set, δ is given by it and `delta` is unused.
#[derive(Clone, Debug)]
pub struct Case<T> {
    pub dims: ScanDims,
    pub u: Vec<T>,
    pub delta: Vec<T>,
    pub low_rank: Option<LowRank<T>>,
    pub a_log: Vec<T>,
    pub b: Vec<T>,
    pub c: Vec<T>,
    pub skip: Option<Vec<T>>,
    pub z: Option<Vec<T>>,
    pub bias: Option<Vec<T>>,
    pub softplus: bool,
}

fn uniform(rng: &mut ChaCha8Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    // Rounded through f32 so that the f32 and f64 versions of a case hold identical values.
    (0..n).map(|_| rng.random_range(lo..hi) as f32 as f64).collect()
}

impl Case<f64> {
    /// Random case; δ (after bias and softplus) is log-uniform over [1e-4, 10].
    pub fn random(dims: ScanDims, opts: Opts, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let ScanDims { batch, dim, len, state } = dims;
        let bdl = batch * dim * len;
        let bias = opts.bias.then(|| uniform(&mut rng, dim, -1.0, 1.0));
        let delta = (0..bdl)
            .map(|i| {
                let target = rng.random_range(1e-4f64.ln()..10f64.ln()).exp();
                let pre = if opts.softplus { target.exp_m1().ln() } else { target };
                let b = bias.as_ref().map_or(0.0, |v| v[(i / len) % dim]);
                (pre - b) as f32 as f64
            })
            .collect();
        let a_log = (0..dim * state)
            .map(|i| (((i % state) + 1) as f64).ln() + rng.random_range(-0.5..0.5))
            .map(|v| v as f32 as f64)
            .collect();
        Case {
            dims,
            u: uniform(&mut rng, bdl, -1.0, 1.0),
            delta,
            low_rank: None,
            a_log,
            b: uniform(&mut rng, batch * len * state, -1.0, 1.0),
            c: uniform(&mut rng, batch * len * state, -1.0, 1.0),
            skip: opts.skip.then(|| uniform(&mut rng, dim, -1.0, 1.0)),
            z: opts.z.then(|| uniform(&mut rng, bdl, -4.0, 4.0)),
            bias,
            softplus: opts.softplus,
        }
    }

    /// Random case with a low-rank δ of rank `rank` (≥ 1): row 0 of `low` carries a log-uniform
    /// target as in [`Case::random`] (weight ≈ 1), the other rows add channel-dependent terms, so δ
    /// still spans about 1e-4..10 and stays positive without softplus.
    pub fn random_low_rank(dims: ScanDims, opts: Opts, rank: usize, seed: u64) -> Self {
        let mut case = Case::random(dims, opts, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x10ad);
        let ScanDims { batch, dim, len, .. } = dims;
        let mut low = Vec::with_capacity(batch * rank * len);
        // [B, R, L]: per batch, row 0 (the target) then rows 1..R.
        for _ in 0..batch {
            if rank == 0 {
                break;
            }
            for _ in 0..len {
                let target = rng.random_range(1e-4f64.ln()..10f64.ln()).exp();
                // Without softplus, +1.5 outweighs a bias ≥ −1 and keeps δ > 0.
                let pre = if opts.softplus { target.exp_m1().ln() } else { target + 1.5 };
                low.push(pre as f32 as f64);
            }
            for _ in 1..rank {
                low.extend(uniform(&mut rng, len, 0.0, 1.0));
            }
        }
        let weight = (0..dim * rank)
            .map(|i| match i % rank {
                0 => rng.random_range(0.8..1.2),
                _ => rng.random_range(-0.1..0.1) + if opts.softplus { 0.0 } else { 0.1 },
            })
            .map(|v: f64| v as f32 as f64)
            .collect();
        case.low_rank = Some(LowRank { low, weight, rank });
        case.delta = Vec::new();
        case
    }

    pub fn to_f32(&self) -> Case<f32> {
        let m = |v: &Vec<f64>| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
        Case {
            dims: self.dims,
            u: m(&self.u),
            delta: m(&self.delta),
            low_rank: self.low_rank.as_ref().map(|lr| LowRank {
                low: m(&lr.low),
                weight: m(&lr.weight),
                rank: lr.rank,
            }),
            a_log: m(&self.a_log),
            b: m(&self.b),
            c: m(&self.c),
            skip: self.skip.as_ref().map(m),
            z: self.z.as_ref().map(m),
            bias: self.bias.as_ref().map(m),
            softplus: self.softplus,
        }
    }
}

impl<T: ScanFloat> Case<T> {
    pub fn rank(&self) -> Option<usize> {
        self.low_rank.as_ref().map(|lr| lr.rank)
    }

    pub fn inputs(&self) -> ScanInputs<'_, T> {
        let delta = match &self.low_rank {
            Some(lr) => Delta::LowRank { low: &lr.low, weight: &lr.weight, rank: lr.rank },
            None => Delta::Full(&self.delta),
        };
        ScanInputs {
            u: &self.u,
            delta,
            a_log: &self.a_log,
            b: &self.b,
            c: &self.c,
            d_skip: self.skip.as_deref(),
            z: self.z.as_deref(),
            delta_bias: self.bias.as_deref(),
            delta_softplus: self.softplus,
        }
    }

    /// y and the checkpoint grid.
    pub fn forward(&self, chunk: usize, isa: Isa) -> (Vec<T>, Vec<T>) {
        let mut y = vec![T::ZERO; self.u.len()];
        let mut ck = vec![T::ZERO; checkpoint_len(self.dims, chunk).unwrap()];
        let opts = ScanOptions { chunk, isa };
        scan_forward_with(self.dims, &self.inputs(), &mut y, Some(&mut ck), &opts).unwrap();
        (y, ck)
    }

    /// Forward then backward with every gradient requested.
    pub fn backward(&self, chunk: usize, isa: Isa, dy: &[T]) -> Grads<T> {
        let (_, ck) = self.forward(chunk, isa);
        let mut g = Grads::zeros(self.dims, self.z.is_some(), self.rank());
        let opts = ScanOptions { chunk, isa };
        scan_backward_with(self.dims, &self.inputs(), &ck, dy, &mut g.as_grads(), &opts).unwrap();
        g
    }
}

/// Owned gradient buffers. For a low-rank δ, `ddelta` is d delta_low `[B, R, L]` and
/// `ddt_weight` is set.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads<T> {
    pub du: Vec<T>,
    pub ddelta: Vec<T>,
    pub ddt_weight: Option<Vec<T>>,
    pub da_log: Vec<T>,
    pub db: Vec<T>,
    pub dc: Vec<T>,
    pub dd_skip: Vec<T>,
    pub ddelta_bias: Vec<T>,
    pub dz: Option<Vec<T>>,
}

impl<T: ScanFloat> Grads<T> {
    pub fn zeros(dims: ScanDims, z: bool, rank: Option<usize>) -> Self {
        let ScanDims { batch, dim, len, state } = dims;
        let v = |n: usize| vec![T::ZERO; n];
        Grads {
            du: v(batch * dim * len),
            ddelta: v(batch * rank.unwrap_or(dim) * len),
            ddt_weight: rank.map(|r| v(dim * r)),
            da_log: v(dim * state),
            db: v(batch * len * state),
            dc: v(batch * len * state),
            dd_skip: v(dim),
            ddelta_bias: v(dim),
            dz: z.then(|| v(batch * dim * len)),
        }
    }

    pub fn as_grads(&mut self) -> ScanGrads<'_, T> {
        let ddelta = match self.ddt_weight.as_deref_mut() {
            Some(weight) => DeltaGrad::LowRank { low: &mut self.ddelta, weight },
            None => DeltaGrad::Full(&mut self.ddelta),
        };
        ScanGrads {
            du: &mut self.du,
            ddelta,
            da_log: &mut self.da_log,
            db: &mut self.db,
            dc: &mut self.dc,
            dd_skip: Some(&mut self.dd_skip),
            ddelta_bias: Some(&mut self.ddelta_bias),
            dz: self.dz.as_deref_mut(),
        }
    }

    /// (name, values) of every gradient, in a fixed order.
    pub fn named(&self) -> Vec<(&'static str, Vec<f64>)> {
        let f = |v: &Vec<T>| v.iter().map(|x| x.to_f64()).collect::<Vec<_>>();
        let low = self.ddt_weight.is_some();
        let mut out = vec![
            ("du", f(&self.du)),
            (if low { "ddelta_low" } else { "ddelta" }, f(&self.ddelta)),
            ("da_log", f(&self.da_log)),
            ("db", f(&self.db)),
            ("dc", f(&self.dc)),
            ("dd_skip", f(&self.dd_skip)),
            ("ddelta_bias", f(&self.ddelta_bias)),
        ];
        if let Some(dz) = &self.dz {
            out.push(("dz", f(dz)));
        }
        if let Some(w) = &self.ddt_weight {
            out.push(("ddt_weight", f(w)));
        }
        out
    }
}

impl Grads<f64> {
    /// The reference's gradients in this layout, for a case with or without z / low-rank δ.
    pub fn from_ref(r: RefGrads, z: bool, low_rank: bool) -> Self {
        Grads {
            du: r.du,
            ddelta: if low_rank { r.ddelta_low } else { r.ddelta },
            ddt_weight: low_rank.then_some(r.ddt_weight),
            da_log: r.da_log,
            db: r.db,
            dc: r.dc,
            dd_skip: r.dd_skip,
            ddelta_bias: r.ddelta_bias,
            dz: z.then_some(r.dz),
        }
    }
}

pub fn random_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    uniform(&mut rng, n, -1.0, 1.0)
}

pub fn to_f64<T: ScanFloat>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

/// Elementwise relative check with a small absolute floor at the tensor's scale:
/// |got − want| ≤ rtol · (|want| + 0.1·rms(want)) for every element. The floor only matters for
/// elements more than 10× smaller than the typical one, which are sums that cancel in f32 (with a
/// floor of 0.01·rms the worst case seen was 7e-5, still under 1e-4). Returns the worst ratio
/// |got − want| / (|want| + 0.1·rms(want)) for reporting.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if want.is_empty() {
        return 0.0;
    }
    let rms = (want.iter().map(|w| w * w).sum::<f64>() / want.len() as f64).sqrt();
    let mut worst = (0.0, 0usize);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ratio = (g - w).abs() / (w.abs() + 0.1 * rms).max(f64::MIN_POSITIVE);
        assert!(!g.is_nan(), "{what}[{i}] is NaN (want {w})");
        if ratio > worst.0 || ratio.is_nan() {
            worst = (ratio, i);
        }
    }
    let (ratio, i) = worst;
    assert!(
        ratio <= rtol,
        "{what}: element {i} got {} want {} (rms {rms:.3e}): error ratio {ratio:.3e} > {rtol:.1e}",
        got[i],
        want[i]
    );
    ratio
}
