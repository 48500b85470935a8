//! A batch of genes to predict, and what comes back.

use crate::error::RuntimeError;

/// Row-major input slices for `batch` genes of `window` bases (the layouts of the graph inputs:
/// `dna [B, L]`, `signals [B, L, C]` position-major, `features [B, n_features]`, `blacklist [B, L]`).
#[derive(Clone, Copy, Debug)]
pub struct InputBatch<'a> {
    pub batch: usize,
    pub window: usize,
    pub dna: &'a [u8],
    pub signals: &'a [f32],
    pub features: &'a [f32],
    /// 1 = blacklisted; `None` = no blacklisted base.
    pub blacklist: Option<&'a [u8]>,
}

/// One value per gene, and the mask `[B·L]` when the model has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub expression: Vec<f32>,
    pub mask: Option<Vec<f32>>,
}

impl<'a> InputBatch<'a> {
    /// The arrays of a store batch, as `StoreReader`/`BatchStream` yield them (read the channels the
    /// model names, in its order: `ModelInfo::signal_names`).
    pub fn from_store_batch(b: &'a seq2exp_store::Batch) -> Self {
        Self {
            batch: b.len(),
            window: b.window,
            dna: &b.dna,
            signals: &b.signals,
            features: &b.features,
            blacklist: Some(&b.blacklist),
        }
    }

    /// Checks every length against a model with `window`, `channels` and `n_features`.
    pub fn check(&self, window: usize, channels: usize, n_features: usize) -> Result<(), RuntimeError> {
        if self.window != window {
            return Err(RuntimeError::Input(format!("windows of {} bp, the model's are {window} bp", self.window)));
        }
        let (b, l) = (self.batch, self.window);
        let mut expect = vec![
            ("dna", self.dna.len(), b * l),
            ("signals", self.signals.len(), b * l * channels),
            ("features", self.features.len(), b * n_features),
        ];
        if let Some(bl) = self.blacklist {
            expect.push(("blacklist", bl.len(), b * l));
        }
        for (name, got, want) in expect {
            if got != want {
                return Err(RuntimeError::Input(format!("{name} has {got} values, expected {want} (batch {b}, window {l}, {channels} signal channel(s), {n_features} features)")));
            }
        }
        if b == 0 {
            return Err(RuntimeError::Input("empty batch".into()));
        }
        Ok(())
    }
}
