//! Named f32 tensors in a safetensors file (written atomically), with string metadata in its header.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use crate::error::{Result, TrainerError};

/// The variables of `vs` by name, plus each tied pair's second name (e.g. `mamba_rev.in_proj.weight`,
/// which a PyTorch state dict lists although it shares `mamba_fwd`'s tensor), sorted by name.
pub fn state_dict(vs: &VarStore, tied: &[(String, String)]) -> Vec<(String, Tensor)> {
    let vars = vs.variables();
    let mut out: Vec<(String, Tensor)> = vars.iter().map(|(n, t)| (n.clone(), t.shallow_clone())).collect();
    for (alias, source) in tied {
        if let Some(t) = vars.get(source) {
            out.push((alias.clone(), t.shallow_clone()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn format_err(path: &Path, message: impl Into<String>) -> TrainerError {
    TrainerError::Format { path: path.to_path_buf(), message: message.into() }
}

/// Writes `tensors` (converted to f32, contiguous, on the CPU) to `path` via a temporary file + rename.
pub fn write_weights(path: &Path, tensors: &[(String, Tensor)], metadata: &HashMap<String, String>) -> Result<()> {
    let data: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let t = t.detach().to_device(Device::Cpu).to_kind(Kind::Float).contiguous();
            let shape: Vec<usize> = t.size().iter().map(|&s| s as usize).collect();
            let values = Vec::<f32>::try_from(t.flatten(0, -1))?;
            Ok((name.clone(), shape, values.iter().flat_map(|v| v.to_le_bytes()).collect()))
        })
        .collect::<Result<_>>()?;
    let views: Vec<(String, TensorView)> = data
        .iter()
        .map(|(n, shape, bytes)| TensorView::new(Dtype::F32, shape.clone(), bytes).map(|v| (n.clone(), v)))
        .collect::<Result<_, _>>()
        .map_err(|e| format_err(path, e.to_string()))?;
    let bytes = safetensors::serialize(views, Some(metadata.clone())).map_err(|e| format_err(path, e.to_string()))?;
    seq2exp_store::output::write_file(path, bytes)
        .map_err(|source| TrainerError::Io { path: path.to_path_buf(), source })
}

/// Named tensors and the header metadata of a safetensors file.
pub type WeightsAndMetadata = (Vec<(String, Tensor)>, HashMap<String, String>);

/// Reads every tensor (f32) and the header metadata of a safetensors file.
pub fn read_weights(path: &Path) -> Result<WeightsAndMetadata> {
    let bytes = std::fs::read(path).map_err(|source| TrainerError::Io { path: path.to_path_buf(), source })?;
    let (_, meta) =
        SafeTensors::read_metadata(&bytes).map_err(|e| format_err(path, format!("not a safetensors file: {e}")))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| format_err(path, format!("not a safetensors file: {e}")))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(format_err(path, format!("tensor {name}: dtype {:?}, expected F32", view.dtype())));
        }
        let values: Vec<f32> =
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let shape: Vec<i64> = view.shape().iter().map(|&s| s as i64).collect();
        out.push((name, Tensor::from_slice(&values).reshape(shape)));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((out, meta.metadata().clone().unwrap_or_default()))
}
