//! Where things go on one chromosome: TSSs, transcripts, planted elements, and the masks (N runs,
//! blacklist, explicit-zero stretches, soft-masked repeats). Masks stay out of design windows so they
//! never touch a planted element or a promoter.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::config::SimConfig;
use super::genome::{Element, ElementKind, ExpressionTerms, Gene, GeneType, Strand, Transcript};
use super::rng::{in_range, in_range_f32};
use super::roles::Roles;
use seq2exp_formats::error::{InputError, Result};

/// The placed, not yet sequenced, contents of one chromosome.
pub(crate) struct Layout {
    pub length: u64,
    pub genes: Vec<Gene>,
    pub elements: Vec<Element>,
    pub blacklist: Vec<(u64, u64)>,
    pub n_runs: Vec<(u64, u64)>,
    pub explicit_zero: Vec<(u64, u64)>,
    pub softmask: Vec<(u64, u64)>,
}

/// Places genes, elements and masks on chromosome `c`.
pub(crate) fn place(cfg: &SimConfig, c: usize, roles: &Roles, rng: &mut ChaCha8Rng) -> Result<Layout> {
    let length = cfg.chrom_length();
    let mut genes = Vec::with_capacity(cfg.genes_per_chrom);
    let mut elements = Vec::new();
    for i in 0..cfg.genes_per_chrom {
        let index = c * cfg.genes_per_chrom + i;
        let gene = place_gene(cfg, c, index, i, roles, rng);
        elements.extend(place_elements(cfg, &gene, rng)?);
        genes.push(gene);
    }
    elements.sort_by_key(|e| e.start);
    let free = free_zones(cfg, length, &genes);
    let mut n_runs = vec![(0, in_range(rng, cfg.n_run_length).min(length))];
    for _ in 1..cfg.n_runs_per_chrom {
        n_runs.extend(in_free(rng, &free, cfg.n_run_length));
    }
    let blacklist = (0..cfg.blacklist_per_chrom).filter_map(|_| in_free(rng, &free, cfg.blacklist_length)).collect();
    let explicit_zero =
        (0..cfg.explicit_zero_stretches).filter_map(|_| in_free(rng, &free, cfg.explicit_zero_length)).collect();
    let softmask = softmask_stretches(cfg, length, rng);
    let sort = |mut v: Vec<(u64, u64)>| {
        v.sort_unstable();
        v
    };
    Ok(Layout {
        length,
        genes,
        elements,
        blacklist: sort(blacklist),
        n_runs: sort(n_runs),
        explicit_zero: sort(explicit_zero),
        softmask,
    })
}

fn place_gene(cfg: &SimConfig, c: usize, index: usize, i: usize, roles: &Roles, rng: &mut ChaCha8Rng) -> Gene {
    let jitter = cfg.tss_jitter as i64;
    let grid = (i as u64 + 1) * cfg.gene_spacing;
    let tss = (grid as i64 + rng.random_range(-jitter..=jitter)) as u64;
    let strand = if rng.random_bool(0.5) { Strand::Plus } else { Strand::Minus };
    let gene_type = if roles.lncrna.contains(&index) { GeneType::LncRna } else { GeneType::ProteinCoding };
    let version = rng.random_range(1..=15u32);
    let name = match gene_type {
        GeneType::ProteinCoding => format!("SIMG{}", index + 1),
        GeneType::LncRna => format!("LINC-SIM{}", index + 1),
    };
    let transcripts = place_transcripts(cfg, index, tss, strand, rng);
    let promoter_activity = in_range_f32(rng, cfg.promoter_activity);
    let ac_noise = (cfg.h3k27ac_height_sd * standard_normal(rng)).exp();
    Gene {
        index,
        id: format!("ENSGSIM{:011}.{version}", index + 1),
        name,
        chrom: c,
        tss,
        strand,
        gene_type,
        has_gene_row: !roles.no_gene_row.contains(&index),
        in_expression: !roles.missing_expression.contains(&index),
        transcripts,
        promoter_activity,
        promoter_h3k27ac: cfg.h3k27ac_ratio * promoter_activity * ac_noise,
        features: [0.0; 8],
        expr: ExpressionTerms::default(),
    }
}

