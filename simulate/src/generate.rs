//! Generation: motif and roles genome-wide, then each chromosome's layout, sequence, signals, peaks,
//! Hi-C and expression terms (in parallel, one random stream each), then the genome-wide expression.

use indicatif::ProgressBar;
use rayon::prelude::*;
use seq2exp_formats::error::Result;

use super::config::SimConfig;
use super::genome::{Chromosome, Contribution, Element, Gene, SimGenome, VarianceReport};
use super::rng::{stream, Purpose};
use super::roles::{draw_roles, Roles};
use super::{expression, hic, layout, sequence, signals};

/// Generates the genome for `cfg` (deterministic in the seed), without progress reporting.
pub fn generate(cfg: &SimConfig) -> Result<SimGenome> {
    generate_with_progress(cfg, &ProgressBar::hidden())
}

/// Generates the genome for `cfg` (deterministic in the seed); `progress` counts finished chromosomes,
/// which run in parallel.
pub fn generate_with_progress(cfg: &SimConfig, progress: &ProgressBar) -> Result<SimGenome> {
    cfg.validate()?;
    let motif = sequence::draw_motif(cfg, &mut stream(cfg.seed, None, Purpose::Motif));
    let roles = draw_roles(cfg);
    progress.set_length(cfg.chromosomes.len() as u64);
    let parts: Vec<ChromPart> = (0..cfg.chromosomes.len())
        .into_par_iter()
        .map(|c| {
            let part = generate_chrom(cfg, c, &motif, &roles);
            progress.inc(1);
            part
        })
        .collect::<Result<_>>()?;
    progress.finish_and_clear();

    let mut genome = SimGenome {
        config: cfg.clone(),
        motif,
        chroms: vec![],
        genes: vec![],
        elements: vec![],
        contributions: vec![],
        variance: VarianceReport::default(),
    };
    for part in parts {
        let offset = genome.elements.len();
        genome
            .contributions
            .extend(part.contributions.into_iter().map(|c| Contribution { element: c.element + offset, ..c }));
        genome.elements.extend(part.elements);
        genome.genes.extend(part.genes);
        genome.chroms.push(part.chrom);
    }
    expression::finish(&mut genome);
    Ok(genome)
}

/// Everything generated for one chromosome; element indices in `contributions` are local.
struct ChromPart {
    chrom: Chromosome,
    genes: Vec<Gene>,
    elements: Vec<Element>,
    contributions: Vec<Contribution>,
}

fn generate_chrom(cfg: &SimConfig, c: usize, motif: &[u8], roles: &Roles) -> Result<ChromPart> {
    let mut lay = layout::place(cfg, c, roles, &mut stream(cfg.seed, Some(c), Purpose::Layout))?;
    let seq = sequence::build(cfg, motif, &mut lay, &mut stream(cfg.seed, Some(c), Purpose::Sequence));
    let sig = signals::build(cfg, &lay, &mut stream(cfg.seed, Some(c), Purpose::Signals));
    let peaks = signals::call_peaks(cfg, &lay, &sig.dnase_blips, &mut stream(cfg.seed, Some(c), Purpose::Peaks));
    let loops = hic::loops(cfg, &lay.genes, &lay.elements);
    let (hic_bias, pixels) = hic::counts(cfg, lay.length, &loops, &mut stream(cfg.seed, Some(c), Purpose::Hic));
    let chrom = Chromosome {
        name: cfg.chromosomes[c].clone(),
        length: lay.length,
        seq,
        dnase: sig.dnase,
        h3k27ac: sig.h3k27ac,
        peaks,
        blacklist: lay.blacklist,
        n_runs: lay.n_runs,
        explicit_zero: lay.explicit_zero,
        loops,
        hic_bias,
        pixels,
    };
    let mut genes = lay.genes;
    let contributions = expression::chrom_terms(
        cfg,
        &chrom,
        &mut genes,
        &lay.elements,
        &mut stream(cfg.seed, Some(c), Purpose::Expression),
    );
    Ok(ChromPart { chrom, genes, elements: lay.elements, contributions })
}
