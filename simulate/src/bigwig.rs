//! dnase.bw and h3k27ac.bw. Each run of constant signal becomes one
//! interval; bases without a run are absent (readers see NaN), except the explicit-zero stretches,
//! which are written as 0.0 intervals. Chromosomes are written in config order (not sorted by name).

use std::collections::HashMap;
use std::path::Path;

use seq2exp_formats::bigwig::writer::{write_bigwig, Interval};
use seq2exp_formats::error::{InputError, Result};

use super::genome::{SignalRuns, SimGenome};

/// Which track of each chromosome to write.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    /// dnase.bw
    Dnase,
    /// h3k27ac.bw
    H3k27ac,
}

fn track(chrom: &super::genome::Chromosome, which: Which) -> &SignalRuns {
    match which {
        Which::Dnase => &chrom.dnase,
        Which::H3k27ac => &chrom.h3k27ac,
    }
}

/// Writes one track of every chromosome as a bigWig at `path`.
pub fn write(genome: &SimGenome, which: Which, path: &Path) -> Result<()> {
    let sizes: HashMap<String, u32> = genome.chroms.iter().map(|c| (c.name.clone(), c.length as u32)).collect();
    if genome.chroms.iter().all(|c| track(c, which).runs.is_empty()) {
        return Err(InputError::new(path, "track has no data at all; bigWig needs at least one interval"));
    }
    let values = genome.chroms.iter().flat_map(move |c| {
        track(c, which)
            .runs
            .iter()
            .map(move |r| (c.name.clone(), Interval { start: r.start as u32, end: r.end as u32, value: r.value }))
    });
    write_bigwig(path, sizes, values).map_err(|e| match e {
        bigtools::BBIProcessError::IoError(e) => InputError::io(path, e),
        other => InputError::wrap(path, other),
    })
}
