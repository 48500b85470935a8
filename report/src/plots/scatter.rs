//! Predicted vs observed expression for one model: a point per gene, the line y = x, Pearson r in the
//! title. Both axes share one range so distance from the line reads as error.

use plotters::prelude::*;

use super::{model_colour, padded, plot_error, svg, FONT};
use crate::metrics::ModelMetrics;

pub const SIZE: (u32, u32) = (320, 320);

/// The scatter of `m` (the `k`-th model, for its colour) as an SVG.
pub fn draw(m: &ModelMetrics, k: usize) -> anyhow::Result<String> {
    let all = m.pairs.iter().flat_map(|&(o, p)| [o, p]);
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = padded(lo, hi);
    let title = format!("{}: r = {:.3} (n = {})", m.name, m.regression.pearson, m.regression.n);
    svg(SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 15))
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(44)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("observed log10(CAGE+1)")
            .y_desc("predicted")
            .x_labels(5)
            .y_labels(5)
            .label_style((FONT, 11))
            .draw()
            .map_err(plot_error)?;
        chart.draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.mix(0.5))).map_err(plot_error)?;
        let colour = model_colour(k);
        chart
            .draw_series(m.pairs.iter().map(|&(o, p)| Circle::new((o, p), 3, colour.mix(0.7).filled())))
            .map_err(plot_error)?;
        Ok(())
    })
}
