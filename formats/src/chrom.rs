//! Chromosome names differ between files of one build (`chr1` vs `1`, `chrM` vs `MT`). Every name
//! read from any file goes through [`normalise`], so joins across files use one spelling (UCSC style).

/// The canonical (UCSC-style) spelling of a chromosome name: `1`/`chr1` → `chr1`, `X` → `chrX`,
/// `MT`/`M`/`chrMT` → `chrM`. Names that are not numbered or sex/mito chromosomes (scaffolds such as
/// `GL000220.1`, `chrUn_…`) are kept as given, except that a bare numbered/X/Y/M name gains `chr`.
pub fn normalise(name: &str) -> String {
    let trimmed = name.trim();
    let bare = trimmed.strip_prefix("chr").or_else(|| trimmed.strip_prefix("Chr")).unwrap_or(trimmed);
    match bare {
        "M" | "MT" | "m" | "mt" => "chrM".to_string(),
        "x" => "chrX".to_string(),
        "y" => "chrY".to_string(),
        b if is_primary(b) => format!("chr{b}"),
        _ => trimmed.to_string(),
    }
}

fn is_primary(bare: &str) -> bool {
    matches!(bare, "X" | "Y")
        || (!bare.is_empty() && bare.len() <= 2 && bare.bytes().all(|c| c.is_ascii_digit()) && !bare.starts_with('0'))
}

/// Maps the canonical names used by seq2exp back to the spelling a particular file uses.
#[derive(Debug, Clone, Default)]
pub struct ChromAliases {
    to_file: std::collections::HashMap<String, String>,
}

impl ChromAliases {
    /// Builds the map from the names a file actually contains.
    pub fn from_file_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let to_file = names.into_iter().map(|n| (normalise(n), n.to_string())).collect();
        Self { to_file }
    }

    /// The file's spelling of a canonical name, if the file has that chromosome.
    pub fn file_name(&self, canonical: &str) -> Option<&str> {
        self.to_file.get(canonical).map(String::as_str)
    }

    pub fn contains(&self, canonical: &str) -> bool {
        self.to_file.contains_key(canonical)
    }

    pub fn canonical_names(&self) -> impl Iterator<Item = &str> {
        self.to_file.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings() {
        for (given, want) in [
            ("1", "chr1"),
            ("chr1", "chr1"),
            ("22", "chr22"),
            ("X", "chrX"),
            ("chrX", "chrX"),
            ("Y", "chrY"),
            ("MT", "chrM"),
            ("M", "chrM"),
            ("chrM", "chrM"),
            ("chrMT", "chrM"),
            ("GL000220.1", "GL000220.1"),
            ("chrUn_KI270302v1", "chrUn_KI270302v1"),
            ("01", "01"),
            ("123", "123"),
        ] {
            assert_eq!(normalise(given), want, "{given}");
        }
    }

    #[test]
    fn aliases_map_back_to_file_spelling() {
        let a = ChromAliases::from_file_names(["1", "22", "MT"]);
        assert_eq!(a.file_name("chr22"), Some("22"));
        assert_eq!(a.file_name("chrM"), Some("MT"));
        assert_eq!(a.file_name("chr2"), None);
    }
}
