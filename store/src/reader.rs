//! Opens a store, checks its schema, and reads one gene's window at a time. Gene metadata, splits,
//! targets, features and the (small) Hi-C rows are loaded at open; DNA and signals are read per gene.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use ndarray::s;

use crate::error::{H5Context, Result, StoreError};
use crate::example::{Channel, Example, SignalSpec};
use crate::folds::{Split, N_FOLDS};
use crate::meta::{GeneInfo, StoreMeta, Strand};
use crate::schema::*;

/// Which genes to read.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    All,
    /// The genes with `split` in fold `fold` (1..=12).
    Split {
        fold: usize,
        split: Split,
    },
    /// Genes by id (version suffix ignored) or name, in the given order.
    Genes(Vec<String>),
}

pub struct StoreReader {
    path: PathBuf,
    file: hdf5::File,
    meta: StoreMeta,
    genes: Vec<GeneInfo>,
    splits: Vec<[u8; N_FOLDS]>,
    targets: Vec<f32>,
    features: Vec<f32>,
    hic: Vec<f32>,
    hic_bins: usize,
    /// Blacklisted intervals per chromosome, sorted by start.
    blacklist: HashMap<String, Vec<(u64, u64)>>,
}

fn read_strings(file: &hdf5::File, name: &str, path: &Path) -> Result<Vec<String>> {
    let v: Vec<VarLenUnicode> = file.dataset(name).and_then(|d| d.read_raw()).at(path)?;
    Ok(v.into_iter().map(|s| s.as_str().to_string()).collect())
}

impl std::fmt::Debug for StoreReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreReader").field("path", &self.path).field("genes", &self.genes.len()).finish()
    }
}

