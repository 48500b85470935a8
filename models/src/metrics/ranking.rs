//! Average precision (AUPRC) of per-base scores against binary labels, as scikit-learn computes it.
//!
//! Each (score, label) is packed into one u64: an order-preserving u32 key of the score, shifted
//! left by one, with the label in bit 0. Sorting these integers orders by score and gathers ties
//! into contiguous runs; two entries that compare equal are identical, so the (unstable, parallel)
//! sort still gives one deterministic result whatever the input order. Memory: 8 bytes per base,
//! sorted in place; time O(N log N).

use rayon::slice::ParallelSliceMut;

/// Order-preserving map from f32 to u32: a < b ⇒ key(a) < key(b) for non-NaN scores; −0.0 and +0.0
/// share a key (they are one threshold); every NaN maps to 0, below −∞ (key 0x007F_FFFF).
#[inline]
fn score_key(score: f32) -> u32 {
    if score.is_nan() {
        return 0;
    }
    // `== 0.0` is true for −0.0 too: fold it onto +0.0.
    let bits = if score == 0.0 { 0 } else { score.to_bits() };
    if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

#[inline]
fn pack(score: f32, label: bool) -> u64 {
    (u64::from(score_key(score)) << 1) | u64::from(label)
}

/// Collects (score, label) pairs from many genes and computes their pooled average precision at
/// the end. Pushing the same pairs in any order and any chunking gives the same bits as
/// [`average_precision`] on their concatenation.
///
/// ```
/// use seq2exp_models::metrics::ApAccumulator;
/// let mut acc = ApAccumulator::new();
/// acc.extend(&[0.9, 0.1], &[true, false]); // gene 1
/// acc.extend(&[0.8, 0.7], &[false, true]); // gene 2
/// // Ranked 0.9 (+), 0.8 (−), 0.7 (+), 0.1 (−): AP = ½·1 + ½·⅔.
/// assert!((acc.finish().unwrap() - (0.5 + 1.0 / 3.0)).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ApAccumulator {
    packed: Vec<u64>,
    n_pos: u64,
}

impl ApAccumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty accumulator with room for `n` pairs (8 bytes each).
    pub fn with_capacity(n: usize) -> Self {
        Self { packed: Vec::with_capacity(n), n_pos: 0 }
    }

    /// Adds one pair. A NaN score is kept (it ranks lowest), not skipped: a planted element that
    /// the model fails to score is a miss.
    #[inline]
    pub fn push(&mut self, score: f32, label: bool) {
        self.packed.push(pack(score, label));
        self.n_pos += u64::from(label);
    }

    /// Adds `(scores[i], labels[i])` for every i.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn extend(&mut self, scores: &[f32], labels: &[bool]) {
        assert_eq!(scores.len(), labels.len(), "scores and labels differ in length");
        self.packed.reserve(scores.len());
        for (&s, &l) in scores.iter().zip(labels) {
            self.push(s, l);
        }
    }

    /// Pairs collected so far.
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    /// Whether no pair has been collected.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    /// Positive labels collected so far.
    pub fn n_positives(&self) -> u64 {
        self.n_pos
    }

    /// Share of positive labels, the AP of an uninformative scorer; `None` when empty.
    pub fn positive_fraction(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.n_pos as f64 / self.len() as f64)
    }

    /// Average precision of everything collected; `None` when there is no positive label.
    /// Sorts in place on the current rayon pool (no extra memory).
    pub fn finish(mut self) -> Option<f64> {
        if self.n_pos == 0 {
            return None;
        }
        self.packed.par_sort_unstable();
        Some(ap_of_sorted(&self.packed, self.n_pos, |_, _, _| {}))
    }

    /// The precision–recall curve of everything collected, one point per distinct score from the
    /// highest down, with its average precision — the same bits as [`finish`](Self::finish), since
    /// both come from one walk over the sorted pairs. `None` when there is no positive label.
    pub fn curve(mut self) -> Option<PrCurve> {
        if self.n_pos == 0 {
            return None;
        }
        self.packed.par_sort_unstable();
        let n_pos = self.n_pos;
        let mut points = Vec::new();
        let ap = ap_of_sorted(&self.packed, n_pos, |key, tp, seen| {
            points.push(PrPoint {
                threshold: key_score(key),
                recall: tp as f64 / n_pos as f64,
                precision: tp as f64 / seen as f64,
            });
        });
        Some(PrCurve { points, ap, positive_fraction: n_pos as f64 / self.packed.len() as f64 })
    }
}

/// One threshold of a precision–recall curve: the bases scoring ≥ `threshold` are called positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrPoint {
    /// The score (NaN for the group of NaN scores, which ranks last).
    pub threshold: f32,
    /// TP / P.
    pub recall: f64,
    /// TP / (TP + FP).
    pub precision: f64,
}

/// A precision–recall curve: one point per distinct score, thresholds decreasing, recall rising to 1
/// (scikit-learn's `precision_recall_curve` without its added (recall 0, precision 1) end), and its average precision
/// AP = Σₖ (Rₖ − Rₖ₋₁) Pₖ, equal to [`average_precision`] of the same pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct PrCurve {
    pub points: Vec<PrPoint>,
    pub ap: f64,
    /// Share of positive labels: the precision of an uninformative scorer.
    pub positive_fraction: f64,
}

