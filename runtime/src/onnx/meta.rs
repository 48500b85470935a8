//! The metadata a seq2exp ONNX file carries (`ModelProto.metadata_props`): keys, values, and the
//! flavour of the scan.

use seq2exp_models::config::{MaskMode, Seq2ExpConfig};

/// Value of [`FORMAT`]: marks a file written by `trainer export`.
pub const FORMAT_NAME: &str = "seq2exp-onnx";
/// Bumped whenever inputs, outputs or metadata change meaning.
pub const FORMAT_VERSION: u32 = 1;

pub const FORMAT: &str = "seq2exp.format";
pub const FORMAT_VERSION_KEY: &str = "seq2exp.format_version";
pub const FLAVOUR: &str = "seq2exp.flavour";
/// The model configuration JSON (`Seq2ExpConfig`).
pub const CONFIG: &str = "seq2exp.config";
pub const WINDOW: &str = "seq2exp.window";
/// JSON list: the channels of the `signals` input, in order.
pub const SIGNAL_NAMES: &str = "seq2exp.signal_names";
/// JSON object: how each channel was computed from its source.
pub const SIGNAL_TRANSFORMS: &str = "seq2exp.signal_transforms";
pub const TARGET_TRANSFORM: &str = "seq2exp.target_transform";
pub const STORE_SCHEMA_VERSION: &str = "seq2exp.store_schema_version";
/// `soft`, `hard`, `discovery`, `retrain`, `nomask` or `signal`.
pub const MASK_MODE: &str = "seq2exp.mask_mode";
/// JSON: run directory, checkpoint and its sha256, step, trainer version, command line, date.
pub const PROVENANCE: &str = "seq2exp.provenance";

/// Domain and type of the fast flavour's custom node.
pub const SCAN_DOMAIN: &str = "ai.seq2exp";
pub const SCAN_OP: &str = "SelectiveScan";
/// The fast flavour's fused causal depthwise conv1d + SiLU, in the same domain.
pub const CONV_OP: &str = "CausalConv1dSilu";
pub const RMSNORM_OP: &str = "RmsNorm";
pub const FLIP_OP: &str = "Flip";

/// How the selective scan is expressed in the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// A `ai.seq2exp:SelectiveScan` node run by this crate's kernel (needs this runtime).
    Fast,
    /// Stock ONNX (`Scan` over positions): runs in any onnxruntime, slower.
    Portable,
}

impl Flavour {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Fast => "fast",
            Flavour::Portable => "portable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fast" => Some(Flavour::Fast),
            "portable" => Some(Flavour::Portable),
            _ => None,
        }
    }
}

impl std::fmt::Display for Flavour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Flavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s).ok_or_else(|| format!("unknown flavour '{s}' (fast, portable)"))
    }
}

pub fn mask_mode_name(m: MaskMode) -> &'static str {
    match m {
        MaskMode::Soft => "soft",
        MaskMode::Hard => "hard",
        MaskMode::Discovery => "discovery",
        MaskMode::Retrain => "retrain",
        MaskMode::Nomask => "nomask",
        MaskMode::Peakmask => "peakmask",
        MaskMode::Signal => "signal",
    }
}

/// How each input channel is derived (docs/model.md, "Inputs"); unknown track names are stored raw.
fn signal_transform(name: &str) -> &'static str {
    match name {
        "hic" => "ABC-style contact of each base's Hi-C bin with the TSS bin (power-law scaled, gamma 0.87, pseudocount), log10(x+1), expanded per base",
        _ => "raw bigWig value per base, NaN/missing -> 0",
    }
}

/// Every key but [`PROVENANCE`], derived from the configuration.
pub fn model_metadata(cfg: &Seq2ExpConfig, flavour: Flavour) -> Vec<(String, String)> {
    let transforms: serde_json::Map<String, serde_json::Value> =
        cfg.signals.iter().map(|s| (s.clone(), signal_transform(s).into())).collect();
    let config = serde_json::to_string(cfg).expect("a configuration always serialises");
    vec![
        (FORMAT.into(), FORMAT_NAME.into()),
        (FORMAT_VERSION_KEY.into(), FORMAT_VERSION.to_string()),
        (FLAVOUR.into(), flavour.as_str().into()),
        (CONFIG.into(), config),
        (WINDOW.into(), cfg.window.to_string()),
        (SIGNAL_NAMES.into(), serde_json::to_string(&cfg.signals).expect("strings serialise")),
        (SIGNAL_TRANSFORMS.into(), serde_json::Value::Object(transforms).to_string()),
        (TARGET_TRANSFORM.into(), "log10(x+1)".into()),
        (STORE_SCHEMA_VERSION.into(), seq2exp_store::SCHEMA_VERSION.to_string()),
        (MASK_MODE.into(), mask_mode_name(cfg.mask.mode).into()),
    ]
}
