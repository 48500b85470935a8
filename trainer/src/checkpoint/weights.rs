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
    let bytes = sorted_header(bytes).map_err(|e| format_err(path, e))?;
    seq2exp_store::output::write_file(path, bytes)
        .map_err(|source| TrainerError::Io { path: path.to_path_buf(), source })
}

/// The same safetensors file with its JSON header's keys sorted. safetensors writes the metadata in a
/// `HashMap`'s iteration order, which changes from process to process; sorted, a checkpoint's bytes depend
/// on its contents alone (readers locate tensors by their offsets, not by header order).
fn sorted_header(bytes: Vec<u8>) -> std::result::Result<Vec<u8>, String> {
    let n = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize);
    let header = n.and_then(|n| bytes.get(8..8 + n)).ok_or("safetensors wrote no header")?;
    // serde_json's map is ordered by key (no `preserve_order`), at every level.
    let value: serde_json::Value = serde_json::from_slice(header).map_err(|e| format!("safetensors header: {e}"))?;
    let mut sorted = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
    // The format pads the header with spaces to a multiple of 8 bytes, so the data stays aligned.
    sorted.resize(sorted.len().div_ceil(8) * 8, b' ');
    let data = &bytes[8 + header.len()..];
    let mut out = Vec::with_capacity(8 + sorted.len() + data.len());
    out.extend_from_slice(&(sorted.len() as u64).to_le_bytes());
    out.extend_from_slice(&sorted);
    out.extend_from_slice(data);
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(keys: &[&str]) -> HashMap<String, String> {
        keys.iter().map(|k| (k.to_string(), format!("value of {k}"))).collect()
    }

    /// Two maps with the same entries iterate in different orders (each has its own hash seed); the
    /// files must not differ.
    #[test]
    fn the_same_checkpoint_is_the_same_bytes_whatever_the_metadata_order() {
        let dir = tempfile::tempdir().unwrap();
        let tensors = vec![
            ("b.weight".to_string(), Tensor::from_slice(&[1.0f32, 2.0, 3.0])),
            ("a.bias".to_string(), Tensor::from_slice(&[0.5f32]).reshape([1, 1])),
        ];
        let keys = ["format", "config", "state", "provenance", "mode", "window", "signals", "seed"];
        let mut files = Vec::new();
        for (k, order) in [keys.to_vec(), keys.iter().rev().copied().collect()].iter().enumerate() {
            let path = dir.path().join(format!("{k}.safetensors"));
            write_weights(&path, &tensors, &metadata(order)).unwrap();
            files.push(std::fs::read(&path).unwrap());
        }
        assert_eq!(files[0], files[1]);
        let (back, meta) = read_weights(&dir.path().join("0.safetensors")).unwrap();
        assert_eq!(meta, metadata(&keys));
        let names: Vec<&str> = back.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.bias", "b.weight"]);
        assert_eq!(Vec::<f32>::try_from(back[1].1.shallow_clone()).unwrap(), [1.0, 2.0, 3.0]);
        assert_eq!(back[0].1.size(), [1, 1]);
        let header_len = u64::from_le_bytes(files[0][..8].try_into().unwrap());
        assert_eq!(header_len % 8, 0, "header padded to 8 bytes");
    }
}
