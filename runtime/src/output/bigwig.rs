//! The genome-wide mask track `mask.bw`.
//!
//! Windows of nearby genes overlap; where they do, a base gets the MAX of the overlapping genes' masks
//! (a base is marked if it matters to any gene). Bases in no window have no value. Values are rounded
//! to a multiple of `quantum` (default 0.01) so that runs of equal value merge into one bigWig record;
//! the per-gene masks in `masks.h5` keep full precision. Positions outside the chromosome are dropped.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use seq2exp_formats::bigwig::writer::{write_bigwig, Interval as Value};

use super::masks::MaskFile;
use super::{write_atomic, OutputError};

pub const BIGWIG_NAME: &str = "mask.bw";

/// Max-combines the windows of one chromosome as they arrive sorted by start, emitting finished runs.
struct Combiner {
    chrom: String,
    size: u64,
    quantum: f32,
    /// `buf[k]` is the value at `origin + k` (NaN: no window yet).
    origin: i64,
    buf: VecDeque<f32>,
    out: VecDeque<(String, Value)>,
}

impl Combiner {
    fn new(chrom: &str, size: u64, quantum: f32) -> Self {
        Self { chrom: chrom.to_string(), size, quantum, origin: 0, buf: VecDeque::new(), out: VecDeque::new() }
    }

    /// Emits every position before `until` (no later window can reach them).
    fn flush(&mut self, until: i64) {
        let mut run: Option<(u64, u64, f32)> = None;
        while self.origin < until {
            let Some(v) = self.buf.pop_front() else {
                self.origin = until;
                break;
            };
            let p = self.origin;
            self.origin += 1;
            if v.is_nan() || p < 0 || p as u64 >= self.size {
                self.close(run.take());
                continue;
            }
            let q = (v / self.quantum).round() * self.quantum;
            match &mut run {
                Some((_, end, val)) if *end == p as u64 && *val == q => *end += 1,
                _ => {
                    self.close(run.take());
                    run = Some((p as u64, p as u64 + 1, q));
                }
            }
        }
        self.close(run);
    }

    fn close(&mut self, run: Option<(u64, u64, f32)>) {
        if let Some((start, end, value)) = run {
            self.out.push_back((self.chrom.clone(), Value { start: start as u32, end: end as u32, value }));
        }
    }

    fn add(&mut self, start: i64, mask: &[f32]) {
        self.flush(start);
        if self.buf.is_empty() {
            self.origin = start;
        }
        let need = (start - self.origin) as usize + mask.len();
        if self.buf.len() < need {
            self.buf.resize(need, f32::NAN);
        }
        let off = (start - self.origin) as usize;
        for (k, &v) in mask.iter().enumerate() {
            let b = &mut self.buf[off + k];
            *b = if b.is_nan() { v } else { b.max(v) };
        }
    }
}

