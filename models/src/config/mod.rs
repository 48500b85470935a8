//! Model and training configuration: every size and constant of docs/model.md is a field with the reference
//! default, so a checkpoint's `config.json` fully describes its network. Presets: `paper` (reference sizes)
//! and `tiny` (CPU-sized, for tests and the demo).

mod caduceus;
mod flops;
mod seq2exp;
mod train;

pub use caduceus::{CaduceusConfig, MambaConfig};
pub use flops::{inference_flops, inference_flops_at, InferenceFlops};
pub use seq2exp::{
    DiscoveryConfig, HeadConfig, Loss, MaskConfig, MaskMode, Posterior, Readout, RetrainConfig, Seq2ExpConfig,
};
pub use train::{PretrainConfig, TrainConfig};

/// A configuration that cannot describe a working model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid configuration: {field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

pub(crate) fn positive(field: &str, v: usize) -> Result<(), ConfigError> {
    if v == 0 {
        return Err(ConfigError::new(field, "must be at least 1"));
    }
    Ok(())
}

pub(crate) fn positive_f(field: &str, v: f64) -> Result<(), ConfigError> {
    if !(v.is_finite() && v > 0.0) {
        return Err(ConfigError::new(field, format!("must be a positive number, got {v}")));
    }
    Ok(())
}

/// A named preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Paper,
    Tiny,
}

impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "paper" => Ok(Self::Paper),
            "tiny" => Ok(Self::Tiny),
            _ => Err(format!("unknown preset '{s}' (paper, tiny)")),
        }
    }
}
