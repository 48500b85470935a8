//! One gene's track panel: rows sharing the window's genomic x axis — the store's signals, each model's
//! mask (0–1), the planted elements coloured by kind, the DNase peaks and each model's called elements —
//! with the TSS as a red line through every row. Signals and masks are drawn per pixel column at their
//! maximum, so narrow elements stay visible at any window size.

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{bin_max, model_colour, plot_error, FONT};
use crate::panels::{Panel, Span};

pub const WIDTH: u32 = 960;
const LABEL_WIDTH: u32 = 150;
const AXIS: u32 = 30;
const TITLE: u32 = 28;
const BINS: usize = 720;

/// The colour of a planted element kind (the simulator's labels), a peak or a called element.
pub fn kind_colour(kind: &str) -> RGBColor {
    match kind {
        "causal" => RGBColor(214, 39, 40),
        "open_decoy" => RGBColor(255, 127, 14),
        "motif_decoy" => RGBColor(148, 103, 189),
        "peak" => RGBColor(44, 160, 44),
        _ => RGBColor(110, 110, 110),
    }
}

/// What one row shows.
enum Row<'a> {
    Values { label: String, values: &'a [f32], colour: RGBColor, unit_range: bool },
    Spans { label: String, spans: &'a [Span], colour: Option<RGBColor> },
}

impl Row<'_> {
    fn height(&self) -> u32 {
        match self {
            Row::Values { unit_range: false, .. } => 56,
            Row::Values { .. } => 40,
            Row::Spans { .. } => 22,
        }
    }
}

fn rows(p: &Panel) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    let signal_colours = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(90, 90, 90)];
    for ((label, values), colour) in p.signals.iter().zip(signal_colours.iter().cycle()) {
        rows.push(Row::Values { label: label.clone(), values, colour: *colour, unit_range: false });
    }
    for (k, (name, values)) in p.masks.iter().enumerate() {
        rows.push(Row::Values { label: format!("mask: {name}"), values, colour: model_colour(k), unit_range: true });
    }
    if let Some(spans) = &p.planted {
        rows.push(Row::Spans { label: "planted elements".into(), spans, colour: None });
    }
    if let Some(spans) = &p.peaks {
        rows.push(Row::Spans { label: "DNase peaks".into(), spans, colour: None });
    }
    for (k, (name, spans)) in p.called.iter().enumerate() {
        rows.push(Row::Spans { label: format!("called: {name}"), spans, colour: Some(model_colour(k)) });
    }
    rows
}

/// The panel of `p` as one SVG.
pub fn draw(p: &Panel) -> anyhow::Result<String> {
    let rows = rows(p);
    let height = TITLE + AXIS + rows.iter().map(Row::height).sum::<u32>();
    let title = format!(
        "{} ({}) {}:{}-{} ({} strand), {} planted causal interval(s)",
        p.gene_name,
        p.gene_id,
        p.chrom,
        p.start.max(0),
        p.start + p.window as i64,
        p.strand,
        p.n_truth
    );
    super::svg((WIDTH, height), |root| {
        let body = root.titled(&title, (FONT, 15)).map_err(plot_error)?;
        let mut breaks = Vec::new();
        let mut y = 0;
        for r in &rows[..rows.len().saturating_sub(1)] {
            y += r.height() as i32;
            breaks.push(y);
        }
        let areas = body.split_by_breakpoints([] as [i32; 0], breaks);
        let x = p.start as f64..(p.start + p.window as i64) as f64;
        for (k, (row, area)) in rows.iter().zip(&areas).enumerate() {
            draw_row(area, row, x.clone(), p, k + 1 == rows.len())?;
        }
        Ok(())
    })
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn draw_row(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    row: &Row<'_>,
    x: Range<f64>,
    p: &Panel,
    last: bool,
) -> anyhow::Result<()> {
    let (label_area, plot_area) = area.split_horizontally(LABEL_WIDTH);
    let label = match row {
        Row::Values { label, .. } | Row::Spans { label, .. } => label,
    };
    let (_, h) = label_area.dim_in_pixel();
    let text_y = if last { (h as i32 - AXIS as i32) / 2 } else { h as i32 / 2 };
    label_area.draw(&Text::new(label.clone(), (6, text_y - 6), (FONT, 12).into_font())).map_err(plot_error)?;
    let y_top = match row {
        Row::Values { values, unit_range: false, .. } => {
            values.iter().copied().fold(0f32, f32::max).max(1e-6) as f64 * 1.05
        }
        _ => 1.0,
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_right(12)
        .margin_top(3)
        .x_label_area_size(if last { AXIS } else { 0 })
        .y_label_area_size(44)
        .build_cartesian_2d(x.clone(), 0f64..y_top)
        .map_err(plot_error)?;
    let spans_row = matches!(row, Row::Spans { .. });
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(if last { 7 } else { 0 })
        .y_labels(if spans_row { 0 } else { 2 })
        .x_label_formatter(&|v| format!("{:.3} Mb", v / 1e6))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .label_style((FONT, 10))
        .draw()
        .map_err(plot_error)?;
    draw_body(&mut chart, row, x.start, y_top)?;
    let tss = p.tss as f64;
    chart.draw_series(LineSeries::new([(tss, 0.0), (tss, y_top)], RED.stroke_width(1))).map_err(plot_error)?;
    Ok(())
}

fn draw_body(chart: &mut Chart<'_, '_>, row: &Row<'_>, x0: f64, y_top: f64) -> anyhow::Result<()> {
    match row {
        Row::Values { values, colour, .. } => {
            let points: Vec<(f64, f64)> = bin_max(values, BINS).into_iter().map(|(o, v)| (x0 + o, v)).collect();
            chart
                .draw_series(AreaSeries::new(points, 0.0, colour.mix(0.35)).border_style(*colour))
                .map_err(plot_error)?;
        }
        Row::Spans { spans, colour, .. } => {
            chart
                .draw_series(spans.iter().map(|(a, b, kind)| {
                    let c = colour.unwrap_or_else(|| kind_colour(kind));
                    // At least one pixel's worth of window, so a short element is still drawn.
                    let b = (*b as f64).max(*a as f64 + 1.0);
                    Rectangle::new([(x0 + *a as f64, 0.15 * y_top), (x0 + b, 0.85 * y_top)], c.filled())
                }))
                .map_err(plot_error)?;
        }
    }
    Ok(())
}
