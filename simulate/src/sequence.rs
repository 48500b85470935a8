//! DNA: random background (GC-rich promoters), the motif planted in motif-carrying elements, every
//! chance occurrence elsewhere scrubbed, then N runs and soft-masking (lower case).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::config::SimConfig;
use super::genome::MotifSite;
use super::layout::Layout;

/// Reverse complement (keeps case; N stays N).
pub fn revcomp(seq: &[u8]) -> Vec<u8> {
    seq.iter()
        .rev()
        .map(|&b| match b {
            b'A' => b'T',
            b'C' => b'G',
            b'G' => b'C',
            b'T' => b'A',
            b'a' => b't',
            b'c' => b'g',
            b'g' => b'c',
            b't' => b'a',
            other => other,
        })
        .collect()
}

/// Every occurrence of `motif` (upper case) in `seq` on either strand, case-insensitive, sorted.
pub fn motif_occurrences(seq: &[u8], motif: &[u8]) -> Vec<MotifSite> {
    let rc = revcomp(motif);
    let k = motif.len();
    if seq.len() < k {
        return Vec::new();
    }
    let mut out = Vec::new();
    for pos in 0..=seq.len() - k {
        let w = &seq[pos..pos + k];
        if w.eq_ignore_ascii_case(motif) {
            out.push(MotifSite { pos: pos as u64, reverse: false });
        } else if w.eq_ignore_ascii_case(&rc) {
            out.push(MotifSite { pos: pos as u64, reverse: true });
        }
    }
    out
}

/// Draws the motif: balanced GC, no long homopolymer, not its own reverse complement, and no overlap
/// of the motif or its reverse complement with itself at any shift — so a chance occurrence can never
/// overlap a planted copy, and scrubbing can never damage one.
pub fn draw_motif(cfg: &SimConfig, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let k = cfg.motif_length;
    loop {
        let m: Vec<u8> = (0..k).map(|_| b"ACGT"[rng.random_range(0..4)]).collect();
        let gc = m.iter().filter(|&&b| b == b'G' || b == b'C').count() as f64 / k as f64;
        let homopolymer = m.windows(4).any(|w| w.iter().all(|&b| b == w[0]));
        let rc = revcomp(&m);
        if (0.35..=0.65).contains(&gc) && !homopolymer && rc != m && !has_border(&m, &rc) {
            return m;
        }
    }
}

/// True if a suffix of any of {m, rc} equals a prefix of any of {m, rc} at a shift 1..k−1.
fn has_border(m: &[u8], rc: &[u8]) -> bool {
    let k = m.len();
    let pairs = [(m, m), (m, rc), (rc, m), (rc, rc)];
    (1..k).any(|shift| pairs.iter().any(|(a, b)| a[shift..] == b[..k - shift]))
}

const BASES: &[u8; 4] = b"ACGT";

fn random_base(rng: &mut ChaCha8Rng, gc: f64) -> u8 {
    let u: f64 = rng.random();
    let (s, w) = (gc / 2.0, (1.0 - gc) / 2.0);
    if u < w {
        b'A'
    } else if u < w + s {
        b'C'
    } else if u < w + 2.0 * s {
        b'G'
    } else {
        b'T'
    }
}

/// Builds the chromosome's sequence and records the planted sites on the elements.
pub(crate) fn build(cfg: &SimConfig, motif: &[u8], lay: &mut Layout, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut seq: Vec<u8> = (0..lay.length).map(|_| random_base(rng, cfg.gc)).collect();
    for g in &lay.genes {
        let (a, b) = (g.tss.saturating_sub(500), (g.tss + 500).min(lay.length));
        for base in &mut seq[a as usize..b as usize] {
            *base = random_base(rng, cfg.promoter_gc);
        }
    }
    let rc = revcomp(motif);
    for el in lay.elements.iter_mut().filter(|e| e.kind.has_motif()) {
        el.motif_sites = plant_sites(cfg, el.start, el.end, rng);
        for site in &el.motif_sites {
            let word = if site.reverse { &rc } else { motif };
            seq[site.pos as usize..site.pos as usize + motif.len()].copy_from_slice(word);
        }
    }
    let planted: std::collections::HashSet<u64> =
        lay.elements.iter().flat_map(|e| e.motif_sites.iter().map(|s| s.pos)).collect();
    scrub(&mut seq, motif, &planted);
    for &(a, b) in &lay.n_runs {
        seq[a as usize..b as usize].fill(b'N');
    }
    for &(a, b) in &lay.softmask {
        seq[a as usize..b as usize].make_ascii_lowercase();
    }
    seq
}

/// One site in each of `motif_copies` equal segments of the element, so copies never overlap.
fn plant_sites(cfg: &SimConfig, start: u64, end: u64, rng: &mut ChaCha8Rng) -> Vec<MotifSite> {
    let k = cfg.motif_length as u64;
    let n = cfg.motif_copies as u64;
    let seg = (end - start) / n;
    (0..n)
        .map(|i| {
            let lo = start + i * seg;
            let pos = rng.random_range(lo..=lo + seg - k);
            let reverse = cfg.motif_both_strands && rng.random_bool(0.5);
            MotifSite { pos, reverse }
        })
        .collect()
}

/// Breaks every motif occurrence that was not planted by changing its middle base; repeats until none
/// is left (a change can, rarely, create a new occurrence nearby).
fn scrub(seq: &mut [u8], motif: &[u8], planted: &std::collections::HashSet<u64>) {
    loop {
        let stray: Vec<MotifSite> =
            motif_occurrences(seq, motif).into_iter().filter(|s| !planted.contains(&s.pos)).collect();
        if stray.is_empty() {
            return;
        }
        for s in stray {
            let p = s.pos as usize + motif.len() / 2;
            let i = BASES.iter().position(|&b| b == seq[p].to_ascii_uppercase()).unwrap_or(0);
            seq[p] = BASES[(i + 1) % 4];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn motif_has_no_border_and_is_not_palindromic() {
        let cfg = SimConfig::default();
        for seed in 0..50 {
            let m = draw_motif(&cfg, &mut ChaCha8Rng::seed_from_u64(seed));
            let rc = revcomp(&m);
            assert_ne!(m, rc);
            assert!(!has_border(&m, &rc));
        }
    }

    #[test]
    fn scrub_removes_stray_but_keeps_planted() {
        let motif = b"ACGTTGCAAGCT".to_vec();
        let rc = revcomp(&motif);
        let mut seq = b"TTTT".to_vec();
        seq.extend(&motif);
        seq.extend(b"GGGG");
        seq.extend(&rc);
        seq.extend(b"CCCC");
        let planted = [4u64].into_iter().collect();
        scrub(&mut seq, &motif, &planted);
        let left = motif_occurrences(&seq, &motif);
        assert_eq!(left, vec![MotifSite { pos: 4, reverse: false }]);
    }
}
