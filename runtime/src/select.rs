//! Which genes a `runtime predict` run scores: all of a store, one split of a fold, or a list, then
//! optionally one shard `k/n` of that selection (contiguous blocks in store order, so each shard keeps
//! whole neighbourhoods together and the n shards cover every gene exactly once).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use seq2exp_store::{Selection, Split, StoreReader};

use crate::output::OutputError;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("shard '{s}' must be k/n with 1 ≤ k ≤ n (e.g. 3/8)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) =
            (k.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl Shard {
    /// This shard's contiguous block of `items`.
    pub fn of<T: Clone>(&self, items: &[T]) -> Vec<T> {
        let n = items.len();
        items[(self.index - 1) * n / self.count..self.index * n / self.count].to_vec()
    }
}

/// What to select before sharding.
#[derive(Debug, Clone)]
pub enum GeneFilter {
    All,
    Split {
        fold: usize,
        split: Split,
    },
    /// Gene ids (a version suffix is ignored) or names, as given by the user; `source` names where they
    /// came from (a file, or the command line) for error messages.
    List {
        genes: Vec<String>,
        source: String,
    },
}

impl GeneFilter {
    /// `--genes` as a file of one gene per line (`#` comments allowed) or a comma-separated list.
    pub fn list(arg: &str) -> Result<Self, OutputError> {
        let path = Path::new(arg);
        let (genes, source): (Vec<String>, String) = if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| OutputError::io(path, e))?;
            let genes = text
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
            (genes, path.display().to_string())
        } else {
            (arg.split(',').map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect(), "--genes".to_string())
        };
        if genes.is_empty() {
            return Err(OutputError::invalid(&source, "the gene list is empty"));
        }
        Ok(Self::List { genes, source })
    }
}

fn strip_version(id: &str) -> &str {
    match id.split_once('.') {
        Some((base, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => id,
    }
}

/// Store indices of the selected genes (store order), after `shard`.
pub fn select_genes(
    reader: &StoreReader,
    filter: &GeneFilter,
    shard: Option<Shard>,
) -> Result<Vec<usize>, OutputError> {
    let store = reader.path().display().to_string();
    let selected = match filter {
        GeneFilter::All => reader.select(&Selection::All).map_err(|e| OutputError::invalid(&store, e.to_string()))?,
        GeneFilter::Split { fold, split } => reader
            .select(&Selection::Split { fold: *fold, split: *split })
            .map_err(|e| OutputError::invalid(&store, e.to_string()))?,
        GeneFilter::List { genes, source } => list_indices(reader, genes, source)?,
    };
    if selected.is_empty() {
        return Err(OutputError::invalid(&store, "no genes selected (empty split or gene list)"));
    }
    let Some(shard) = shard else { return Ok(selected) };
    let part = shard.of(&selected);
    if part.is_empty() {
        return Err(OutputError::invalid(
            &store,
            format!("shard {}/{} is empty: only {} genes are selected", shard.index, shard.count, selected.len()),
        ));
    }
    Ok(part)
}

fn list_indices(reader: &StoreReader, genes: &[String], source: &str) -> Result<Vec<usize>, OutputError> {
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for (i, g) in reader.genes().iter().enumerate() {
        by_key.insert(g.id.as_str(), i);
        by_key.entry(g.name.as_str()).or_insert(i);
    }
    let mut missing = Vec::new();
    let mut out = Vec::with_capacity(genes.len());
    for g in genes {
        match by_key.get(strip_version(g)).or_else(|| by_key.get(g.as_str())) {
            Some(&i) => out.push(i),
            None => missing.push(g.as_str()),
        }
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(5).copied().collect();
        let more = if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() };
        return Err(OutputError::invalid(
            source,
            format!("{} gene(s) not in {}: {}{more}", missing.len(), reader.path().display(), shown.join(", ")),
        ));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_item_once() {
        let items: Vec<usize> = (0..23).collect();
        for n in 1..=7 {
            let mut all: Vec<usize> = (1..=n).flat_map(|k| Shard { index: k, count: n }.of(&items)).collect();
            all.sort_unstable();
            assert_eq!(all, items, "n = {n}");
        }
    }

    #[test]
    fn shard_parsing() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/4", "5/4", "x/2", "3", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_are_ignored() {
        assert_eq!(strip_version("ENSG0001.12"), "ENSG0001");
        assert_eq!(strip_version("GATA1"), "GATA1");
        assert_eq!(strip_version("NKX2.1a"), "NKX2.1a");
    }
}