/// AP of packed pairs sorted ascending. Walks the tie groups from the highest score down; each
/// group is one threshold, contributing (ΔTP / P) · precision. Summing ΔTP · precision and dividing
/// by P once makes a perfect ranking exactly 1. `point(key, tp, seen)` is called after each group.
fn ap_of_sorted(sorted: &[u64], n_pos: u64, mut point: impl FnMut(u32, u64, u64)) -> f64 {
    let (mut tp, mut seen) = (0u64, 0u64);
    let mut sum = 0.0f64;
    for group in sorted.chunk_by(|a, b| a >> 1 == b >> 1).rev() {
        let pos: u64 = group.iter().map(|&x| x & 1).sum();
        tp += pos;
        seen += group.len() as u64;
        if pos > 0 {
            sum += pos as f64 * (tp as f64 / seen as f64);
        }
        point((group[0] >> 1) as u32, tp, seen);
    }
    sum / n_pos as f64
}

/// The inverse of [`score_key`] (key 0, the NaN group, gives NaN; ±0.0 give +0.0).
#[inline]
fn key_score(key: u32) -> f32 {
    if key & 0x8000_0000 != 0 {
        f32::from_bits(key & 0x7FFF_FFFF)
    } else {
        f32::from_bits(!key)
    }
}

/// The [`PrCurve`] of `scores` against `labels` (see [`average_precision`] for ties and NaN); `None`
/// when no label is positive.
///
/// # Panics
/// If the slices differ in length.
pub fn precision_recall_curve(scores: &[f32], labels: &[bool]) -> Option<PrCurve> {
    let mut acc = ApAccumulator::with_capacity(scores.len());
    acc.extend(scores, labels);
    acc.curve()
}

/// Average precision of `scores` against `labels`, equal to scikit-learn's
/// `average_precision_score(labels, scores)`: AP = Σₖ (Rₖ − Rₖ₋₁) Pₖ over thresholds at the
/// distinct scores in decreasing order, tied scores forming a single step. NaN scores rank below
/// all others (tied among themselves); −0.0 ties with +0.0. `None` when no label is positive
/// (sklearn warns and returns 0 there).
///
/// # Panics
/// If the slices differ in length.
pub fn average_precision(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let mut acc = ApAccumulator::with_capacity(scores.len());
    acc.extend(scores, labels);
    acc.finish()
}

/// Share of `labels` that are true; `None` when empty.
pub fn positive_fraction(labels: &[bool]) -> Option<f64> {
    if labels.is_empty() {
        return None;
    }
    let pos = labels.iter().filter(|&&l| l).count();
    Some(pos as f64 / labels.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn curve_steps_by_distinct_score_and_its_area_is_the_accumulators_ap() {
        // Ranked 0.9 (+), 0.8 (−, −), 0.7 (+), NaN (+): three positives.
        let c = precision_recall_curve(&[0.9, 0.8, f32::NAN, 0.7, 0.8], &[true, false, true, true, false]).unwrap();
        let got: Vec<(f64, f64)> = c.points.iter().map(|p| (p.recall, p.precision)).collect();
        assert_eq!(got, vec![(1.0 / 3.0, 1.0), (1.0 / 3.0, 1.0 / 3.0), (2.0 / 3.0, 0.5), (1.0, 0.6)]);
        assert_eq!(c.points[0].threshold, 0.9);
        assert!(c.points[3].threshold.is_nan());
        assert_eq!(c.positive_fraction, 0.6);

        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20 {
            let n = rng.random_range(1..3000);
            // Few distinct values, so ties are common; some NaN.
            let scores: Vec<f32> = (0..n)
                .map(|_| if rng.random_bool(0.02) { f32::NAN } else { (rng.random_range(0..50) as f32) / 7.0 - 3.0 })
                .collect();
            let labels: Vec<bool> = (0..n).map(|_| rng.random_bool(0.2)).collect();
            let mut acc = ApAccumulator::new();
            acc.extend(&scores, &labels);
            let (ap, curve) = (acc.clone().finish(), acc.curve());
            let Some(curve) = curve else {
                assert!(ap.is_none());
                continue;
            };
            assert_eq!(curve.ap.to_bits(), ap.unwrap().to_bits());
            let mut prev = 0.0;
            let mut area = 0.0;
            for p in &curve.points {
                area += (p.recall - prev) * p.precision;
                prev = p.recall;
            }
            assert!((area - curve.ap).abs() < 1e-12, "{area} vs {}", curve.ap);
            assert_eq!(curve.points.last().unwrap().recall, 1.0);
            let finite: Vec<f32> = curve.points.iter().map(|p| p.threshold).filter(|t| !t.is_nan()).collect();
            assert!(finite.windows(2).all(|w| w[0] > w[1]), "thresholds decrease");
        }
    }

    #[test]
    fn key_order_matches_float_order_with_nan_lowest() {
        let ordered = [
            f32::NEG_INFINITY,
            -f32::MAX,
            -1.0,
            -f32::MIN_POSITIVE,
            -1e-45,
            0.0,
            1e-45,
            f32::MIN_POSITIVE,
            1.0,
            f32::MAX,
            f32::INFINITY,
        ];
        assert!(score_key(f32::NAN) < score_key(ordered[0]));
        assert_eq!(score_key(-f32::NAN), score_key(f32::NAN));
        for w in ordered.windows(2) {
            assert!(score_key(w[0]) < score_key(w[1]), "{} vs {}", w[0], w[1]);
        }
        assert_eq!(score_key(-0.0), score_key(0.0));
    }
}
