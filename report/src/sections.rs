//! The five sections of the page, each from computed numbers and drawn figures; a section whose
//! inputs were not given says which option would fill it.

use crate::html::{escape, figure, missing, number_cell};
use crate::inputs::links::TopLinks;
use crate::metrics::{Computed, Recovery, Scorer};
use crate::panels::Panel;
use crate::plots;

/// 1. The metrics table, one row per model (the paper's Tables 1–2), and the baselines' AUPRC.
pub fn metrics(c: &Computed, has_truth: bool) -> String {
    let mut h = String::from(
        "<table id=\"metrics-table\">\n<tr><th>model</th><th>n</th><th>MSE</th><th>MAE</th><th>Pearson r</th>\
         <th>R²</th><th>mask ratio</th><th>element AUPRC</th></tr>\n",
    );
    for m in &c.models {
        let r = &m.regression;
        h.push_str(&format!(
            "<tr data-model=\"{}\"><td>{}</td><td class=\"num\">{}</td>",
            escape(&m.name),
            escape(&m.name),
            r.n
        ));
        for (name, v) in [("mse", r.mse), ("mae", r.mae), ("pearson", r.pearson), ("r2", r.r2)] {
            h.push_str(&number_cell(name, Some(v)));
        }
        h.push_str(&number_cell("mask_ratio", m.mask_ratio));
        h.push_str(&number_cell("auprc", m.auprc));
        h.push_str("</tr>\n");
    }
    h.push_str(
        "</table>\n<p class=\"note\">Regression metrics over the evaluated genes, log10(CAGE+1). Mask ratio: \
                mean mask over every base, promoter included. Element AUPRC: average precision of the mask \
                against the planted causal elements, promoter excluded (as <code>trainer eval</code>).</p>\n",
    );
    match &c.recovery {
        Some(rec) => {
            let baselines: Vec<String> = rec
                .curves
                .iter()
                .filter(|cv| cv.scorer != Scorer::Mask)
                .map(|cv| {
                    format!(
                        "{} AUPRC <span data-baseline=\"{}\" data-value=\"{}\">{:.4}</span>",
                        escape(&cv.name),
                        escape(&cv.name),
                        cv.curve.ap,
                        cv.curve.ap
                    )
                })
                .collect();
            h.push_str(&format!(
                "<p class=\"note\">Baselines: {}; positive fraction (chance) {:.4}.</p>\n",
                if baselines.is_empty() {
                    "none (give --peaks; the store needs a dnase track)".to_string()
                } else {
                    baselines.join(", ")
                },
                rec.positive_fraction
            ));
        }
        None if !has_truth => {
            h.push_str(&missing("No element AUPRC: give --truth (the planted causal elements, BED)."))
        }
        None => h.push_str(&missing("No element AUPRC: no planted causal base in the evaluated windows.")),
    }
    h
}

/// 2. Predicted vs observed, one small multiple per model.
pub fn scatter(c: &Computed) -> anyhow::Result<String> {
    let mut h = String::from("<div class=\"grid\">\n");
    for (k, m) in c.models.iter().enumerate() {
        let caption = format!("{}: MSE {:.4}, R² {:.4}", m.name, m.regression.mse, m.regression.r2);
        h.push_str(&figure(&plots::scatter::draw(m, k)?, &caption));
    }
    h.push_str("</div>\n");
    Ok(h)
}

/// 3. Element-recovery precision–recall curves.
pub fn recovery(
    rec: Option<&Recovery>,
    model_names: &[String],
    has_truth: bool,
    has_peaks: bool,
) -> anyhow::Result<String> {
    let Some(rec) = rec else {
        return Ok(missing(if has_truth {
            "No curve: no planted causal base in the evaluated windows, or nothing to score."
        } else {
            "Needs --truth (the planted causal elements, BED)."
        }));
    };
    let index = |name: &str| model_names.iter().position(|n| n == name);
    let svg = plots::pr::draw(rec, index)?;
    let caption = format!(
        "Per-base precision–recall against the planted causal elements over {} bases of the evaluated genes' \
         windows (promoter excluded). Models without a mask have no curve.",
        rec.bases
    );
    let mut h = figure(&svg, &caption);
    if !has_peaks {
        h.push_str(&missing("No DNase peak curve: give --peaks (narrowPeak)."));
    }
    Ok(h)
}

/// 4. Track panels of the chosen genes, and the colour key.
pub fn tracks(panels: &[Panel], has_elements: bool, has_truth: bool, has_peaks: bool) -> anyhow::Result<String> {
    let mut h = String::new();
    let key: String = ["causal", "open_decoy", "motif_decoy", "peak"]
        .iter()
        .map(|k| {
            let c = plots::tracks::kind_colour(k);
            format!("<span class=\"swatch\" style=\"background: rgb({},{},{})\"></span>{k}", c.0, c.1, c.2)
        })
        .collect();
    h.push_str(&format!(
        "<p class=\"note\">Key:{key}<span class=\"swatch\" style=\"background: red\"></span>TSS</p>\n"
    ));
    if !has_elements {
        h.push_str(&missing(if has_truth {
            "Planted elements: causal only (give --elements for the decoys)."
        } else {
            "No planted elements: give --elements (or --truth)."
        }));
    }
    if !has_peaks {
        h.push_str(&missing("No DNase peaks row: give --peaks."));
    }
    if panels.is_empty() {
        h.push_str(&missing("No panel: --genes 0."));
    }
    for p in panels {
        h.push_str(&figure(&plots::tracks::draw(p)?, &format!("{} ({})", p.gene_name, p.gene_id)));
    }
    Ok(h)
}

/// 5. The top links as a table, planted causal pairs marked.
pub fn links(top: Option<&TopLinks>, has_truth: bool) -> String {
    let Some(t) = top else { return missing("Needs --links (runtime links' links.tsv).") };
    let mut h = format!("<p class=\"note\">The top {} of {} links by Score.</p>\n", t.rows.len(), t.total);
    h.push_str("<table id=\"links-table\">\n<tr>");
    if t.causal.is_some() {
        h.push_str("<th>planted causal</th>");
    }
    for c in &t.header {
        h.push_str(&format!("<th>{}</th>", escape(c)));
    }
    h.push_str("</tr>\n");
    for (k, row) in t.rows.iter().enumerate() {
        let causal = t.causal.as_ref().map(|c| c[k]);
        h.push_str(if causal == Some(true) { "<tr class=\"causal\">" } else { "<tr>" });
        if let Some(c) = causal {
            h.push_str(if c { "<td data-causal=\"1\">✓</td>" } else { "<td data-causal=\"0\"></td>" });
        }
        for v in row {
            h.push_str(&format!("<td>{}</td>", escape(v)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    if t.causal.is_none() {
        h.push_str(&missing(if has_truth {
            "Planted causal pairs not marked: the file lacks chr/start/end or a gene column."
        } else {
            "Planted causal pairs not marked: give --truth."
        }));
    }
    h
}
