//! DNase and H3K27ac tracks and the DNase peak calls.
//!
//! DNase: sparse low blips plus a plateau (linear ramps, mild 10-bp texture) over each accessible element
//! at its planted height, and a peak of height p over TSS ± 150 bp. H3K27ac: two half-sine flanks beside
//! every accessible element and promoter (a dip in the middle, as around a nucleosome-depleted region)
//! plus rare broad low blips. Closed (motif-decoy) elements get no signal at all: blips keep 100 bp away
//! from every element. Values are rounded to `signal_quantum` and N runs carry no signal.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::config::SimConfig;
use super::genome::{Peak, PeakSource, Run, SignalRuns};
use super::layout::{standard_normal, Layout};
use super::rng::in_range_f32;

/// A background blip [start, end) and its value.
pub(crate) type Blip = (u64, u64, f32);

/// Both tracks of one chromosome and the DNase blips (candidates for noise peak calls).
pub(crate) struct Signals {
    pub dnase: SignalRuns,
    pub h3k27ac: SignalRuns,
    pub dnase_blips: Vec<Blip>,
}

/// Builds both tracks for the chromosome.
pub(crate) fn build(cfg: &SimConfig, lay: &Layout, rng: &mut ChaCha8Rng) -> Signals {
    let len = lay.length as usize;
    let mut dn = vec![0.0f32; len];
    let mut ac = vec![0.0f32; len];
    for el in lay.elements.iter().filter(|e| e.kind.accessible()) {
        plateau(&mut dn, el.start, el.end, el.dnase_height, cfg, rng);
        flanks(&mut ac, el.start, el.end, cfg.h3k27ac_flank, el.h3k27ac_height);
    }
    for g in &lay.genes {
        let (a, b) = (g.tss - cfg.promoter_peak_half_width, g.tss + cfg.promoter_peak_half_width);
        plateau(&mut dn, a, b.min(lay.length), g.promoter_activity, cfg, rng);
        flanks(&mut ac, a, b.min(lay.length), cfg.h3k27ac_promoter_flank, g.promoter_h3k27ac);
    }
    let keep_out: Vec<(u64, u64)> = lay.elements.iter().map(|e| (e.start.saturating_sub(100), e.end + 100)).collect();
    let dnase_blips =
        blips(rng, lay.length, cfg.dnase_background_spacing, (20, 150), cfg.dnase_background_max, &keep_out);
    let ac_blips =
        blips(rng, lay.length, cfg.h3k27ac_background_spacing, (200, 1_000), cfg.h3k27ac_background_max, &keep_out);
    for (track, list) in [(&mut dn, &dnase_blips), (&mut ac, &ac_blips)] {
        for &(a, b, v) in list {
            track[a as usize..b as usize].iter_mut().for_each(|x| *x += v);
        }
    }
    for &(a, b) in &lay.n_runs {
        dn[a as usize..b as usize].fill(0.0);
        ac[a as usize..b as usize].fill(0.0);
    }
    let q = cfg.signal_quantum;
    Signals { dnase: to_runs(&dn, q, &lay.explicit_zero), h3k27ac: to_runs(&ac, q, &lay.explicit_zero), dnase_blips }
}

/// Adds a plateau of `height` over [a, b) with linear ramps and a per-10-bp texture.
fn plateau(track: &mut [f32], a: u64, b: u64, height: f32, cfg: &SimConfig, rng: &mut ChaCha8Rng) {
    let ramp = cfg.peak_ramp.max(1) as f32;
    for block in (a..b).step_by(10) {
        let texture = 1.0 + cfg.peak_texture_sd * standard_normal(rng).clamp(-3.0, 3.0);
        for p in block..(block + 10).min(b) {
            let edge = ((p - a + 1) as f32).min((b - p) as f32);
            let shape = (edge / ramp).min(1.0);
            track[p as usize] += height * shape * texture;
        }
    }
}

