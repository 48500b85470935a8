//! `masks.h5` as `runtime predict --masks` writes it (root attributes `format` = "seq2exp-masks" and
//! `window`; datasets `gene_id` and `mask [G, L]`), read one gene at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use ndarray::s;
use seq2exp_formats::error::InputError;

pub const FORMAT: &str = "seq2exp-masks";

/// An open mask file: which row holds which gene.
pub struct MaskFile {
    path: PathBuf,
    mask: hdf5::Dataset,
    window: usize,
    rows: HashMap<String, usize>,
}

impl std::fmt::Debug for MaskFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaskFile").field("path", &self.path).field("genes", &self.rows.len()).finish()
    }
}

impl MaskFile {
    /// Opens and checks a mask file (format, window, shapes); errors name the file and the dataset.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let h5 = |what: &str, e: hdf5::Error| InputError::at(path, what.to_string(), e.to_string());
        let f =
            hdf5::File::with_options().with_fapl(|p| p.file_locking(false)).open(path).map_err(|e| h5("open", e))?;
        let format: VarLenUnicode =
            f.attr("format").and_then(|a| a.read_scalar()).map_err(|e| h5("attribute format", e))?;
        if format.as_str() != FORMAT {
            return Err(InputError::new(
                path,
                format!("not a mask file (format '{}', expected '{FORMAT}')", format.as_str()),
            )
            .into());
        }
        let window =
            f.attr("window").and_then(|a| a.read_scalar::<u64>()).map_err(|e| h5("attribute window", e))? as usize;
        let ids: Vec<VarLenUnicode> =
            f.dataset("gene_id").and_then(|d| d.read_raw()).map_err(|e| h5("dataset gene_id", e))?;
        let mask = f.dataset("mask").map_err(|e| h5("dataset mask", e))?;
        if mask.shape() != [ids.len(), window] {
            return Err(InputError::at(
                path,
                "dataset mask",
                format!("shape {:?}, expected [{}, {window}] (genes × window)", mask.shape(), ids.len()),
            )
            .into());
        }
        let rows = ids.iter().enumerate().map(|(r, id)| (id.as_str().to_string(), r)).collect();
        Ok(Self { path: path.to_path_buf(), mask, window, rows })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn window(&self) -> usize {
        self.window
    }

    pub fn contains(&self, gene_id: &str) -> bool {
        self.rows.contains_key(gene_id)
    }

    /// The mask of `gene_id` (`window` values); an error naming the file when the gene is absent.
    pub fn mask(&self, gene_id: &str) -> anyhow::Result<Vec<f32>> {
        let &r =
            self.rows.get(gene_id).ok_or_else(|| InputError::new(&self.path, format!("no mask for gene {gene_id}")))?;
        let row: ndarray::Array1<f32> = self
            .mask
            .read_slice_1d(s![r, ..])
            .map_err(|e| InputError::at(&self.path, format!("gene {gene_id}"), e.to_string()))?;
        Ok(row.to_vec())
    }
}
