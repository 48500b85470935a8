//! Writes a store atomically: everything goes to a temporary file next to the target (a
//! [`Staged`] output), which is renamed into place only by [`StoreWriter::finish`]; dropping an
//! unfinished writer, or a failed rename, deletes it. Write errors name the output, in plain language
//! where the cause is a full disk, a file size limit or a permission.

use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use ndarray::s;

use crate::error::{Result, StoreError};
use crate::folds::{Split, N_FOLDS};
use crate::meta::{GeneInfo, StoreMeta};
use crate::output::{plain_hdf5, plain_io, Staged};
use crate::schema::*;

/// Where a writer's errors point: the output the user named (the temporary file is what HDF5 writes).
#[derive(Debug, Clone)]
struct Target {
    tmp: PathBuf,
    out: PathBuf,
}

trait Written<T> {
    fn to(self, t: &Target) -> Result<T>;
}

impl<T> Written<T> for hdf5::Result<T> {
    fn to(self, t: &Target) -> Result<T> {
        self.map_err(|e| StoreError::Write { path: t.out.clone(), message: plain_hdf5(&e, &t.tmp).into_owned() })
    }
}

/// Everything stored for one gene's window.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneWindow {
    /// `L` DNA codes (see [`crate::dna_code`]).
    pub dna: Vec<u8>,
    /// `[tracks, L]`, track-major, raw values with missing data as 0.
    pub signals: Vec<f32>,
    /// `hic_bin_count(L, bin)` values, already transformed (log10(x+1)).
    pub hic: Vec<f32>,
    /// One value per target name; NaN where the expression table has none.
    pub targets: Vec<f32>,
    pub features: [f32; N_FEATURES],
}

pub struct StoreWriter {
    file: Option<hdf5::File>,
    /// Removes the temporary file when dropped before `finish`; dropped after `file` is closed.
    staged: Option<Staged>,
    target: Target,
    meta: StoreMeta,
    written: Vec<bool>,
}

fn strings(values: impl Iterator<Item = String>, path: &Path) -> Result<Vec<VarLenUnicode>> {
    values
        .map(|v| v.parse::<VarLenUnicode>().map_err(|e| StoreError::invalid(path, format!("string '{v}': {e}"))))
        .collect()
}

