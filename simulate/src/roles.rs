//! Gene roles (lncRNA, no gene row, missing expression) drawn genome-wide, before the per-chromosome
//! streams, so they do not depend on how genes fall on chromosomes.

use std::collections::HashSet;

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use super::config::SimConfig;
use super::rng::{stream, Purpose};

/// Gene roles drawn genome-wide before the per-chromosome streams.
pub(crate) struct Roles {
    pub lncrna: HashSet<usize>,
    pub no_gene_row: HashSet<usize>,
    pub missing_expression: HashSet<usize>,
}

pub(crate) fn draw_roles(cfg: &SimConfig) -> Roles {
    let mut rng = stream(cfg.seed, None, Purpose::Roles);
    let n = cfg.n_genes();
    let count = |frac: f64, min: usize, of: usize| ((frac * n as f64).round() as usize).max(min).min(of);
    let n_lnc = count(cfg.lncrna_fraction, 1, n.saturating_sub(1));
    let lncrna: HashSet<usize> = sample(&mut rng, n, n_lnc).into_iter().collect();
    let coding: Vec<usize> = (0..n).filter(|g| !lncrna.contains(g)).collect();
    let pick = |rng: &mut ChaCha8Rng, k: usize| -> HashSet<usize> {
        sample(rng, coding.len(), k).into_iter().map(|i| coding[i]).collect()
    };
    let no_gene_row = pick(&mut rng, count(cfg.no_gene_row_fraction, 1, coding.len()));
    let missing_expression = pick(&mut rng, count(cfg.missing_expression_fraction, 2, coding.len().saturating_sub(1)));
    Roles { lncrna, no_gene_row, missing_expression }
}
