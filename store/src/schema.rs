//! Names, codes and shapes of the store: the one place that defines the on-disk layout.

use serde::{Deserialize, Serialize};

/// Bumped whenever a reader of the previous version could misread a new file.
pub const SCHEMA_VERSION: u32 = 1;
/// Root attribute `format`: lets tools recognise a store among other HDF5 files.
pub const FORMAT: &str = "seq2exp-window-store";

/// The 9 extra per-gene features, in stored order (docs/model.md): 8 mRNA features, then promoter activity.
pub const FEATURE_NAMES: [&str; 9] = [
    "UTR5LEN_log10zscore",
    "CDSLEN_log10zscore",
    "INTRONLEN_log10zscore",
    "UTR3LEN_log10zscore",
    "UTR5GC",
    "CDSGC",
    "UTR3GC",
    "ORFEXONDENSITY",
    "promoter_activity",
];
pub const N_FEATURES: usize = FEATURE_NAMES.len();

// Dataset and attribute names (h5py users see exactly these).
pub(crate) const ATTR_SCHEMA_VERSION: &str = "schema_version";
pub(crate) const ATTR_FORMAT: &str = "format";
pub(crate) const ATTR_META_JSON: &str = "meta_json";
pub(crate) const ATTR_WINDOW: &str = "window_length";
pub(crate) const ATTR_BUILD: &str = "genome_build";
pub(crate) const ATTR_COMMAND: &str = "command";
pub(crate) const ATTR_TRACKS: &str = "signal_names";
pub(crate) const ATTR_UNITS: &str = "signal_units";
pub(crate) const ATTR_HIC_BIN: &str = "hic_bin_size";
pub(crate) const ATTR_TARGETS: &str = "target_names";
pub(crate) const ATTR_FEATURES: &str = "feature_names";
pub(crate) const DS_ID: &str = "genes/id";
pub(crate) const DS_NAME: &str = "genes/name";
pub(crate) const DS_CHROM: &str = "genes/chrom";
pub(crate) const DS_TSS: &str = "genes/tss";
pub(crate) const DS_STRAND: &str = "genes/strand";
pub(crate) const DS_SPLIT: &str = "genes/split";
pub(crate) const DS_DNA: &str = "dna";
pub(crate) const DS_SIGNALS: &str = "signals";
pub(crate) const DS_HIC: &str = "hic";
pub(crate) const DS_TARGETS: &str = "targets";
pub(crate) const DS_FEATURES: &str = "features";
pub(crate) const DS_BL_CHROM: &str = "blacklist/chrom";
pub(crate) const DS_BL_START: &str = "blacklist/start";
pub(crate) const DS_BL_END: &str = "blacklist/end";

/// DNA is stored as one byte per base: A=0, C=1, G=2, T=3, anything else (N, IUPAC codes) = 4.
/// Lower-case (soft-masked) bases get the upper-case code.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnaCode {
    A = 0,
    C = 1,
    G = 2,
    T = 3,
    N = 4,
}

/// The store code of an ASCII base.
#[inline]
pub fn dna_code(base: u8) -> u8 {
    match base {
        b'A' | b'a' => DnaCode::A as u8,
        b'C' | b'c' => DnaCode::C as u8,
        b'G' | b'g' => DnaCode::G as u8,
        b'T' | b't' => DnaCode::T as u8,
        _ => DnaCode::N as u8,
    }
}

/// Number of Hi-C bins stored per gene: enough to cover any window of `window` bases however it sits on
/// the bin grid. Bin `j` of gene `g` is genome bin `floor(window_start / bin_size) + j`.
pub fn hic_bin_count(window: u64, bin_size: u64) -> usize {
    (window.div_ceil(bin_size) + 1) as usize
}

/// Per-dataset compression. Only filters h5py reads without plugins are offered (deflate, LZF), each with
/// HDF5's byte shuffle for the float datasets. The default, deflate level 1, was chosen by
/// `data-prep bench`: smaller than LZF and faster to read back through the (lock-serialised) HDF5 bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Lzf,
    /// zlib/gzip at the given level (1–9).
    Deflate(u8),
}

impl Default for Compression {
    fn default() -> Self {
        Self::Deflate(1)
    }
}

impl std::str::FromStr for Compression {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "lzf" => Ok(Self::Lzf),
            _ => match s.strip_prefix("deflate") {
                Some("") => Ok(Self::Deflate(4)),
                Some(level) => level
                    .trim_start_matches([':', '-', '='])
                    .parse::<u8>()
                    .ok()
                    .filter(|l| (1..=9).contains(l))
                    .map(Self::Deflate)
                    .ok_or_else(|| format!("bad deflate level in '{s}' (use deflate:1 … deflate:9)")),
                None => Err(format!("unknown compression '{s}' (none, lzf, deflate:N)")),
            },
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => write!(f, "none"),
            Self::Lzf => write!(f, "lzf"),
            Self::Deflate(l) => write!(f, "deflate:{l}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_bins() {
        assert_eq!(
            b"ACGTNacgtnRY".iter().map(|&b| dna_code(b)).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4, 4]
        );
        assert_eq!(hic_bin_count(200_000, 5_000), 41);
        assert_eq!(hic_bin_count(20_001, 5_000), 6);
    }

    #[test]
    fn compression_parses() {
        assert_eq!("deflate:6".parse::<Compression>().unwrap(), Compression::Deflate(6));
        assert_eq!("lzf".parse::<Compression>().unwrap(), Compression::Lzf);
        assert!("deflate:0".parse::<Compression>().is_err());
        assert!("zstd".parse::<Compression>().is_err());
    }
}
