//! Evaluation metrics shared by `trainer eval` and `runtime eval`: the one home of these formulas.
//!
//! # Expression regression ([`RegressionMetrics`])
//! Over the n pairs (p, t) of prediction and target (log10(CAGE+1)) where neither is NaN:
//! - MSE = mean (p − t)², MAE = mean |p − t|;
//! - Pearson r = cov(p, t) / (σ_p σ_t) (population moments; the 1/n cancels), NaN when n < 2 or
//!   either side has zero variance;
//! - R² = 1 − SSE / SST with SST = Σ (t − mean t)², as scikit-learn's `r2_score`, except that
//!   SST = 0 gives NaN (sklearn's `force_finite` default would give 1 or 0).
//!
//! Pairs with a NaN on either side are skipped and counted (`n_skipped`); infinities are not
//! skipped and make the results infinite or NaN. Accumulation is in f64 with Welford-style
//! co-moments of values shifted by the first pair, so a large common offset does not cancel.
//!
//! # Regulatory-element masks ([`average_precision`])
//! Average precision (area under the precision–recall curve) of per-base mask scores against a
//! planted truth, exactly as scikit-learn's `average_precision_score`:
//! AP = Σₖ (Rₖ − Rₖ₋₁) Pₖ over thresholds at the distinct score values (ties form one step).
//! NaN scores rank below every other score (sklearn rejects them). [`positive_fraction`] is the
//! AP of an uninformative scorer, the baseline to read AUPRC against; [`precision_recall_curve`]
//! (or [`ApAccumulator::curve`]) gives the curve whose area that AP is; [`mask_ratio`] is the share
//! of bases a mask selects.
//!
//! # Output
//! Every result type derives `serde::Serialize` (serde_json writes NaN as `null`), and
//! [`MetricsTable`] renders rows of metrics as an aligned plain-text table.

mod mask;
mod ranking;
mod regression;
mod table;

pub use mask::{mask_ratio, MaskRatioAccumulator};
pub use ranking::{average_precision, positive_fraction, precision_recall_curve, ApAccumulator, PrCurve, PrPoint};
pub use regression::{regression_metrics, RegressionAccumulator, RegressionMetrics};
pub use table::MetricsTable;
