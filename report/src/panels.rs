//! The genes drawn as track panels and what each panel shows: the store's DNase, H3K27ac and Hi-C
//! contact over the window, each model's mask, the planted elements (by kind), the DNase peaks and each
//! model's called elements, with the TSS.

use seq2exp_store::Selection;

use crate::inputs::Inputs;

/// An interval as window offsets `[start, end)` with its label (an element's kind).
pub type Span = (usize, usize, String);

/// One gene's panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub gene_id: String,
    pub gene_name: String,
    pub chrom: String,
    /// Genomic position of window offset 0 (may be negative near a chromosome start).
    pub start: i64,
    pub window: usize,
    pub tss: u64,
    pub strand: &'static str,
    /// Truth intervals overlapping the window.
    pub n_truth: usize,
    /// (track name, per-base values) for the store's DNase, H3K27ac and Hi-C, those present.
    pub signals: Vec<(String, Vec<f32>)>,
    /// (model, per-base mask) for each model with a mask for this gene.
    pub masks: Vec<(String, Vec<f32>)>,
    /// Planted elements (kind from --elements, or `causal` for --truth alone); `None` without either.
    pub planted: Option<Vec<Span>>,
    pub peaks: Option<Vec<Span>>,
    /// (model, its elements.bed intervals in the window) for each model with called elements.
    pub called: Vec<(String, Vec<Span>)>,
}

/// The store indices to draw: `requested` (ids or names, in order), else the `n` evaluated genes with
/// the most truth intervals in their window (store order among ties; the first `n` without truth).
pub fn choose(inputs: &Inputs, requested: &[String], n: usize) -> anyhow::Result<Vec<usize>> {
    if !requested.is_empty() {
        return Ok(inputs.store.select(&Selection::Genes(requested.to_vec()))?);
    }
    let l = inputs.store.window();
    let mut ranked: Vec<(usize, usize)> = inputs
        .genes
        .iter()
        .map(|&i| {
            let count = inputs
                .truth
                .as_ref()
                .map_or(0, |t| t.clipped(&inputs.store.genes()[i].chrom, inputs.window_start(i), l).count());
            (i, count)
        })
        .collect();
    ranked.sort_by_key(|&(_, count)| std::cmp::Reverse(count)); // stable: ties keep store order
    Ok(ranked.into_iter().take(n).map(|(i, _)| i).collect())
}

/// Gathers the panel of store index `i`.
pub fn gather(inputs: &Inputs, i: usize) -> anyhow::Result<Panel> {
    let store = &inputs.store;
    let (g, l, start) = (&store.genes()[i], store.window(), inputs.window_start(i));
    let wanted = [("dnase", "DNase"), ("h3k27ac", "H3K27ac"), ("hic", "Hi-C contact")];
    let present: Vec<(&str, &str)> =
        wanted.into_iter().filter(|(n, _)| *n == "hic" || store.meta().track_index(n).is_some()).collect();
    let names: Vec<&str> = present.iter().map(|(n, _)| *n).collect();
    let example = store.read(i, &store.signal_spec(&names)?)?;
    let c = names.len();
    let signals = present
        .iter()
        .enumerate()
        .map(|(k, (_, label))| (label.to_string(), (0..l).map(|p| example.signals[p * c + k]).collect()))
        .collect();
    let mut masks = Vec::new();
    for run in &inputs.models {
        match &run.masks {
            Some(m) if m.contains(&g.id) => masks.push((run.name.clone(), m.mask(&g.id)?)),
            Some(m) => tracing::warn!("{}: no mask for gene {}, left out of its panel", m.path().display(), g.id),
            None => {}
        }
    }
    let spans = |set: &crate::inputs::intervals::IntervalSet, relabel: Option<&str>| -> Vec<Span> {
        set.clipped(&g.chrom, start, l).map(|(a, b, lab)| (a, b, relabel.unwrap_or(lab).to_string())).collect()
    };
    let planted = match (&inputs.elements, &inputs.truth) {
        (Some(e), _) => Some(spans(e, None)),
        (None, Some(t)) => Some(spans(t, Some("causal"))),
        _ => None,
    };
    let called = inputs
        .models
        .iter()
        .filter_map(|run| run.called.as_ref().map(|c| (run.name.clone(), spans(c, Some("called")))))
        .collect();
    Ok(Panel {
        gene_id: g.id.clone(),
        gene_name: g.name.clone(),
        chrom: g.chrom.clone(),
        start,
        window: l,
        tss: g.tss,
        strand: g.strand.as_str(),
        n_truth: inputs.truth.as_ref().map_or(0, |t| t.clipped(&g.chrom, start, l).count()),
        signals,
        masks,
        planted,
        peaks: inputs.peaks.as_ref().map(|p| spans(p, Some("peak"))),
        called,
    })
}
