//! The Hi-C channel: contact of every bin of a gene's window with the gene's TSS bin, processed as the
//! ABC model (and the Seq2Exp reference) does, then log10(x + 1).
//!
//! For one gene with TSS bin `t` and window bins `j`:
//! 1. `c_j` = contact(t, j) (balanced if the cooler has a `weight` column, else raw counts) divided by the
//!    TSS row's cis sum, so the row sums to 1 as in ABC's doubly-stochastic (KR) matrices.
//! 2. The self-contact `c_t` is replaced by the max of its two neighbours (ABC: the diagonal is dominated
//!    by ligation artefacts).
//! 3. QC: if `c_t` < 0.01 the gene's Hi-C is unusable → every bin 0 (the reference's NaN → 0).
//! 4. Power-law scaling to the reference γ is the identity here (both γ = 0.87); a pseudocount
//!    `min(pl(d), pl(1 Mb))` is added, with `pl(d) = exp(scale − γ·ln(max(d, 5 kb) + 1))`,
//!    `scale = −4.80 + 11.63·γ` (ABC's fit across cell types), `d` = |bin_j − t| × bin size.
//! 5. value = log10(c_j + pseudocount + 1).
//!
//! Without a Hi-C file the channel is `log10(pl(d) + 1)`: ABC's power-law contact, the documented fallback.

/// ABC's γ for both the data and the reference power law (docs/model.md).
pub const GAMMA: f64 = 0.87;
/// Distance of the pseudocount cap.
pub const PSEUDOCOUNT_DISTANCE: f64 = 1_000_000.0;
/// Bin size used for the power-law fallback.
pub const FALLBACK_BIN_SIZE: u64 = 5_000;
/// Below this self-contact a gene's Hi-C row is treated as missing.
pub const MIN_SELF_CONTACT: f64 = 0.01;
const MIN_DISTANCE: f64 = 5_000.0;

/// ABC's power-law contact at distance `d` bp.
pub fn powerlaw(d: f64) -> f64 {
    let scale = -4.80 + 11.63 * GAMMA;
    (scale - GAMMA * (d.max(MIN_DISTANCE) + 1.0).ln()).exp()
}

/// Turns the normalised contacts of the TSS bin with the window's bins into the stored channel.
/// `contacts[j]` is the contact with window bin `j`; `tss_bin` indexes the TSS bin in that slice.
/// Non-finite contacts count as 0.
pub fn process_row(contacts: &[f64], tss_bin: usize, bin_size: u64) -> Vec<f32> {
    let mut c: Vec<f64> = contacts.iter().map(|v| if v.is_finite() { *v } else { 0.0 }).collect();
    let left = tss_bin.checked_sub(1).map(|j| c[j]).unwrap_or(0.0);
    let right = c.get(tss_bin + 1).copied().unwrap_or(0.0);
    c[tss_bin] = left.max(right);
    if c[tss_bin] < MIN_SELF_CONTACT {
        return vec![0.0; c.len()];
    }
    let cap = powerlaw(PSEUDOCOUNT_DISTANCE);
    c.iter()
        .enumerate()
        .map(|(j, v)| {
            let d = (j as f64 - tss_bin as f64).abs() * bin_size as f64;
            (v + powerlaw(d).min(cap) + 1.0).log10() as f32
        })
        .collect()
}

/// The fallback channel when no Hi-C is given.
pub fn powerlaw_row(n_bins: usize, tss_bin: usize, bin_size: u64) -> Vec<f32> {
    (0..n_bins)
        .map(|j| {
            let d = (j as f64 - tss_bin as f64).abs() * bin_size as f64;
            (powerlaw(d) + 1.0).log10() as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powerlaw_matches_abc_formula() {
        // exp(-4.80 + 11.63*0.87 - 0.87*ln(5001)) computed independently.
        let want = (-4.80f64 + 11.63 * 0.87 - 0.87 * 5001f64.ln()).exp();
        assert!((powerlaw(0.0) - want).abs() < 1e-15);
        assert!((powerlaw(5_000.0) - want).abs() < 1e-15);
        assert!(powerlaw(10_000.0) < powerlaw(5_000.0));
    }

    #[test]
    fn diagonal_takes_max_neighbour_and_pseudocount_is_capped() {
        let row = process_row(&[0.02, 0.05, 0.9, 0.03, 0.01], 2, 5_000);
        let expect = |c: f64, d: f64| ((c + powerlaw(d).min(powerlaw(1e6)) + 1.0).log10()) as f32;
        assert_eq!(row[2], expect(0.05, 0.0));
        assert_eq!(row[0], expect(0.02, 10_000.0));
        assert_eq!(row[4], expect(0.01, 10_000.0));
        // Within 1 Mb the pseudocount is capped at pl(1 Mb); beyond, pl(d) is smaller and is used.
        assert_eq!(row[0], ((0.02 + powerlaw(1e6) + 1.0f64).log10()) as f32);
        let far = process_row(&[0.2, 0.5, 0.0, 0.0], 1, 1_000_000);
        assert_eq!(far[3], ((powerlaw(2e6) + 1.0f64).log10()) as f32);
    }

    #[test]
    fn low_self_contact_zeroes_the_gene() {
        assert_eq!(process_row(&[0.001, 0.5, 0.002], 1, 5_000), vec![0.0; 3]);
        assert_eq!(process_row(&[f64::NAN, 0.5, f64::NAN], 1, 5_000), vec![0.0; 3]);
    }
}