/// Adds half-sine flanks of `height` and width `w` on both sides of [a, b), and 0.3 × height inside.
/// The hump is constant over 20-bp blocks, like a binned histone track.
fn flanks(track: &mut [f32], a: u64, b: u64, w: u64, height: f32) {
    let len = track.len() as u64;
    let hump = |x: u64| {
        let centre = ((x / 20) * 20 + 10).min(w - 1);
        height * (std::f32::consts::PI * (centre as f32 + 0.5) / w as f32).sin()
    };
    for x in 0..w {
        if a >= w {
            track[(a - w + x) as usize] += hump(x);
        }
        if b + x < len {
            track[(b + x) as usize] += hump(x);
        }
    }
    for p in a..b {
        track[p as usize] += 0.3 * height;
    }
}

/// Background blips: a Poisson number (mean length / spacing) at uniform positions, kept out of
/// `keep_out` (sorted by start). Values are uniform in [0.05, max].
fn blips(
    rng: &mut ChaCha8Rng,
    length: u64,
    spacing: u64,
    len_range: (u64, u64),
    max: f32,
    keep_out: &[(u64, u64)],
) -> Vec<Blip> {
    let n = (length / spacing.max(1)) as usize;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let len = rng.random_range(len_range.0..=len_range.1);
        let start = rng.random_range(0..length.saturating_sub(len).max(1));
        let value = in_range_f32(rng, (0.05, max.max(0.05)));
        let end = (start + len).min(length);
        let clash = keep_out.iter().any(|&(a, b)| start < b && end > a);
        if !clash {
            out.push((start, end, value));
        }
    }
    out.sort_by_key(|b| b.0);
    out
}

/// Rounds to the quantum and run-length encodes. Zeros are omitted except inside `explicit_zero`.
fn to_runs(values: &[f32], quantum: f32, explicit_zero: &[(u64, u64)]) -> SignalRuns {
    let mut zero_ok = vec![false; values.len()];
    for &(a, b) in explicit_zero {
        zero_ok[a as usize..b as usize].fill(true);
    }
    let q = |v: f32| ((v / quantum).round() * quantum).max(0.0);
    let mut runs: Vec<Run> = Vec::new();
    for (p, &raw) in values.iter().enumerate() {
        let v = q(raw);
        if v == 0.0 && !zero_ok[p] {
            continue;
        }
        match runs.last_mut() {
            Some(r) if r.end == p as u64 && r.value == v => r.end += 1,
            _ => runs.push(Run { start: p as u64, end: p as u64 + 1, value: v }),
        }
    }
    SignalRuns { runs }
}

/// "Calls" DNase peaks: accessible elements (weak ones may be missed, edges jittered ± 20 bp),
/// all promoters, and a few background blips (false positives).
pub(crate) fn call_peaks(cfg: &SimConfig, lay: &Layout, dnase_blips: &[Blip], rng: &mut ChaCha8Rng) -> Vec<Peak> {
    let mut peaks = Vec::new();
    for el in lay.elements.iter().filter(|e| e.kind.accessible()) {
        let missed = rng.random_bool(cfg.peak_call_miss_prob);
        if el.dnase_height < cfg.peak_call_weak_height && missed {
            continue;
        }
        let (ja, jb) = (rng.random_range(-20i64..=20), rng.random_range(-20i64..=20));
        let start = (el.start as i64 + ja) as u64;
        let end = (el.end as i64 + jb) as u64;
        peaks.push(Peak { start, end, signal: el.dnase_height, source: PeakSource::Element });
    }
    for g in &lay.genes {
        let (a, b) = (g.tss - cfg.promoter_peak_half_width, g.tss + cfg.promoter_peak_half_width);
        peaks.push(Peak { start: a, end: b, signal: g.promoter_activity, source: PeakSource::Promoter });
    }
    for &(a, b, v) in dnase_blips {
        if rng.random_bool(cfg.peak_call_noise_prob) {
            let start = a.saturating_sub(50);
            peaks.push(Peak { start, end: (b + 50).min(lay.length), signal: v, source: PeakSource::Noise });
        }
    }
    peaks.sort_by_key(|p| (p.start, p.end));
    peaks
}
