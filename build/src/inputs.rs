//! Opens every input once and checks that they describe the same genome: a chromosome present in two
//! files with different lengths means two genome builds were mixed, which is an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use seq2exp_formats::bigwig::BigWig;
use seq2exp_formats::cooler::Cooler;
use seq2exp_formats::error::{InputError, Result};
use seq2exp_formats::fasta::Genome;

use super::BuildConfig;

pub struct TrackInput {
    pub name: String,
    pub path: PathBuf,
    pub bigwig: BigWig,
    /// Σ value × span over the whole file (for RPM); never the header's summary.
    pub total: f64,
}

pub struct Inputs {
    pub genome: Genome,
    /// Canonical chromosome name → length, from the FASTA index.
    pub chrom_lengths: HashMap<String, u64>,
    pub tracks: Vec<TrackInput>,
    pub hic: Option<(String, Cooler)>,
    /// Raw-count row sums per chromosome, computed once when the cooler has no balancing weights.
    marginals: Mutex<HashMap<String, Arc<Vec<f64>>>>,
    /// Human-readable notes about what could not be matched.
    pub notes: Vec<String>,
}

impl Inputs {
    pub fn open(cfg: &BuildConfig) -> Result<Self> {
        let genome = Genome::open(&cfg.fasta)?;
        let chrom_lengths: HashMap<String, u64> = genome.chrom_lengths().into_iter().collect();
        if chrom_lengths.is_empty() {
            return Err(InputError::new(&cfg.fasta, "no sequences in the FASTA index"));
        }
        let mut notes = Vec::new();
        let mut tracks = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (name, path) in &cfg.bigwigs {
            if !seen.insert(name.to_lowercase()) {
                return Err(InputError::new(path, format!("track name '{name}' given twice")));
            }
            let bigwig = BigWig::open(path)?;
            let chroms: Vec<(String, u64)> = bigwig.chroms().into_iter().map(|(c, l)| (c, l as u64)).collect();
            check_lengths(path, &chroms, &chrom_lengths, &cfg.fasta, &mut notes)?;
            let total = bigwig.total_sum()?;
            tracks.push(TrackInput { name: name.to_lowercase(), path: path.clone(), bigwig, total });
        }
        let hic = match &cfg.hic {
            Some(spec) => {
                let cooler = Cooler::open(spec)?;
                let file = Path::new(spec.split("::").next().unwrap_or(spec));
                check_lengths(file, &cooler.chroms(), &chrom_lengths, &cfg.fasta, &mut notes)?;
                if !cooler.has_weight() {
                    notes.push(format!("{spec}: no balancing weights; raw counts normalised by the TSS bin's row sum"));
                }
                Some((spec.clone(), cooler))
            }
            None => None,
        };
        Ok(Self { genome, chrom_lengths, tracks, hic, marginals: Mutex::default(), notes })
    }

    /// Contacts of the TSS bin `bin` with chromosome bins `cols` (balanced when the cooler has weights),
    /// divided by the TSS row's cis sum so the row sums to 1 (≈ a no-op for a cooler-balanced matrix,
    /// whose rows already do; essential for raw counts). Off-chromosome = NaN.
    pub fn hic_contacts(&self, chrom: &str, bin: u64, cols: std::ops::Range<i64>) -> Result<Vec<f64>> {
        let (_, cooler) = self.hic.as_ref().expect("hic_contacts needs a cooler");
        if !cooler.has_chrom(chrom) {
            return Ok(vec![0.0; (cols.end - cols.start) as usize]);
        }
        let balanced = cooler.has_weight();
        let marginals = {
            let mut cache = self.marginals.lock().expect("marginals lock");
            match cache.get(chrom) {
                Some(m) => m.clone(),
                None => {
                    let m = Arc::new(cooler.cis_marginals(chrom, balanced)?);
                    cache.insert(chrom.to_string(), m.clone());
                    m
                }
            }
        };
        let total = marginals.get(bin as usize).copied().unwrap_or(0.0);
        let row = cooler.row(chrom, bin, cols, balanced)?;
        Ok(row.into_iter().map(|v| if total > 0.0 { v / total } else { f64::NAN }).collect())
    }

    /// Hi-C bin size in the store: the cooler's, or the power-law fallback's.
    pub fn hic_bin_size(&self) -> u64 {
        self.hic.as_ref().map(|(_, c)| c.binsize()).unwrap_or(super::hic::FALLBACK_BIN_SIZE)
    }

    pub fn hic_description(&self) -> String {
        match &self.hic {
            Some((spec, c)) => format!(
                "contact with the TSS bin from {spec} ({}), ABC processing (diagonal = max neighbour, self-contact QC 0.01, power-law pseudocount, gamma {}), log10(x+1)",
                if c.has_weight() { "balanced / row sum" } else { "raw counts / row sum" },
                super::hic::GAMMA
            ),
            None => format!("no Hi-C given: ABC power-law contact (gamma {}), log10(x+1)", super::hic::GAMMA),
        }
    }
}

/// Fails on a chromosome whose length differs from the FASTA's; notes chromosomes the FASTA lacks.
fn check_lengths(
    file: &Path,
    chroms: &[(String, u64)],
    fasta: &HashMap<String, u64>,
    fasta_path: &Path,
    notes: &mut Vec<String>,
) -> Result<()> {
    let mut unmatched = Vec::new();
    for (name, len) in chroms {
        match fasta.get(name) {
            Some(fl) if fl != len => {
                return Err(InputError::at(
                    file,
                    format!("chromosome {name}"),
                    format!("length {len} differs from {} in {} (different genome builds?)", fl, fasta_path.display()),
                ))
            }
            Some(_) => {}
            None => unmatched.push(name.as_str()),
        }
    }
    if !unmatched.is_empty() {
        let shown: Vec<_> = unmatched.iter().take(8).copied().collect();
        notes.push(format!(
            "{}: {} chromosome(s) not in the FASTA, ignored: {}",
            file.display(),
            unmatched.len(),
            shown.join(", ")
        ));
    }
    let missing: Vec<_> = fasta.keys().filter(|c| !chroms.iter().any(|(n, _)| n == *c)).cloned().collect();
    if !missing.is_empty() && missing.len() < fasta.len() {
        let mut shown = missing.clone();
        shown.sort();
        shown.truncate(8);
        notes.push(format!(
            "{}: lacks {} FASTA chromosome(s) (values there are 0): {}",
            file.display(),
            missing.len(),
            shown.join(", ")
        ));
    }
    Ok(())
}
