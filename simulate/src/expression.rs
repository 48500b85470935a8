//! Expression: y = log10(CAGE + 1) = b0 + a·p + Σ_causal β·h·r·contact/depth + w·f + ε
//! (the full statement is in the `simulate` module docs).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::config::SimConfig;
use super::genome::{Chromosome, Contribution, Element, ElementKind, Gene, SimGenome, VarianceReport};
use super::hic::{self, bin_of};

/// Draws the 8 features: four z-scores ~ N(0, 1), three GC fractions ~ U(0.35, 0.70),
/// ORFEXONDENSITY ~ LogNormal(ln 0.6, 0.4).
fn draw_features(rng: &mut ChaCha8Rng) -> [f64; 8] {
    let mut f = [0.0; 8];
    for x in f.iter_mut().take(4) {
        *x = StandardNormal.sample(rng);
    }
    for x in f.iter_mut().skip(4).take(3) {
        *x = rng.random_range(0.35..0.70);
    }
    let z: f64 = StandardNormal.sample(rng);
    f[7] = (0.6f64.ln() + 0.4 * z).exp();
    f
}

/// Computes every term of y for the chromosome's genes and returns the causal contributions
/// (element indices local to `elements`).
pub(crate) fn chrom_terms(
    cfg: &SimConfig,
    chrom: &Chromosome,
    genes: &mut [Gene],
    elements: &[Element],
    rng: &mut ChaCha8Rng,
) -> Vec<Contribution> {
    let mut contributions = Vec::new();
    for g in genes.iter_mut() {
        g.features = draw_features(rng);
        let z: f64 = StandardNormal.sample(rng);
        let z2: f64 = StandardNormal.sample(rng);
        let tss_bin = bin_of(cfg, g.tss);
        let mut causal = 0.0;
        for (k, e) in elements.iter().enumerate().filter(|(_, e)| e.kind == ElementKind::Causal) {
            if e.mid().abs_diff(g.tss) > cfg.effect_range {
                continue;
            }
            let contact = hic::expected(cfg, &chrom.loops, bin_of(cfg, e.mid()), tss_bin) / cfg.hic_depth;
            let value = cfg.causal_coef * e.dnase_height as f64 * e.strength * contact;
            causal += value;
            contributions.push(Contribution { gene: g.index, element: k, contact, value });
        }
        let t = &mut g.expr;
        t.promoter = cfg.promoter_coef * g.promoter_activity as f64;
        t.causal = causal;
        t.features = g.features.iter().zip(cfg.feature_weights).map(|(f, w)| f * w).sum();
        t.noise = cfg.noise_sd * z;
        t.y = cfg.b0 + t.promoter + t.causal + t.features + t.noise;
        t.cage = to_cage(t.y);
        t.y_second = t.y + cfg.second_column_noise_sd * z2;
        t.cage_second = to_cage(t.y_second);
    }
    contributions
}

/// Raw CAGE from y: max(10^y − 1, 0), rounded to 3 decimals (as written to expression.csv).
fn to_cage(y: f64) -> f64 {
    ((10f64.powf(y) - 1.0).max(0.0) * 1000.0).round() / 1000.0
}

/// Fills the genome-wide variance report.
pub(crate) fn finish(genome: &mut SimGenome) {
    let terms: Vec<_> = genome.genes.iter().map(|g| &g.expr).collect();
    let col = |f: &dyn Fn(&super::genome::ExpressionTerms) -> f64| -> Vec<f64> { terms.iter().map(|t| f(t)).collect() };
    let y = col(&|t| t.y);
    let noise_free = col(&|t| t.y - t.noise);
    let var_y = variance(&y);
    let frac = |v: f64| if var_y > 0.0 { v / var_y } else { 0.0 };
    let var_causal = variance(&col(&|t| t.causal));
    let var_promoter = variance(&col(&|t| t.promoter));
    let var_features = variance(&col(&|t| t.features));
    let var_noise = variance(&col(&|t| t.noise));
    let r = correlation(&y, &noise_free);
    genome.variance = VarianceReport {
        n_genes: y.len(),
        mean_y: y.iter().sum::<f64>() / y.len().max(1) as f64,
        min_y: y.iter().copied().fold(f64::INFINITY, f64::min),
        max_y: y.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        var_y,
        var_causal,
        var_promoter,
        var_features,
        var_noise,
        fraction_causal: frac(var_causal),
        fraction_promoter: frac(var_promoter),
        fraction_features: frac(var_features),
        fraction_noise: frac(var_noise),
        r2_noise_free: r * r,
    };
}

/// Population variance.
pub fn variance(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / x.len() as f64
}

/// Pearson correlation (0 when either side is constant).
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    if n == 0.0 {
        return 0.0;
    }
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let (vx, vy) = (x.iter().map(|a| (a - mx).powi(2)).sum::<f64>(), y.iter().map(|b| (b - my).powi(2)).sum::<f64>());
    if vx == 0.0 || vy == 0.0 {
        0.0
    } else {
        cov / (vx * vy).sqrt()
    }
}
