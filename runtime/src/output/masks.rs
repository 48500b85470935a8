//! Per-gene masks: `masks.h5` (one row per gene, full f32 precision), built from part files.
//!
//! Each finished batch's masks go to `masks.parts/part-NNNNNN.h5` through a temporary file and a
//! rename, before the batch's predictions are logged; so every logged gene has its mask on disk, and a
//! kill leaves at worst a part whose genes get predicted (identically) again. When the run completes
//! the parts are merged, first copy of each gene wins, into `masks.h5` (again via a rename).
//!
//! `masks.h5` layout: root attributes `format` = "seq2exp-masks", `window`; datasets `gene_id`,
//! `chrom` (strings), `start` (i64, window start, may be negative near a chromosome start),
//! `store_index` (u64), `mask` [G, L] f32, one deflate-compressed chunk per gene.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use ndarray::{s, Array2, ArrayView2};
use seq2exp_store::StoreReader;

use super::{write_atomic, OutputError};

pub const PARTS_DIR: &str = "masks.parts";
pub const MASKS_NAME: &str = "masks.h5";
pub const FORMAT: &str = "seq2exp-masks";

pub struct MaskParts {
    dir: PathBuf,
    window: usize,
    next: usize,
}

fn part_number(p: &Path) -> Option<usize> {
    p.file_name()?.to_str()?.strip_prefix("part-")?.strip_suffix(".h5")?.parse().ok()
}

fn parts_in(dir: &Path) -> Result<Vec<(usize, PathBuf)>, OutputError> {
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| OutputError::io(dir, e))? {
        let p = entry.map_err(|e| OutputError::io(dir, e))?.path();
        match part_number(&p) {
            Some(n) => parts.push((n, p)),
            // A temporary file left by a kill: never renamed, so never counted.
            None => std::fs::remove_file(&p).map_err(|e| OutputError::io(&p, e))?,
        }
    }
    parts.sort();
    Ok(parts)
}

impl MaskParts {
    pub fn open(out_dir: &Path, window: usize) -> Result<Self, OutputError> {
        let dir = out_dir.join(PARTS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| OutputError::io(&dir, e))?;
        let next = parts_in(&dir)?.last().map_or(0, |(n, _)| n + 1);
        Ok(Self { dir, window, next })
    }

    /// Writes the masks (`[genes.len(), L]`, row-major) of one batch as the next part.
    pub fn write(&mut self, genes: &[usize], masks: &[f32]) -> Result<(), OutputError> {
        let path = self.dir.join(format!("part-{:06}.h5", self.next));
        let rows = ArrayView2::from_shape((genes.len(), self.window), masks)
            .map_err(|e| OutputError::invalid(path.display(), e.to_string()))?;
        write_atomic(&path, |tmp| {
            let f = hdf5::File::create(tmp).map_err(|e| OutputError::hdf5(tmp, e))?;
            let idx: Vec<u64> = genes.iter().map(|&g| g as u64).collect();
            f.new_dataset_builder().with_data(&idx).create("store_index").map_err(|e| OutputError::hdf5(tmp, e))?;
            f.new_dataset_builder().with_data(&rows).create("mask").map_err(|e| OutputError::hdf5(tmp, e))?;
            Ok(())
        })?;
        self.next += 1;
        Ok(())
    }

    /// Merges the parts into `dir/masks.h5` in `order` (each gene must be present) and removes them.
    pub fn finish(self, reader: &StoreReader, order: &[usize], dir: &Path) -> Result<PathBuf, OutputError> {
        let out = dir.join(MASKS_NAME);
        // A kill after the merge's rename and the parts' removal: the merged file is complete.
        if out.is_file() && parts_in(&self.dir)?.is_empty() {
            let _ = std::fs::remove_dir(&self.dir);
            return Ok(out);
        }
        let row_of: HashMap<usize, usize> = order.iter().enumerate().map(|(r, &g)| (g, r)).collect();
        write_atomic(&out, |tmp| {
            let f = create_masks_file(tmp, reader, order, self.window)?;
            let ds = f.dataset("mask").map_err(|e| OutputError::hdf5(tmp, e))?;
            let mut written = vec![false; order.len()];
            for (_, part) in parts_in(&self.dir)? {
                let p = hdf5::File::open(&part).map_err(|e| OutputError::hdf5(&part, e))?;
                let idx: Vec<u64> =
                    p.dataset("store_index").and_then(|d| d.read_raw()).map_err(|e| OutputError::hdf5(&part, e))?;
                let rows: Array2<f32> =
                    p.dataset("mask").and_then(|d| d.read_2d()).map_err(|e| OutputError::hdf5(&part, e))?;
                for (k, &g) in idx.iter().enumerate() {
                    let Some(&r) = row_of.get(&(g as usize)) else { continue };
                    if !written[r] {
                        ds.write_slice(rows.slice(s![k..k + 1, ..]), s![r..r + 1, ..])
                            .map_err(|e| OutputError::hdf5(tmp, e))?;
                        written[r] = true;
                    }
                }
            }
            match written.iter().position(|w| !w) {
                Some(r) => Err(OutputError::invalid(
                    self.dir.display(),
                    format!("no mask for gene {}", reader.genes()[order[r]].id),
                )),
                None => Ok(()),
            }
        })?;
        std::fs::remove_dir_all(&self.dir).map_err(|e| OutputError::io(&self.dir, e))?;
        Ok(out)
    }
}

