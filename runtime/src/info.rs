//! What a seq2exp ONNX file says about itself: its metadata (see [`crate::onnx::meta`]) and the
//! graph's inputs and outputs, read from the protobuf without starting ONNX Runtime.

use std::collections::BTreeMap;
use std::path::Path;

use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::{ModelProto, ValueInfoProto};
use seq2exp_models::config::Seq2ExpConfig;

use crate::error::RuntimeError;
use crate::onnx::meta::{self, Flavour};

/// Name, element type and shape (`None` = free, e.g. the batch) of a graph input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<Option<usize>>,
}

#[derive(Clone, Debug)]
pub struct ModelInfo {
    pub flavour: Flavour,
    pub window: usize,
    pub signal_names: Vec<String>,
    pub n_features: usize,
    pub mask_mode: String,
    pub has_mask: bool,
    pub store_schema_version: u32,
    pub config_json: String,
    /// `config_json` parsed (checked when the model is loaded).
    pub config: Seq2ExpConfig,
    /// Every `metadata_props` entry (including provenance).
    pub metadata: BTreeMap<String, String>,
    pub inputs: Vec<TensorInfo>,
    pub outputs: Vec<TensorInfo>,
}

fn dtype_name(code: i32) -> String {
    use onnx_protobuf::tensor_proto::DataType;
    match code {
        c if c == DataType::FLOAT as i32 => "float32".into(),
        c if c == DataType::UINT8 as i32 => "uint8".into(),
        c if c == DataType::INT64 as i32 => "int64".into(),
        c => format!("onnx type {c}"),
    }
}

fn tensor_info(v: &ValueInfoProto) -> TensorInfo {
    let (dtype, shape) = match v.type_.as_ref().and_then(|t| t.value.as_ref()) {
        Some(TypeValue::TensorType(t)) => {
            let shape = t
                .shape
                .as_ref()
                .map(|s| {
                    s.dim.iter().map(|d| if d.has_dim_value() { Some(d.dim_value() as usize) } else { None }).collect()
                })
                .unwrap_or_default();
            (dtype_name(t.elem_type), shape)
        }
        _ => ("unknown".into(), Vec::new()),
    };
    TensorInfo { name: v.name.clone(), dtype, shape }
}

impl ModelInfo {
    /// Reads and checks the seq2exp metadata of `model` (loaded from `path`, named in errors).
    pub fn from_proto(model: &ModelProto, path: &Path) -> Result<Self, RuntimeError> {
        let metadata: BTreeMap<String, String> =
            model.metadata_props.iter().map(|e| (e.key.clone(), e.value.clone())).collect();
        let bad = |message: String| RuntimeError::NotSeq2Exp { path: path.to_path_buf(), message };
        let get = |key: &str| {
            metadata
                .get(key)
                .ok_or_else(|| bad(format!("no '{key}' metadata (files written by `trainer export` have it)")))
        };
        if get(meta::FORMAT)? != meta::FORMAT_NAME {
            return Err(bad(format!(
                "'{}' is '{}', expected '{}'",
                meta::FORMAT,
                get(meta::FORMAT)?,
                meta::FORMAT_NAME
            )));
        }
        let version: u32 =
            get(meta::FORMAT_VERSION_KEY)?.parse().map_err(|_| bad(format!("bad '{}'", meta::FORMAT_VERSION_KEY)))?;
        if version > meta::FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version} is newer than this runtime's ({}); update seq2exp",
                meta::FORMAT_VERSION
            )));
        }
        let flavour = Flavour::parse(get(meta::FLAVOUR)?)
            .ok_or_else(|| bad(format!("unknown flavour '{}'", get(meta::FLAVOUR).unwrap_or(&String::new()))))?;
        let config_json = get(meta::CONFIG)?.clone();
        let cfg: Seq2ExpConfig =
            serde_json::from_str(&config_json).map_err(|e| bad(format!("bad '{}': {e}", meta::CONFIG)))?;
        let window: usize = get(meta::WINDOW)?.parse().map_err(|_| bad(format!("bad '{}'", meta::WINDOW)))?;
        let signal_names: Vec<String> = serde_json::from_str(get(meta::SIGNAL_NAMES)?)
            .map_err(|e| bad(format!("bad '{}': {e}", meta::SIGNAL_NAMES)))?;
        let store_schema_version = get(meta::STORE_SCHEMA_VERSION)?
            .parse()
            .map_err(|_| bad(format!("bad '{}'", meta::STORE_SCHEMA_VERSION)))?;
        let mask_mode = get(meta::MASK_MODE)?.clone();
        let graph = model.graph.as_ref().ok_or_else(|| bad("no graph".into()))?;
        let inputs: Vec<TensorInfo> = graph.input.iter().map(tensor_info).collect();
        let outputs: Vec<TensorInfo> = graph.output.iter().map(tensor_info).collect();
        for name in ["dna", "signals", "features", "blacklist"] {
            if !inputs.iter().any(|i| i.name == name) {
                return Err(bad(format!("the graph has no '{name}' input")));
            }
        }
        if !outputs.iter().any(|o| o.name == "expression") {
            return Err(bad("the graph has no 'expression' output".into()));
        }
        let has_mask = outputs.iter().any(|o| o.name == "mask");
        Ok(Self {
            flavour,
            window,
            signal_names,
            n_features: cfg.head.n_features,
            mask_mode,
            has_mask,
            store_schema_version,
            config_json,
            config: cfg,
            metadata,
            inputs,
            outputs,
        })
    }
}
