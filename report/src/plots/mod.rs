//! The report's figures, one module per kind, each drawn by plotters into an SVG string that the page
//! inlines: [`scatter`] (predicted vs observed), [`pr`] (element-recovery precision–recall curves) and
//! [`tracks`] (one gene's signals, masks and elements).

pub mod pr;
pub mod scatter;
pub mod tracks;

use plotters::prelude::*;
use plotters::style::RGBColor;

/// Matplotlib's tab10: one colour per model, in order.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of the `k`-th model.
pub fn model_colour(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

pub const FONT: &str = "sans-serif";

/// Draws into a `width × height` SVG and returns its text (one `<svg>` element).
pub fn svg(
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    Ok(text)
}

/// plotters' errors as anyhow errors (their backend errors are not all `Sync`).
pub fn plot_error<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a figure: {e}")
}

/// `values` reduced to at most `bins` points: (centre offset, maximum of the bin), so a narrow peak
/// survives at any width.
pub fn bin_max(values: &[f32], bins: usize) -> Vec<(f64, f64)> {
    if values.is_empty() || bins == 0 {
        return Vec::new();
    }
    let per = values.len().div_ceil(bins);
    values
        .chunks(per)
        .enumerate()
        .map(|(k, c)| {
            let max = c.iter().copied().filter(|v| !v.is_nan()).fold(f32::NEG_INFINITY, f32::max);
            ((k * per) as f64 + c.len() as f64 / 2.0, if max.is_finite() { max as f64 } else { 0.0 })
        })
        .collect()
}

/// A value's range padded by 5% on each side (a unit range around a constant).
pub fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_keeps_each_bins_maximum() {
        let v = [0.0, 5.0, 1.0, 0.0, 0.0, 2.0, f32::NAN];
        assert_eq!(bin_max(&v, 3), vec![(1.5, 5.0), (4.5, 2.0), (6.5, 0.0)]);
        assert_eq!(bin_max(&v, 100).len(), 7);
    }
}