/// A standard normal draw (Box–Muller on two uniforms), as f32.
pub(crate) fn standard_normal(rng: &mut impl Rng) -> f32 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// Transcripts in gene-relative offsets [a, b) from the TSS, mapped onto the strand. The first one is
/// the longest and starts at the TSS; a second one (if any) starts downstream, so the gene's TSS is
/// the 5'-most transcript start whether or not the GTF has a gene row.
fn place_transcripts(cfg: &SimConfig, index: usize, tss: u64, strand: Strand, rng: &mut ChaCha8Rng) -> Vec<Transcript> {
    let room = match strand {
        Strand::Plus => cfg.chrom_length() - tss,
        Strand::Minus => tss + 1,
    };
    let body = in_range(rng, cfg.gene_length).min(room).max(1);
    let mut spans = vec![(0, body)];
    if rng.random_bool(cfg.second_transcript_prob) && body >= 3_000 {
        let a = rng.random_range(200..2_000.min(body / 2).max(201));
        let b = body - rng.random_range(0..=body / 3);
        spans.push((a, b.max(a + 500)));
    }
    spans
        .into_iter()
        .enumerate()
        .map(|(t, (a, b))| {
            let exons = exon_offsets(cfg, a, b, rng);
            let map = |x: u64, y: u64| match strand {
                Strand::Plus => (tss + x, tss + y),
                Strand::Minus => (tss + 1 - y, tss + 1 - x),
            };
            let (start, end) = map(a, b);
            let mut exons: Vec<(u64, u64)> = exons.into_iter().map(|(x, y)| map(x, y)).collect();
            exons.sort_unstable();
            Transcript { id: format!("ENSTSIM{:09}{:02}.1", index + 1, t + 1), start, end, exons }
        })
        .collect()
}

/// Exons covering [a, b): first starts at a, last ends at b, introns at least 60 bp.
fn exon_offsets(cfg: &SimConfig, a: u64, b: u64, rng: &mut ChaCha8Rng) -> Vec<(u64, u64)> {
    let (lo, hi) = cfg.exons_per_transcript;
    let mut k = rng.random_range(lo.max(1)..=hi.max(lo.max(1)));
    let lens: Vec<u64> = (0..k).map(|_| rng.random_range(80..=400)).collect();
    let exon_total: u64 = lens.iter().sum();
    if k == 1 || exon_total + 60 * (k as u64 - 1) >= b - a {
        k = 1;
    }
    if k == 1 {
        return vec![(a, b)];
    }
    // Split the intron total into k − 1 parts at sorted uniform cuts.
    let intron_total = b - a - exon_total;
    let spare = intron_total - 60 * (k as u64 - 1);
    let mut cuts: Vec<u64> = (0..k - 2).map(|_| rng.random_range(0..=spare)).collect();
    cuts.sort_unstable();
    cuts.insert(0, 0);
    cuts.push(spare);
    let mut exons = Vec::with_capacity(k);
    let mut pos = a;
    for (e, len) in lens.iter().enumerate() {
        exons.push((pos, pos + len));
        pos += len;
        if e + 1 < k {
            pos += 60 + cuts[e + 1] - cuts[e];
        }
    }
    exons
}

