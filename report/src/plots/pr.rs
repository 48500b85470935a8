//! Element-recovery precision–recall curves: each learned mask, the DNase peak mask and raw DNase,
//! with AUPRC in the legend and the positive fraction (an uninformative scorer) as a dashed line.

use plotters::prelude::*;
use seq2exp_models::metrics::PrPoint;

use super::{model_colour, plot_error, svg, FONT};
use crate::metrics::{Recovery, Scorer};

pub const SIZE: (u32, u32) = (720, 440);

/// Points of a curve thinned for drawing: the first and last, and each point that moves recall or
/// precision by at least `step` from the last one kept.
pub fn thin(points: &[PrPoint], step: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (k, p) in points.iter().enumerate() {
        let keep = match out.last() {
            None => true,
            Some(&(r, q)) => k + 1 == points.len() || (p.recall - r).abs() >= step || (p.precision - q).abs() >= step,
        };
        if keep {
            out.push((p.recall, p.precision));
        }
    }
    out
}

/// The curves of `rec` as one SVG; mask curves take the colours of their models (`model_index`).
pub fn draw(rec: &Recovery, model_index: impl Fn(&str) -> Option<usize>) -> anyhow::Result<String> {
    svg(SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Element recovery (promoter excluded)", (FONT, 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("recall")
            .y_desc("precision")
            .label_style((FONT, 11))
            .draw()
            .map_err(plot_error)?;
        for c in &rec.curves {
            let (colour, width) = match c.scorer {
                Scorer::Mask => (model_colour(model_index(&c.name).unwrap_or(0)), 2),
                Scorer::Peaks => (RGBColor(60, 60, 60), 2),
                Scorer::Dnase => (RGBColor(150, 150, 150), 2),
            };
            let style = ShapeStyle::from(colour).stroke_width(width);
            chart
                .draw_series(LineSeries::new(thin(&c.curve.points, 0.002), style))
                .map_err(plot_error)?
                .label(format!("{} (AUPRC {:.3})", c.name, c.curve.ap))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
        }
        let f = rec.positive_fraction;
        chart
            .draw_series(DashedLineSeries::new([(0.0, f), (1.0, f)], 6, 4, BLACK.mix(0.6).into()))
            .map_err(plot_error)?
            .label(format!("chance (positive fraction {f:.3})"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.6)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, 12))
            .draw()
            .map_err(plot_error)?;
        Ok(())
    })
}
