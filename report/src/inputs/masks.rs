//! `masks.h5` through the runtime's reader (the format's one home, beside its writer), looked up by
//! gene id.

use std::collections::HashMap;
use std::path::Path;

use seq2exp_formats::error::InputError;
use seq2exp_runtime::output::masks::MaskFile as Masks;

/// An open mask file and which row holds which gene.
pub struct MaskFile {
    masks: Masks,
    rows: HashMap<String, usize>,
}

impl std::fmt::Debug for MaskFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaskFile").field("path", &self.masks.path()).field("genes", &self.rows.len()).finish()
    }
}

impl MaskFile {
    /// Opens and checks a mask file (format, window, shapes); errors name the file.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let masks = Masks::open(path)?;
        let rows = masks.rows_by_gene();
        Ok(Self { masks, rows })
    }

    pub fn path(&self) -> &Path {
        self.masks.path()
    }

    pub fn window(&self) -> usize {
        self.masks.window
    }

    pub fn contains(&self, gene_id: &str) -> bool {
        self.rows.contains_key(gene_id)
    }

    /// The mask of `gene_id` (`window` values); an error naming the file when the gene is absent.
    pub fn mask(&self, gene_id: &str) -> anyhow::Result<Vec<f32>> {
        let &r = self
            .rows
            .get(gene_id)
            .ok_or_else(|| InputError::new(self.path(), format!("no mask for gene {gene_id}")))?;
        Ok(self.masks.mask(r)?)
    }
}