fn strs(path: &Path, v: impl Iterator<Item = String>) -> Result<Vec<VarLenUnicode>, OutputError> {
    v.map(|s| {
        s.parse::<VarLenUnicode>().map_err(|e| OutputError::invalid(path.display(), format!("string '{s}': {e}")))
    })
    .collect()
}

fn create_masks_file(
    path: &Path,
    reader: &StoreReader,
    order: &[usize],
    window: usize,
) -> Result<hdf5::File, OutputError> {
    let h5 = |e| OutputError::hdf5(path, e);
    let f = hdf5::File::create(path).map_err(h5)?;
    let genes: Vec<_> = order.iter().map(|&i| &reader.genes()[i]).collect();
    let format = strs(path, std::iter::once(FORMAT.to_string()))?;
    f.new_attr::<VarLenUnicode>().shape(()).create("format").and_then(|a| a.write_scalar(&format[0])).map_err(h5)?;
    f.new_attr::<u64>().shape(()).create("window").and_then(|a| a.write_scalar(&(window as u64))).map_err(h5)?;
    f.new_dataset_builder()
        .with_data(&strs(path, genes.iter().map(|g| g.id.clone()))?)
        .create("gene_id")
        .map_err(h5)?;
    f.new_dataset_builder()
        .with_data(&strs(path, genes.iter().map(|g| g.chrom.clone()))?)
        .create("chrom")
        .map_err(h5)?;
    let starts: Vec<i64> = genes.iter().map(|g| g.window_start(window as u64)).collect();
    f.new_dataset_builder().with_data(&starts).create("start").map_err(h5)?;
    let idx: Vec<u64> = order.iter().map(|&i| i as u64).collect();
    f.new_dataset_builder().with_data(&idx).create("store_index").map_err(h5)?;
    f.new_dataset::<f32>().shape([order.len(), window]).chunk([1, window]).deflate(1).create("mask").map_err(h5)?;
    Ok(f)
}

/// A finished `masks.h5`, read gene by gene.
pub struct MaskFile {
    path: PathBuf,
    mask: hdf5::Dataset,
    pub window: usize,
    pub gene_ids: Vec<String>,
    pub chroms: Vec<String>,
    pub starts: Vec<i64>,
}

impl MaskFile {
    pub fn open(path: &Path) -> Result<Self, OutputError> {
        let h5 = |e| OutputError::hdf5(path, e);
        let f = hdf5::File::open(path).map_err(h5)?;
        let format: VarLenUnicode = f.attr("format").and_then(|a| a.read_scalar()).map_err(h5)?;
        if format.as_str() != FORMAT {
            return Err(OutputError::invalid(
                path.display(),
                format!("not a mask file (format '{}')", format.as_str()),
            ));
        }
        let window = f.attr("window").and_then(|a| a.read_scalar::<u64>()).map_err(h5)? as usize;
        let text = |name: &str| -> Result<Vec<String>, OutputError> {
            Ok(f.dataset(name)
                .and_then(|d| d.read_raw::<VarLenUnicode>())
                .map_err(h5)?
                .into_iter()
                .map(|s| s.as_str().to_string())
                .collect())
        };
        let (gene_ids, chroms) = (text("gene_id")?, text("chrom")?);
        let starts: Vec<i64> = f.dataset("start").and_then(|d| d.read_raw()).map_err(h5)?;
        let mask = f.dataset("mask").map_err(h5)?;
        if mask.shape() != [gene_ids.len(), window] || chroms.len() != gene_ids.len() || starts.len() != gene_ids.len()
        {
            return Err(OutputError::invalid(
                format!("{}: dataset mask", path.display()),
                format!("shape {:?}, expected [{}, {window}] (genes × window)", mask.shape(), gene_ids.len()),
            ));
        }
        Ok(Self { path: path.to_path_buf(), mask, window, gene_ids, chroms, starts })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Row of each gene id (first row wins), for reading masks by gene.
    pub fn rows_by_gene(&self) -> HashMap<String, usize> {
        let mut rows = HashMap::with_capacity(self.len());
        for (r, id) in self.gene_ids.iter().enumerate() {
            rows.entry(id.clone()).or_insert(r);
        }
        rows
    }

    pub fn len(&self) -> usize {
        self.gene_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.gene_ids.is_empty()
    }

    /// The mask of row `r` (`L` values).
    pub fn mask(&self, r: usize) -> Result<Vec<f32>, OutputError> {
        let row: ndarray::Array1<f32> =
            self.mask.read_slice_1d(s![r, ..]).map_err(|e| OutputError::hdf5(&self.path, e))?;
        Ok(row.to_vec())
    }
}

/// Mean mask over every base of `genes` (gene ids, each of which must be in the mask file at `path`): the
/// mask ratio `runtime eval` reports.
pub fn mask_ratio(path: &Path, genes: &[&str]) -> Result<f64, OutputError> {
    let file = MaskFile::open(path)?;
    let row: HashMap<&str, usize> = file.gene_ids.iter().enumerate().map(|(r, g)| (g.as_str(), r)).collect();
    let (mut n, mut sum) = (0usize, 0f64);
    for g in genes {
        let &r = row.get(g).ok_or_else(|| OutputError::invalid(path.display(), format!("no mask for gene {g}")))?;
        let m = file.mask(r)?;
        n += m.len();
        sum += m.iter().map(|&v| v as f64).sum::<f64>();
    }
    Ok(sum / n.max(1) as f64)
}
