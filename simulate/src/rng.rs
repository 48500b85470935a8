//! Randomness: one ChaCha8 stream per (chromosome, purpose), all derived from the seed, so chromosomes
//! are generated in parallel yet the result is identical for a seed whatever the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for; part of the stream id so purposes never share numbers.
#[derive(Clone, Copy)]
pub(crate) enum Purpose {
    Motif = 1,
    Roles = 2,
    Layout = 3,
    Sequence = 4,
    Signals = 5,
    Peaks = 6,
    Hic = 7,
    Expression = 8,
    Tables = 9,
}

/// The random stream for `purpose` on chromosome `chrom` (None = genome-wide).
pub(crate) fn stream(seed: u64, chrom: Option<usize>, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let chrom_part = chrom.map_or(0, |c| c as u64 + 1);
    rng.set_stream((chrom_part << 8) | purpose as u64);
    rng
}

/// Uniform draw from an inclusive (lo, hi) range of u64.
pub(crate) fn in_range(rng: &mut impl Rng, (lo, hi): (u64, u64)) -> u64 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

/// Uniform draw from a (lo, hi) range of f32.
pub(crate) fn in_range_f32(rng: &mut impl Rng, (lo, hi): (f32, f32)) -> f32 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}
