//! The report from end to end: read the inputs, compute, draw, assemble the page and write it
//! atomically.

use std::path::{Path, PathBuf};

use seq2exp_formats::error::InputError;
use seq2exp_store::Split;

use crate::html::{escape, Page};
use crate::inputs::{Inputs, ModelSpec, SideFiles};
use crate::metrics::{compute, Promoter};
use crate::{panels, sections};

/// What to draw and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    pub store: PathBuf,
    pub models: Vec<ModelSpec>,
    pub side: SideFiles,
    pub split: Split,
    pub fold: usize,
    pub target: usize,
    /// Number of track panels when `genes` is empty.
    pub n_genes: usize,
    /// Genes (ids or names) to draw as track panels.
    pub genes: Vec<String>,
    pub promoter_half_width: usize,
    pub top_links: usize,
    pub out: PathBuf,
}

/// The page's HTML.
pub fn build(o: &ReportOptions) -> anyhow::Result<String> {
    anyhow::ensure!(!o.models.is_empty(), "no --model given (NAME=DIR, a `runtime predict` output directory)");
    let inputs = Inputs::read(&o.store, &o.models, &o.side, (o.split, o.fold, o.target))?;
    let promoter = Promoter::new(inputs.store.window(), o.promoter_half_width)?;
    let computed = compute(&inputs, promoter)?;
    tracing::info!("metrics and recovery computed");
    let chosen = panels::choose(&inputs, &o.genes, o.n_genes)?;
    let panels = chosen.iter().map(|&i| panels::gather(&inputs, i)).collect::<anyhow::Result<Vec<_>>>()?;
    let top = inputs
        .links
        .as_deref()
        .map(|p| crate::inputs::links::top_links(p, o.top_links, inputs.truth.as_ref()))
        .transpose()?;
    let names: Vec<String> = inputs.models.iter().map(|m| m.name.clone()).collect();
    let (has_truth, has_peaks) = (inputs.truth.is_some(), inputs.peaks.is_some());
    let intro = format!(
        "Store <code>{}</code>; {} genes of the {} split of fold {} with a target; models: {}.",
        escape(&o.store.display().to_string()),
        inputs.genes.len(),
        o.split,
        o.fold,
        o.models
            .iter()
            .map(|m| format!("{} (<code>{}</code>)", escape(&m.name), escape(&m.dir.display().to_string())))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut page = Page::new("seq2exp report", &intro);
    page.section("metrics", "Metrics", &sections::metrics(&computed, has_truth));
    page.section("scatter", "Predicted vs observed", &sections::scatter(&computed)?);
    let recovery = sections::recovery(computed.recovery.as_ref(), &names, has_truth, has_peaks)?;
    page.section("recovery", "Element recovery", &recovery);
    page.section(
        "tracks",
        "Track panels",
        &sections::tracks(&panels, inputs.elements.is_some(), has_truth, has_peaks)?,
    );
    page.section("links", "Top links", &sections::links(top.as_ref(), has_truth));
    tracing::info!(panels = panels.len(), "page drawn");
    Ok(page.finish())
}

/// Builds the page and writes it to `o.out` atomically (a temporary sibling renamed into place).
pub fn write(o: &ReportOptions) -> anyhow::Result<PathBuf> {
    let html = build(o)?;
    write_html(&o.out, &html)?;
    tracing::info!("wrote {} ({} KiB)", o.out.display(), html.len() / 1024);
    Ok(o.out.clone())
}

fn write_html(out: &Path, html: &str) -> anyhow::Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| InputError::io(dir, e))?;
    }
    seq2exp_store::output::write_file(out, html).map_err(|e| InputError::io(out, e))?;
    Ok(())
}