/// Writes `out` (a bigWig) from every gene of `masks`. `chrom_sizes` come from the store; chromosomes
/// it lacks (older stores) get the end of their last window as their size.
pub fn write_mask_bigwig(
    masks: MaskFile,
    chrom_sizes: &[(String, u64)],
    quantum: f32,
    out: &Path,
) -> Result<(), OutputError> {
    if !quantum.is_finite() || quantum <= 0.0 {
        return Err(OutputError::invalid("--bigwig-quantum", "must be > 0"));
    }
    let mut sizes: HashMap<String, u64> = chrom_sizes.iter().cloned().collect();
    let rank: HashMap<String, usize> = chrom_sizes.iter().enumerate().map(|(i, (c, _))| (c.clone(), i)).collect();
    for (c, &s) in masks.chroms.iter().zip(&masks.starts) {
        let end = (s + masks.window as i64).max(1) as u64;
        if !rank.contains_key(c) {
            let e = sizes.entry(c.clone()).or_insert(0);
            *e = (*e).max(end);
        }
    }
    let mut order: Vec<usize> = (0..masks.len()).collect();
    order.sort_by_key(|&r| {
        (rank.get(&masks.chroms[r]).copied().unwrap_or(usize::MAX), masks.chroms[r].clone(), masks.starts[r])
    });
    if order.is_empty() {
        return Err(OutputError::invalid(out.display(), "no masks to write"));
    }
    let failure: Arc<Mutex<Option<OutputError>>> = Arc::default();
    let values = values(masks, order, sizes.clone(), quantum, failure.clone());
    let sizes32: HashMap<String, u32> = sizes.into_iter().map(|(c, s)| (c, s.min(u32::MAX as u64) as u32)).collect();
    write_atomic(out, |tmp| {
        write_bigwig(tmp, sizes32, values).map_err(|e| match e {
            bigtools::BBIProcessError::IoError(e) => OutputError::io(tmp, e),
            other => OutputError::invalid(out.display(), other.to_string()),
        })?;
        match failure.lock().expect("no panics while holding the lock").take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

/// The stream of bigWig records, chromosome by chromosome; read errors stop it and land in `failure`.
fn values(
    masks: MaskFile,
    order: Vec<usize>,
    sizes: HashMap<String, u64>,
    quantum: f32,
    failure: Arc<Mutex<Option<OutputError>>>,
) -> impl Iterator<Item = (String, Value)> {
    let mut next = order.into_iter();
    let mut comb: Option<Combiner> = None;
    let mut pending: VecDeque<(String, Value)> = VecDeque::new();
    std::iter::from_fn(move || loop {
        if let Some(v) = pending.pop_front() {
            return Some(v);
        }
        let Some(r) = next.next() else {
            let mut c = comb.take()?;
            c.flush(i64::MAX);
            pending = c.out;
            continue;
        };
        let chrom = &masks.chroms[r];
        if comb.as_ref().is_none_or(|c| &c.chrom != chrom) {
            if let Some(mut c) = comb.take() {
                c.flush(i64::MAX);
                pending = c.out;
            }
            comb = Some(Combiner::new(chrom, sizes[chrom], quantum));
        }
        let mask = match masks.mask(r) {
            Ok(m) => m,
            Err(e) => {
                *failure.lock().expect("lock") = Some(e);
                return None;
            }
        };
        let c = comb.as_mut().expect("set above");
        c.add(masks.starts[r], &mask);
        pending.extend(c.out.drain(..));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(c: &mut Combiner) -> Vec<(u32, u32, f32)> {
        c.out.drain(..).map(|(_, v)| (v.start, v.end, v.value)).collect()
    }

    #[test]
    fn overlapping_windows_take_the_max_and_runs_merge() {
        let mut c = Combiner::new("chr1", 100, 0.5);
        c.add(2, &[1.0, 1.0, 0.0, 0.0]);
        c.add(4, &[0.5, 0.0, 1.0]);
        c.flush(i64::MAX);
        // positions 2..4 = 1, 4 = max(0, .5) = .5, 5 = 0, 6 = 1
        assert_eq!(runs(&mut c), vec![(2, 4, 1.0), (4, 5, 0.5), (5, 6, 0.0), (6, 7, 1.0)]);
    }

    #[test]
    fn positions_outside_the_chromosome_are_dropped() {
        let mut c = Combiner::new("chr1", 5, 0.01);
        c.add(-2, &[0.3, 0.3, 0.3, 0.3]);
        c.add(3, &[0.7, 0.7, 0.7]);
        c.flush(i64::MAX);
        let r = runs(&mut c);
        assert_eq!(r.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(), vec![(0, 2), (3, 5)]);
        assert!((r[0].2 - 0.3).abs() < 1e-6 && (r[1].2 - 0.7).abs() < 1e-6);
    }

    #[test]
    fn gaps_between_windows_have_no_value() {
        let mut c = Combiner::new("chr2", 1000, 0.01);
        c.add(10, &[0.2; 5]);
        c.add(100, &[0.2; 5]);
        c.flush(i64::MAX);
        assert_eq!(runs(&mut c).iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(), vec![(10, 15), (100, 105)]);
    }
}
