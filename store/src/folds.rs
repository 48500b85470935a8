//! The 12 leave-chromosome-out folds of docs/model.md (EPInformer's split of the 18,377 genes).

use serde::{Deserialize, Serialize};

pub const N_FOLDS: usize = 12;

/// The role of a gene in one fold. Stored as u8 (0 train, 1 valid, 2 test, 255 excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train = 0,
    Valid = 1,
    Test = 2,
    /// Chromosomes outside chr1–22, chrX (chrY, chrM, scaffolds) belong to no fold.
    Excluded = 255,
}

impl Split {
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Train),
            1 => Some(Self::Valid),
            2 => Some(Self::Test),
            255 => Some(Self::Excluded),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Valid => "valid",
            Self::Test => "test",
            Self::Excluded => "excluded",
        }
    }
}

impl std::str::FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "train" => Ok(Self::Train),
            "valid" | "val" | "validation" => Ok(Self::Valid),
            "test" => Ok(Self::Test),
            _ => Err(format!("unknown split '{s}' (train, valid, test)")),
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// chr1..chr22 → 1..22, chrX → 23; anything else → None. Expects canonical (`chr`-prefixed) names.
fn chrom_number(chrom: &str) -> Option<u32> {
    let bare = chrom.strip_prefix("chr")?;
    if bare == "X" {
        return Some(23);
    }
    bare.parse::<u32>().ok().filter(|n| (1..=22).contains(n))
}

/// The split of a chromosome in fold `fold` (1-based, 1..=12):
/// fold k ≤ 10: test chr(k+1), chr(k+11); valid chr(k), chr(k+10);
/// fold 11: test chr22 + chrX, valid chr3 + chr21; fold 12: test chr1, valid chr2 + chr22.
pub fn fold_split(chrom: &str, fold: usize) -> Split {
    assert!((1..=N_FOLDS).contains(&fold), "fold {fold} out of 1..={N_FOLDS}");
    let Some(n) = chrom_number(chrom) else { return Split::Excluded };
    let (test, valid): (&[u32], &[u32]) = match fold {
        11 => (&[22, 23], &[3, 21]),
        12 => (&[1], &[2, 22]),
        k => {
            let k = k as u32;
            return if n == k + 1 || n == k + 11 {
                Split::Test
            } else if n == k || n == k + 10 {
                Split::Valid
            } else {
                Split::Train
            };
        }
    };
    if test.contains(&n) {
        Split::Test
    } else if valid.contains(&n) {
        Split::Valid
    } else {
        Split::Train
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_follow_the_published_rule() {
        assert_eq!(fold_split("chr22", 11), Split::Test);
        assert_eq!(fold_split("chrX", 11), Split::Test);
        assert_eq!(fold_split("chr3", 11), Split::Valid);
        assert_eq!(fold_split("chr21", 11), Split::Valid);
        assert_eq!(fold_split("chr1", 11), Split::Train);
        assert_eq!(fold_split("chr1", 12), Split::Test);
        assert_eq!(fold_split("chr22", 12), Split::Valid);
        assert_eq!(fold_split("chr2", 1), Split::Test);
        assert_eq!(fold_split("chr12", 1), Split::Test);
        assert_eq!(fold_split("chr1", 1), Split::Valid);
        assert_eq!(fold_split("chr11", 1), Split::Valid);
        assert_eq!(fold_split("chr11", 10), Split::Test);
        assert_eq!(fold_split("chrX", 10), Split::Train);
        assert_eq!(fold_split("chrY", 3), Split::Excluded);
        assert_eq!(fold_split("chrM", 11), Split::Excluded);
    }

    #[test]
    fn every_autosome_is_tested_once_in_folds_1_to_11() {
        // Folds 1–10 test chr2..chr21; fold 11 tests chr22 and chrX; chr1 is tested by fold 12.
        for n in 2..=21 {
            let c = format!("chr{n}");
            let tested = (1..=11).filter(|&f| fold_split(&c, f) == Split::Test).count();
            assert_eq!(tested, 1, "{c}");
        }
    }
}
