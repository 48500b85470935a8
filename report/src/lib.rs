//! The seq2exp demo report: one self-contained HTML page (inline SVG, no script, nothing fetched) that
//! compares models run by `runtime predict` on one split of a store:
//!
//! 1. metrics (MSE, MAE, Pearson r, R², mask ratio, element AUPRC), one row per model;
//! 2. predicted vs observed expression per model;
//! 3. element-recovery precision–recall curves of each mask, the DNase peak mask and raw DNase,
//!    computed as `trainer eval` computes them (same labels, same bases, promoter excluded);
//! 4. track panels of a few genes: signals, masks, planted, peak and called elements, TSS;
//! 5. the top links of a `runtime links` table, planted causal pairs marked.
//!
//! Modules by concept: [`inputs`] (readers), [`metrics`], [`panels`] (which genes, what rows),
//! [`plots`] (one module per figure kind), [`html`] and [`sections`] (the page), [`report`] (end to
//! end) and [`cli`]. No libtorch: the crate reads files only.

pub mod cli;
pub mod html;
pub mod inputs;
pub mod metrics;
pub mod panels;
pub mod plots;
pub mod report;
pub mod sections;

pub use report::{build, write, ReportOptions};
