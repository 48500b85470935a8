//! MSE, MAE, Pearson r and R² from one streaming pass in f64.

use serde::Serialize;

/// Regression metrics of predictions against targets; see the [module docs](super) for the
/// definitions. All four values are NaN when `n` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegressionMetrics {
    /// Pairs used (neither side NaN).
    pub n: u64,
    /// Pairs skipped because the prediction or the target was NaN.
    pub n_skipped: u64,
    /// Mean squared error.
    pub mse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Pearson correlation; NaN when n < 2 or either side is constant.
    pub pearson: f64,
    /// Coefficient of determination 1 − SSE/SST; NaN when the targets are constant (SST = 0).
    pub r2: f64,
}

/// Streaming accumulator of [`RegressionMetrics`]: [`push`](Self::push) pairs one at a time (or
/// [`extend`](Self::extend) slices), [`merge`](Self::merge) partial accumulators, then
/// [`finish`](Self::finish).
///
/// Means and (co-)moments are updated with Welford's recurrences on values shifted by the first
/// pair, so neither the cancellation of Σx² − n·mean² nor the rounding of a large running mean
/// hurts when the values share a large offset. The same pushes in the same order always give
/// bit-identical results.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RegressionAccumulator {
    n: u64,
    n_skipped: u64,
    /// The first pair: moments are taken of p − shift_p and t − shift_t (exact for nearby values).
    shift_p: f64,
    shift_t: f64,
    /// Means of the shifted values.
    mean_p: f64,
    mean_t: f64,
    /// Σ (p − mean p)².
    m2_p: f64,
    /// Σ (t − mean t)², i.e. SST.
    m2_t: f64,
    /// Σ (p − mean p)(t − mean t).
    c_pt: f64,
    /// Σ (p − t)².
    sse: f64,
    /// Σ |p − t|.
    sae: f64,
}

impl RegressionAccumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one (prediction, target) pair; a NaN on either side is skipped and counted.
    #[inline]
    pub fn push(&mut self, pred: impl Into<f64>, target: impl Into<f64>) {
        let (p, t) = (pred.into(), target.into());
        if p.is_nan() || t.is_nan() {
            self.n_skipped += 1;
            return;
        }
        let e = p - t;
        self.sse += e * e;
        self.sae += e.abs();
        if self.n == 0 {
            (self.shift_p, self.shift_t) = (p, t);
        }
        let (p, t) = (p - self.shift_p, t - self.shift_t);
        self.n += 1;
        let nf = self.n as f64;
        let dp = p - self.mean_p;
        let dt = t - self.mean_t;
        self.mean_p += dp / nf;
        self.mean_t += dt / nf;
        // Old deviation times new deviation: Welford's update, exact in exact arithmetic.
        self.m2_p += dp * (p - self.mean_p);
        self.m2_t += dt * (t - self.mean_t);
        self.c_pt += dp * (t - self.mean_t);
    }

    /// Pushes `preds[i], targets[i]` for every i, in order.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn extend<P, T>(&mut self, preds: &[P], targets: &[T])
    where
        P: Copy + Into<f64>,
        T: Copy + Into<f64>,
    {
        assert_eq!(preds.len(), targets.len(), "preds and targets differ in length");
        for (&p, &t) in preds.iter().zip(targets) {
            self.push(p, t);
        }
    }

    /// Folds `other` into `self` (Chan et al.'s pairwise update), e.g. to combine per-thread
    /// accumulators. Equal to pushing `other`'s pairs up to rounding, not bit for bit.
    pub fn merge(&mut self, other: &Self) {
        self.n_skipped += other.n_skipped;
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = Self { n_skipped: self.n_skipped, ..*other };
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        // Difference of the two means, with `other`'s mean moved into this shift's frame.
        let dp = (other.mean_p + (other.shift_p - self.shift_p)) - self.mean_p;
        let dt = (other.mean_t + (other.shift_t - self.shift_t)) - self.mean_t;
        let w = na * nb / n;
        self.m2_p += other.m2_p + dp * dp * w;
        self.m2_t += other.m2_t + dt * dt * w;
        self.c_pt += other.c_pt + dp * dt * w;
        self.mean_p += dp * (nb / n);
        self.mean_t += dt * (nb / n);
        self.sse += other.sse;
        self.sae += other.sae;
        self.n += other.n;
    }

    /// Pairs accumulated so far (NaN pairs excluded).
    pub fn len(&self) -> u64 {
        self.n
    }

    /// Whether no pair has been accumulated (skipped pairs do not count).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The metrics of everything pushed so far.
    pub fn finish(&self) -> RegressionMetrics {
        let n = self.n;
        if n == 0 {
            return RegressionMetrics {
                n,
                n_skipped: self.n_skipped,
                mse: f64::NAN,
                mae: f64::NAN,
                pearson: f64::NAN,
                r2: f64::NAN,
            };
        }
        let nf = n as f64;
        // Welford leaves m2 exactly 0 for constant input, so `> 0` detects zero variance.
        let pearson = if n >= 2 && self.m2_p > 0.0 && self.m2_t > 0.0 {
            // Rounding can push |r| a hair past 1.
            (self.c_pt / (self.m2_p.sqrt() * self.m2_t.sqrt())).clamp(-1.0, 1.0)
        } else {
            f64::NAN
        };
        let r2 = if self.m2_t > 0.0 { 1.0 - self.sse / self.m2_t } else { f64::NAN };
        RegressionMetrics { n, n_skipped: self.n_skipped, mse: self.sse / nf, mae: self.sae / nf, pearson, r2 }
    }
}

/// One-shot [`RegressionMetrics`] of `preds` against `targets` (a [`RegressionAccumulator`] fed
/// the pairs in order, so both forms agree bit for bit).
///
/// # Panics
/// If the slices differ in length.
pub fn regression_metrics<P, T>(preds: &[P], targets: &[T]) -> RegressionMetrics
where
    P: Copy + Into<f64>,
    T: Copy + Into<f64>,
{
    let mut acc = RegressionAccumulator::new();
    acc.extend(preds, targets);
    acc.finish()
}