/// Places the gene's elements uniformly in TSS ± window/2, outside the promoter, apart from each other.
fn place_elements(cfg: &SimConfig, gene: &Gene, rng: &mut ChaCha8Rng) -> Result<Vec<Element>> {
    let n_causal = rng.random_range(cfg.causal_per_gene.0..=cfg.causal_per_gene.1);
    let kinds = std::iter::repeat_n(ElementKind::Causal, n_causal)
        .chain(std::iter::repeat_n(ElementKind::OpenDecoy, cfg.open_decoys_per_gene))
        .chain(std::iter::repeat_n(ElementKind::MotifDecoy, cfg.motif_decoys_per_gene));
    let (lo, hi) = (gene.tss - cfg.design_window / 2, gene.tss + cfg.design_window / 2 - cfg.element_length);
    let (p_lo, p_hi) = (gene.tss - cfg.promoter_half_width, gene.tss + cfg.promoter_half_width);
    let mut out: Vec<Element> = Vec::new();
    for kind in kinds {
        let start = (0..10_000)
            .map(|_| rng.random_range(lo..=hi))
            .find(|&s| {
                let e = s + cfg.element_length;
                let clear_promoter = e <= p_lo || s >= p_hi;
                clear_promoter
                    && out.iter().all(|o| e + cfg.element_min_gap <= o.start || s >= o.end + cfg.element_min_gap)
            })
            .ok_or_else(|| {
                InputError::new("simulation config", format!("could not place elements for gene {}", gene.id))
            })?;
        out.push(new_element(cfg, gene, kind, start, rng));
    }
    Ok(out)
}

fn new_element(cfg: &SimConfig, gene: &Gene, kind: ElementKind, start: u64, rng: &mut ChaCha8Rng) -> Element {
    let dnase_height = if kind.accessible() { in_range_f32(rng, cfg.dnase_height) } else { 0.0 };
    let boost = if kind == ElementKind::Causal { cfg.h3k27ac_causal_boost } else { 1.0 };
    let ac_noise = (cfg.h3k27ac_height_sd * standard_normal(rng)).exp();
    let strength = match kind {
        ElementKind::Causal if cfg.strength.1 > cfg.strength.0 => rng.random_range(cfg.strength.0..cfg.strength.1),
        ElementKind::Causal => cfg.strength.0,
        _ => 0.0,
    };
    Element {
        chrom: gene.chrom,
        start,
        end: start + cfg.element_length,
        kind,
        gene: gene.index,
        dnase_height,
        h3k27ac_height: cfg.h3k27ac_ratio * dnase_height * boost * ac_noise,
        strength,
        motif_sites: Vec::new(),
        looped: rng.random_bool(cfg.loop_prob),
    }
}

/// Stretches outside every design window (± 1 kb margin), where masks may go.
fn free_zones(cfg: &SimConfig, length: u64, genes: &[Gene]) -> Vec<(u64, u64)> {
    let half = cfg.design_window / 2 + 1_000;
    let mut zones = Vec::new();
    let mut pos = 0;
    for g in genes {
        let lo = g.tss.saturating_sub(half);
        if lo > pos {
            zones.push((pos, lo));
        }
        pos = pos.max(g.tss + half);
    }
    if pos < length {
        zones.push((pos, length));
    }
    zones
}

/// A random stretch with length in `len_range`, inside a random free zone that can hold it.
fn in_free(rng: &mut ChaCha8Rng, free: &[(u64, u64)], len_range: (u64, u64)) -> Option<(u64, u64)> {
    let len = in_range(rng, len_range);
    let fits: Vec<&(u64, u64)> = free.iter().filter(|(a, b)| b - a > len).collect();
    if fits.is_empty() {
        return None;
    }
    let &(a, b) = fits[rng.random_range(0..fits.len())];
    let start = rng.random_range(a..=b - len);
    Some((start, start + len))
}

/// Soft-masked (lower-case) stretches anywhere, sorted; they may overlap elements (case is ignored).
fn softmask_stretches(cfg: &SimConfig, length: u64, rng: &mut ChaCha8Rng) -> Vec<(u64, u64)> {
    let n = (cfg.softmask_per_10kb * length as f64 / 10_000.0).round() as usize;
    let mut out: Vec<(u64, u64)> = (0..n)
        .map(|_| {
            let len = in_range(rng, cfg.softmask_length).min(length);
            let start = rng.random_range(0..=length - len);
            (start, start + len)
        })
        .collect();
    out.sort_unstable();
    out
}
