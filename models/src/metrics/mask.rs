//! Mask ratio: the share of bases a mask selects.

/// Share of `mask` values ≥ `threshold` (a hard mask is 1[soft ≥ 0.5], so `threshold = 0.5` gives
/// the hard mask ratio of a soft mask, and of a 0/1 mask). NaN values count as not selected.
/// `None` when `mask` is empty. Pass the slice to be measured: whether the forced-on promoter
/// bases are included is the caller's choice.
pub fn mask_ratio(mask: &[f32], threshold: f32) -> Option<f64> {
    let mut acc = MaskRatioAccumulator::new(threshold);
    acc.push(mask);
    acc.ratio()
}

/// Pooled mask ratio over many genes: selected bases / all bases, not a mean of per-gene ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaskRatioAccumulator {
    threshold: f32,
    selected: u64,
    total: u64,
}

impl MaskRatioAccumulator {
    /// An empty accumulator counting values ≥ `threshold` as selected.
    pub fn new(threshold: f32) -> Self {
        Self { threshold, selected: 0, total: 0 }
    }

    /// Adds one gene's mask.
    pub fn push(&mut self, mask: &[f32]) {
        // `>=` is false for NaN, which is what makes NaN "not selected".
        let selected = mask.iter().filter(|&&m| m >= self.threshold).count();
        self.selected += selected as u64;
        self.total += mask.len() as u64;
    }

    /// Bases selected so far.
    pub fn selected(&self) -> u64 {
        self.selected
    }

    /// Bases seen so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// selected / total; `None` when no base has been seen.
    pub fn ratio(&self) -> Option<f64> {
        (self.total > 0).then(|| self.selected as f64 / self.total as f64)
    }
}