impl StoreReader {
    /// Opens and validates a store: format, schema version, and dataset shapes.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(StoreError::invalid(&path, "no such file"));
        }
        // Read-only: no file lock, so stores open while another process holds one and on filesystems
        // (NFS, Lustre) where HDF5's locking fails.
        let file = hdf5::File::with_options().with_fapl(|p| p.file_locking(false)).open(&path).at(&path)?;
        let not_store = || {
            StoreError::invalid(
                &path,
                format!("not a seq2exp window store (no '{ATTR_FORMAT}' = '{FORMAT}' attribute)"),
            )
        };
        let format: VarLenUnicode = file.attr(ATTR_FORMAT).and_then(|a| a.read_scalar()).map_err(|_| not_store())?;
        if format.as_str() != FORMAT {
            return Err(not_store());
        }
        let version: u32 = file.attr(ATTR_SCHEMA_VERSION).and_then(|a| a.read_scalar()).at(&path)?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::SchemaVersion { path, found: version, expected: SCHEMA_VERSION });
        }
        let json: VarLenUnicode = file.attr(ATTR_META_JSON).and_then(|a| a.read_scalar()).at(&path)?;
        let meta: StoreMeta = serde_json::from_str(json.as_str())
            .map_err(|e| StoreError::invalid(&path, format!("bad '{ATTR_META_JSON}' attribute: {e}")))?;
        let genes = Self::read_genes(&file, &path)?;
        let n = genes.len();
        let split_rows: ndarray::Array2<u8> = file.dataset(DS_SPLIT).and_then(|d| d.read_2d()).at(&path)?;
        if split_rows.dim() != (n, N_FOLDS) {
            return Err(StoreError::invalid(
                &path,
                format!("{DS_SPLIT} has shape {:?}, expected ({n}, {N_FOLDS})", split_rows.dim()),
            ));
        }
        let splits = split_rows.outer_iter().map(|r| std::array::from_fn(|k| r[k])).collect();
        let read_f32 = |name: &str, width: usize| -> Result<Vec<f32>> {
            let v: Vec<f32> = file.dataset(name).and_then(|d| d.read_raw()).map_err(|e| {
                StoreError::invalid(
                    &path,
                    format!("dataset {name}: cannot read (corrupt or truncated store; rebuild it): {e}"),
                )
            })?;
            if v.len() != n * width {
                return Err(StoreError::invalid(
                    &path,
                    format!("{name} has {} values, expected {n} × {width}", v.len()),
                ));
            }
            Ok(v)
        };
        let hic_bins = hic_bin_count(meta.window_length, meta.hic_bin_size);
        let targets = read_f32(DS_TARGETS, meta.target_names.len().max(1))?;
        let features = read_f32(DS_FEATURES, N_FEATURES)?;
        let hic = read_f32(DS_HIC, hic_bins)?;
        let dna_shape = file.dataset(DS_DNA).at(&path)?.shape();
        if dna_shape != [n, meta.window_length as usize] {
            return Err(StoreError::invalid(
                &path,
                format!("{DS_DNA} has shape {dna_shape:?}, expected [{n}, {}]", meta.window_length),
            ));
        }
        let blacklist = Self::read_blacklist(&file, &path)?;
        Ok(Self { path, file, meta, genes, splits, targets, features, hic, hic_bins, blacklist })
    }

    fn read_blacklist(file: &hdf5::File, path: &Path) -> Result<HashMap<String, Vec<(u64, u64)>>> {
        let mut map: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
        if !file.link_exists("blacklist") {
            return Ok(map);
        }
        let chroms = read_strings(file, DS_BL_CHROM, path)?;
        let starts: Vec<u64> = file.dataset(DS_BL_START).and_then(|d| d.read_raw()).at(path)?;
        let ends: Vec<u64> = file.dataset(DS_BL_END).and_then(|d| d.read_raw()).at(path)?;
        for ((c, s), e) in chroms.into_iter().zip(starts).zip(ends) {
            map.entry(c).or_default().push((s, e));
        }
        map.values_mut().for_each(|v| v.sort_unstable());
        Ok(map)
    }

    /// 1 for each base of gene `index`'s window inside a blacklisted interval, else 0.
    pub fn blacklist_mask(&self, index: usize) -> Vec<u8> {
        let g = &self.genes[index];
        let l = self.window();
        let start = g.window_start(self.meta.window_length);
        let mut mask = vec![0u8; l];
        for &(s, e) in self.blacklist.get(&g.chrom).map(Vec::as_slice).unwrap_or(&[]) {
            let a = (s as i64 - start).clamp(0, l as i64) as usize;
            let b = (e as i64 - start).clamp(0, l as i64) as usize;
            mask[a..b].iter_mut().for_each(|m| *m = 1);
        }
        mask
    }

    fn read_genes(file: &hdf5::File, path: &Path) -> Result<Vec<GeneInfo>> {
        let ids = read_strings(file, DS_ID, path)?;
        let names = read_strings(file, DS_NAME, path)?;
        let chroms = read_strings(file, DS_CHROM, path)?;
        let strands = read_strings(file, DS_STRAND, path)?;
        let tss: Vec<u64> = file.dataset(DS_TSS).and_then(|d| d.read_raw()).at(path)?;
        let n = ids.len();
        if [names.len(), chroms.len(), strands.len(), tss.len()].iter().any(|&l| l != n) {
            return Err(StoreError::invalid(path, "gene datasets under /genes have different lengths"));
        }
        (0..n)
            .map(|i| {
                let strand = Strand::parse(&strands[i]).ok_or_else(|| {
                    StoreError::invalid(path, format!("gene {}: bad strand '{}'", ids[i], strands[i]))
                })?;
                Ok(GeneInfo {
                    id: ids[i].clone(),
                    name: names[i].clone(),
                    chrom: chroms[i].clone(),
                    tss: tss[i],
                    strand,
                })
            })
            .collect()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&self) -> &StoreMeta {
        &self.meta
    }

    pub fn window(&self) -> usize {
        self.meta.window_length as usize
    }

    pub fn genes(&self) -> &[GeneInfo] {
        &self.genes
    }

    pub fn len(&self) -> usize {
        self.genes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.genes.is_empty()
    }

    /// The split of gene `index` in `fold` (1..=12).
    pub fn split(&self, index: usize, fold: usize) -> Split {
        Split::from_code(self.splits[index][fold - 1]).unwrap_or(Split::Excluded)
    }

    /// Targets of gene `index` (one per target name).
    pub fn targets(&self, index: usize) -> &[f32] {
        let t = self.meta.target_names.len().max(1);
        &self.targets[index * t..(index + 1) * t]
    }

    pub fn features(&self, index: usize) -> [f32; N_FEATURES] {
        std::array::from_fn(|k| self.features[index * N_FEATURES + k])
    }

    /// The stored Hi-C bins of gene `index` (see [`hic_bin_count`]).
    pub fn hic_bins(&self, index: usize) -> &[f32] {
        &self.hic[index * self.hic_bins..(index + 1) * self.hic_bins]
    }

    /// Resolves channel names (`hic` or a stored track name) into a [`SignalSpec`].
    pub fn signal_spec(&self, names: &[&str]) -> Result<SignalSpec> {
        let channels = names
            .iter()
            .map(|n| {
                if n.eq_ignore_ascii_case("hic") {
                    Ok(Channel::Hic)
                } else {
                    self.meta.track_index(n).map(Channel::Track).ok_or_else(|| {
                        let have: Vec<_> = self.meta.tracks.iter().map(|t| t.name.as_str()).collect();
                        StoreError::invalid(&self.path, format!("no signal track '{n}' (store has {have:?} and hic)"))
                    })
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SignalSpec { names: names.iter().map(|s| s.to_lowercase()).collect(), channels })
    }

    /// The default model channels `[h3k27ac, dnase, hic]`.
    pub fn default_signal_spec(&self) -> Result<SignalSpec> {
        self.signal_spec(&SignalSpec::DEFAULT)
    }

    /// Indices of the selected genes, in store order (or in the given order for a gene list).
    pub fn select(&self, selection: &Selection) -> Result<Vec<usize>> {
        match selection {
            Selection::All => Ok((0..self.len()).collect()),
            Selection::Split { fold, split } => {
                if !(1..=N_FOLDS).contains(fold) {
                    return Err(StoreError::invalid(&self.path, format!("fold {fold} out of 1..={N_FOLDS}")));
                }
                Ok((0..self.len()).filter(|&i| self.split(i, *fold) == *split).collect())
            }
            Selection::Genes(list) => self.lookup(list),
        }
    }

    fn lookup(&self, list: &[String]) -> Result<Vec<usize>> {
        let mut by_key: HashMap<&str, usize> = HashMap::new();
        for (i, g) in self.genes.iter().enumerate() {
            by_key.entry(g.name.as_str()).or_insert(i);
        }
        for (i, g) in self.genes.iter().enumerate() {
            by_key.insert(g.id.as_str(), i); // ids win over names
        }
        let mut missing = Vec::new();
        let found: Vec<usize> = list
            .iter()
            .filter_map(|key| {
                let bare = key.split_once('.').map_or(key.as_str(), |(id, _)| id);
                let hit = by_key.get(key.as_str()).or_else(|| by_key.get(bare)).copied();
                if hit.is_none() {
                    missing.push(key.as_str());
                }
                hit
            })
            .collect();
        if !missing.is_empty() {
            let shown = missing.iter().take(5).copied().collect::<Vec<_>>().join(", ");
            return Err(StoreError::invalid(
                &self.path,
                format!("{} requested gene(s) not in the store: {shown}", missing.len()),
            ));
        }
        Ok(found)
    }

    /// Reads gene `index`'s window with the channels of `spec`.
    pub fn read(&self, index: usize, spec: &SignalSpec) -> Result<Example> {
        if index >= self.len() {
            return Err(StoreError::invalid(
                &self.path,
                format!("gene #{index} out of range (store has {})", self.len()),
            ));
        }
        let l = self.window();
        // A corrupt chunk belongs to one gene: say which, and which dataset.
        let chunk = |dataset: &'static str| {
            let gene = self.genes[index].id.clone();
            move |source| StoreError::Read { path: self.path.clone(), gene, dataset: dataset.to_string(), source }
        };
        let dna: Vec<u8> =
            self.file.dataset(DS_DNA).and_then(|d| d.read_slice_1d(s![index, ..])).map_err(chunk(DS_DNA))?.to_vec();
        let needs_tracks = spec.channels.iter().any(|c| matches!(c, Channel::Track(_)));
        let tracks: Option<ndarray::Array2<f32>> = if needs_tracks {
            Some(
                self.file
                    .dataset(DS_SIGNALS)
                    .and_then(|d| d.read_slice_2d(s![index, .., ..]))
                    .map_err(chunk(DS_SIGNALS))?,
            )
        } else {
            None
        };
        let c = spec.len();
        let mut signals = vec![0f32; l * c];
        for (k, ch) in spec.channels.iter().enumerate() {
            match ch {
                Channel::Track(t) => {
                    let row = tracks.as_ref().expect("tracks read").row(*t);
                    for (pos, v) in row.iter().enumerate() {
                        signals[pos * c + k] = *v;
                    }
                }
                Channel::Hic => self.expand_hic(index, |pos, v| signals[pos * c + k] = v),
            }
        }
        let gene = &self.genes[index];
        Ok(Example {
            index,
            dna,
            signals,
            blacklist: self.blacklist_mask(index),
            features: self.features(index),
            targets: self.targets(index).to_vec(),
        })
        .inspect(|e| debug_assert_eq!(e.dna.len(), l, "gene {}", gene.id))
    }

    /// Calls `put(position, value)` for every base of gene `index`'s window with its bin's Hi-C value.
    pub fn expand_hic(&self, index: usize, mut put: impl FnMut(usize, f32)) {
        let bin = self.meta.hic_bin_size as i64;
        let start = self.genes[index].window_start(self.meta.window_length);
        let first = start.div_euclid(bin);
        let row = self.hic_bins(index);
        for pos in 0..self.window() {
            let j = ((start + pos as i64).div_euclid(bin) - first) as usize;
            put(pos, row[j]);
        }
    }
}