impl StoreWriter {
    /// Starts a store at `path` (written to a temporary sibling until [`finish`](Self::finish)) for `genes`,
    /// with the split of each gene in each of the 12 folds.
    pub fn create(path: &Path, meta: StoreMeta, genes: &[GeneInfo], splits: &[[Split; N_FOLDS]]) -> Result<Self> {
        if genes.is_empty() {
            return Err(StoreError::invalid(path, "no genes to write"));
        }
        if splits.len() != genes.len() {
            return Err(StoreError::invalid(path, "one split row per gene is required"));
        }
        if path.is_dir() {
            return Err(StoreError::invalid(path, "is a directory; give a file path for the store"));
        }
        let staged = Staged::new(path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
        let target = Target { tmp: staged.tmp().to_path_buf(), out: path.to_path_buf() };
        let file = hdf5::File::create(&target.tmp).to(&target)?;
        let writer = Self { file: Some(file), staged: Some(staged), target, meta, written: vec![false; genes.len()] };
        writer.write_attributes()?;
        writer.write_genes(genes, splits)?;
        writer.create_window_datasets(genes.len())?;
        Ok(writer)
    }

    fn file(&self) -> &hdf5::File {
        self.file.as_ref().expect("store writer used after finish")
    }

    fn str_attr(&self, name: &str, value: &str) -> Result<()> {
        let v = strings(std::iter::once(value.to_string()), &self.target.out)?;
        self.file()
            .new_attr::<VarLenUnicode>()
            .shape(())
            .create(name)
            .and_then(|a| a.write_scalar(&v[0]))
            .to(&self.target)
    }

    fn str_list_attr(&self, name: &str, values: &[String]) -> Result<()> {
        let v = strings(values.iter().cloned(), &self.target.out)?;
        self.file().new_attr_builder().with_data(&v).create(name).map(|_| ()).to(&self.target)
    }

    fn write_attributes(&self) -> Result<()> {
        let m = &self.meta;
        let json = serde_json::to_string(m).map_err(|e| StoreError::invalid(&self.target.out, e.to_string()))?;
        let f = self.file();
        f.new_attr::<u32>()
            .shape(())
            .create(ATTR_SCHEMA_VERSION)
            .and_then(|a| a.write_scalar(&m.schema_version))
            .to(&self.target)?;
        f.new_attr::<u64>()
            .shape(())
            .create(ATTR_WINDOW)
            .and_then(|a| a.write_scalar(&m.window_length))
            .to(&self.target)?;
        f.new_attr::<u64>()
            .shape(())
            .create(ATTR_HIC_BIN)
            .and_then(|a| a.write_scalar(&m.hic_bin_size))
            .to(&self.target)?;
        self.str_attr(ATTR_FORMAT, FORMAT)?;
        self.str_attr(ATTR_META_JSON, &json)?;
        self.str_attr(ATTR_BUILD, &m.genome_build)?;
        self.str_attr(ATTR_COMMAND, &m.command)?;
        self.str_list_attr(ATTR_TRACKS, &m.tracks.iter().map(|t| t.name.clone()).collect::<Vec<_>>())?;
        self.str_list_attr(ATTR_UNITS, &m.tracks.iter().map(|t| t.unit.clone()).collect::<Vec<_>>())?;
        self.str_list_attr(ATTR_TARGETS, &m.target_names)?;
        self.str_list_attr(ATTR_FEATURES, &m.feature_names)
    }

    fn write_genes(&self, genes: &[GeneInfo], splits: &[[Split; N_FOLDS]]) -> Result<()> {
        let f = self.file();
        let p = &self.target;
        f.create_group("genes").to(p)?;
        let str_ds = |name: &str, vals: Vec<VarLenUnicode>| {
            f.new_dataset_builder().with_data(&vals).create(name).map(|_| ()).to(p)
        };
        str_ds(DS_ID, strings(genes.iter().map(|g| g.id.clone()), &p.out)?)?;
        str_ds(DS_NAME, strings(genes.iter().map(|g| g.name.clone()), &p.out)?)?;
        str_ds(DS_CHROM, strings(genes.iter().map(|g| g.chrom.clone()), &p.out)?)?;
        str_ds(DS_STRAND, strings(genes.iter().map(|g| g.strand.as_str().to_string()), &p.out)?)?;
        let tss: Vec<u64> = genes.iter().map(|g| g.tss).collect();
        f.new_dataset_builder().with_data(&tss).create(DS_TSS).to(p)?;
        let codes: Vec<u8> = splits.iter().flat_map(|row| row.iter().map(|s| *s as u8)).collect();
        let codes = ndarray::Array2::from_shape_vec((genes.len(), N_FOLDS), codes).expect("split shape");
        f.new_dataset_builder().with_data(&codes).create(DS_SPLIT).to(p)?;
        Ok(())
    }

    fn create_window_datasets(&self, n: usize) -> Result<()> {
        let f = self.file();
        let p = &self.target;
        let l = self.meta.window_length as usize;
        let tracks = self.meta.tracks.len();
        let bins = hic_bin_count(self.meta.window_length, self.meta.hic_bin_size);
        let compression = self.meta.compression;
        let with = |b: hdf5::DatasetBuilderEmptyShape, shuffle: bool| -> hdf5::DatasetBuilderEmptyShape {
            let b = if shuffle && compression != Compression::None { b.shuffle() } else { b };
            match compression {
                Compression::None => b,
                Compression::Lzf => b.lzf(),
                Compression::Deflate(level) => b.deflate(level),
            }
        };
        // One chunk per gene: reading a window is one chunk read and one decode.
        with(f.new_dataset::<u8>().shape((n, l)).chunk((1, l)), false).create(DS_DNA).to(p)?;
        if tracks > 0 {
            with(f.new_dataset::<f32>().shape((n, tracks, l)).chunk((1, tracks, l)), true).create(DS_SIGNALS).to(p)?;
        }
        let rows = n.min(256);
        with(f.new_dataset::<f32>().shape((n, bins)).chunk((rows, bins)), true).create(DS_HIC).to(p)?;
        let t = self.meta.target_names.len().max(1);
        f.new_dataset::<f32>().shape((n, t)).chunk((rows, t)).create(DS_TARGETS).to(p)?;
        f.new_dataset::<f32>().shape((n, N_FEATURES)).chunk((rows, N_FEATURES)).create(DS_FEATURES).to(p)?;
        Ok(())
    }

    /// Stores the blacklist (canonical chromosome, 0-based start, end): bases inside are forced out of
    /// the mask. Kept as an interval table; readers expand it per window.
    pub fn set_blacklist(&mut self, intervals: &[(String, u64, u64)]) -> Result<()> {
        if intervals.is_empty() {
            return Ok(());
        }
        let p = self.target.clone();
        let f = self.file();
        f.create_group("blacklist").to(&p)?;
        let chroms = strings(intervals.iter().map(|iv| iv.0.clone()), &p.out)?;
        f.new_dataset_builder().with_data(&chroms).create(DS_BL_CHROM).to(&p)?;
        let starts: Vec<u64> = intervals.iter().map(|iv| iv.1).collect();
        let ends: Vec<u64> = intervals.iter().map(|iv| iv.2).collect();
        f.new_dataset_builder().with_data(&starts).create(DS_BL_START).to(&p)?;
        f.new_dataset_builder().with_data(&ends).create(DS_BL_END).to(&p)?;
        Ok(())
    }

    /// Writes gene `index`'s window (genes may be written in any order, each exactly once).
    pub fn write(&mut self, index: usize, w: &GeneWindow) -> Result<()> {
        let p = self.target.clone();
        let l = self.meta.window_length as usize;
        let tracks = self.meta.tracks.len();
        let bins = hic_bin_count(self.meta.window_length, self.meta.hic_bin_size);
        let t = self.meta.target_names.len().max(1);
        let bad = |what: &str, got: usize, want: usize| {
            StoreError::invalid(&p.out, format!("gene #{index}: {what} has {got} values, expected {want}"))
        };
        if index >= self.written.len() {
            return Err(StoreError::invalid(&p.out, format!("gene #{index} out of range")));
        }
        if w.dna.len() != l {
            return Err(bad("dna", w.dna.len(), l));
        }
        if w.signals.len() != tracks * l {
            return Err(bad("signals", w.signals.len(), tracks * l));
        }
        if w.hic.len() != bins {
            return Err(bad("hic", w.hic.len(), bins));
        }
        if w.targets.len() != t {
            return Err(bad("targets", w.targets.len(), t));
        }
        let f = self.file();
        f.dataset(DS_DNA).and_then(|d| d.write_slice(&w.dna, s![index, ..])).to(&p)?;
        if tracks > 0 {
            let sig = ndarray::ArrayView2::from_shape((tracks, l), &w.signals).expect("checked shape");
            f.dataset(DS_SIGNALS).and_then(|d| d.write_slice(sig, s![index, .., ..])).to(&p)?;
        }
        f.dataset(DS_HIC).and_then(|d| d.write_slice(&w.hic, s![index, ..])).to(&p)?;
        f.dataset(DS_TARGETS).and_then(|d| d.write_slice(&w.targets, s![index, ..])).to(&p)?;
        f.dataset(DS_FEATURES).and_then(|d| d.write_slice(&w.features[..], s![index, ..])).to(&p)?;
        self.written[index] = true;
        Ok(())
    }

    /// Closes the file and moves it into place. Fails (leaving nothing behind) if any gene is missing.
    pub fn finish(mut self) -> Result<PathBuf> {
        if let Some(missing) = self.written.iter().position(|w| !w) {
            return Err(StoreError::invalid(&self.target.out, format!("gene #{missing} was never written")));
        }
        let file = self.file.take().expect("finish called once");
        file.flush().to(&self.target)?;
        file.close().to(&self.target)?;
        let staged = self.staged.take().expect("finish called once");
        staged.commit().map_err(|e| StoreError::Write {
            path: self.target.out.clone(),
            message: format!("cannot move the finished store into place: {}", plain_io(&e)),
        })
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        // Close the file before `staged` (dropped after this) removes it.
        drop(self.file.take());
    }
}
