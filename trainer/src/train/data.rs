//! Which genes each step reads: a function of (seed, step) alone, so a resumed run reads exactly what an
//! uninterrupted one would. Plus the per-window peak mask of the `peakmask` baseline.

use std::collections::HashMap;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The store indices read by steps `start..end`, `batch` per step: consecutive epochs, each a fresh
/// permutation of `genes` seeded by (seed, epoch).
pub fn step_indices(genes: &[usize], batch: usize, seed: u64, start: usize, end: usize) -> Vec<usize> {
    let n = genes.len();
    let mut out = Vec::with_capacity((end - start) * batch);
    let mut cached: Option<(usize, Vec<usize>)> = None;
    for k in start * batch..end * batch {
        let (epoch, pos) = (k / n, k % n);
        if cached.as_ref().map(|(e, _)| *e) != Some(epoch) {
            let mut perm = genes.to_vec();
            perm.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
            cached = Some((epoch, perm));
        }
        out.push(cached.as_ref().expect("permutation").1[pos]);
    }
    out
}

/// Where the `peakmask` baseline's mask comes from.
pub enum PeakSource {
    /// Intervals of a BED/narrowPeak file, per canonical chromosome, sorted by start.
    Bed(HashMap<String, Vec<(u64, u64)>>),
    /// Bases whose signal channel `channel` exceeds `threshold`.
    Threshold { channel: usize, threshold: f32 },
}

impl PeakSource {
    pub fn from_bed(path: &Path) -> anyhow::Result<Self> {
        let mut map: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
        for iv in seq2exp_formats::bed::read_intervals(path)? {
            map.entry(iv.chrom).or_default().push((iv.start, iv.end));
        }
        map.values_mut().for_each(|v| v.sort_unstable());
        Ok(Self::Bed(map))
    }

    /// 1 for bases of the window `[start, start + len)` on `chrom` inside a peak; `signals` is the
    /// window's `[L, C]` signals (for the threshold form).
    pub fn window_mask(&self, chrom: &str, start: i64, len: usize, signals: &[f32], channels: usize) -> Vec<f32> {
        match self {
            Self::Bed(map) => {
                let mut m = vec![0f32; len];
                for &(s, e) in map.get(chrom).map(Vec::as_slice).unwrap_or(&[]) {
                    let a = (s as i64 - start).clamp(0, len as i64) as usize;
                    let b = (e as i64 - start).clamp(0, len as i64) as usize;
                    m[a..b].iter_mut().for_each(|v| *v = 1.0);
                }
                m
            }
            Self::Threshold { channel, threshold } => {
                (0..len).map(|p| (signals[p * channels + channel] > *threshold) as u8 as f32).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_step_range_reads_the_same_genes_as_the_whole_run() {
        let genes: Vec<usize> = (10..27).collect();
        let all = step_indices(&genes, 4, 7, 0, 30);
        assert_eq!(step_indices(&genes, 4, 7, 11, 30), all[11 * 4..].to_vec());
        // Each epoch is a permutation of the genes.
        let mut first: Vec<usize> = all[..genes.len()].to_vec();
        first.sort();
        assert_eq!(first, genes);
        assert_ne!(all[..genes.len()], all[genes.len()..2 * genes.len()], "epochs are reshuffled");
        assert_ne!(step_indices(&genes, 4, 8, 0, 30), all, "the seed matters");
    }

    #[test]
    fn bed_and_threshold_masks() {
        let bed = PeakSource::Bed(HashMap::from([("chr1".to_string(), vec![(95, 103), (200, 300)])]));
        let m = bed.window_mask("chr1", 100, 10, &[], 1);
        assert_eq!(m, [1., 1., 1., 0., 0., 0., 0., 0., 0., 0.]);
        assert!(bed.window_mask("chr2", 100, 10, &[], 1).iter().all(|&v| v == 0.0));
        let th = PeakSource::Threshold { channel: 1, threshold: 0.5 };
        assert_eq!(th.window_mask("chr1", 0, 3, &[9.0, 0.1, 9.0, 0.9, 0.0, 0.6], 2), [0., 1., 1.]);
    }
}
