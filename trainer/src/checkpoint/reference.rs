//! Checkpoint tensors ⇄ the reference implementation's state dict (names in
//! `seq2exp_models::reference`; docs/model.md, "Reference checkpoints").

use std::collections::HashMap;

use seq2exp_models::config::{MaskConfig, Seq2ExpConfig};
use seq2exp_models::reference::{
    check_expressible, from_reference, reference_shapes, to_reference, MASK_MODEL, PRIOR_WEIGHTS, SHARED_ENCODER,
    SIGNAL_BETAS,
};
use tch::{Kind, Tensor};

/// Why a state dict could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("key `model.{field}`: {message}")]
    NotExpressible { field: String, message: String },
    #[error("tensor {0} is missing")]
    Missing(String),
    #[error("tensor {name} has shape {got:?}, the model expects {want:?}")]
    Shape { name: String, got: Vec<i64>, want: Vec<i64> },
    #[error("unexpected tensor{} {}: not part of this model (wrong --mode or sizes?)", if .0.len() > 1 { "s" } else { "" }, .0.join(", "))]
    Unexpected(Vec<String>),
    #[error("{0}: the shared stack's two copies differ, so this is not a hard (shared-weights) model")]
    NotShared(String),
}

fn expressible(cfg: &Seq2ExpConfig) -> Result<(), ReferenceError> {
    check_expressible(cfg).map_err(|e| ReferenceError::NotExpressible { field: e.field, message: e.message })
}

fn f32s(v: &[f64]) -> Tensor {
    Tensor::from_slice(&v.iter().map(|&x| x as f32).collect::<Vec<_>>())
}

fn prior_tensors(scope: &str, mask: &MaskConfig) -> [(String, Tensor); 2] {
    let total: f64 = mask.prior_weights.iter().sum();
    let log_w: Vec<f64> = mask.prior_weights.iter().map(|w| (w / total).ln()).collect();
    [(format!("{scope}{PRIOR_WEIGHTS}"), f32s(&log_w)), (format!("{scope}{SIGNAL_BETAS}"), f32s(&mask.prior_offsets))]
}

/// `head.mlp.0` with the feature standardisation folded in: W·[h, (f − μ)/σ] + b =
/// [W_h, W_f/σ]·[h, f] + (b − (W_f/σ)·μ), so the reference's head, which reads raw features, computes
/// the same function.
fn fold_standardisation(cfg: &Seq2ExpConfig, t: &HashMap<String, Tensor>) -> Result<(Tensor, Tensor), ReferenceError> {
    let get = |n: &str| t.get(n).ok_or_else(|| ReferenceError::Missing(n.to_string()));
    let (w, b) = (get("head.mlp.0.weight")?.to_kind(Kind::Double), get("head.mlp.0.bias")?.to_kind(Kind::Double));
    if !cfg.head.standardize_features {
        return Ok((w, b));
    }
    let (mean, std) = (get("head.feature_mean")?.to_kind(Kind::Double), get("head.feature_std")?.to_kind(Kind::Double));
    let pooled = cfg.pooled_width() as i64;
    let nf = cfg.head.n_features as i64;
    let w_f = w.narrow(1, pooled, nf) / std.unsqueeze(0);
    let b = b - w_f.matmul(&mean);
    Ok((Tensor::cat(&[w.narrow(1, 0, pooled), w_f], 1), b))
}

/// Our checkpoint's model tensors under the reference's names (f32), sorted by name; optimiser moments
/// and other extra tensors are left out.
pub fn to_reference_state_dict(
    cfg: &Seq2ExpConfig,
    tensors: &HashMap<String, Tensor>,
) -> Result<Vec<(String, Tensor)>, ReferenceError> {
    expressible(cfg)?;
    let (w0, b0) = fold_standardisation(cfg, tensors)?;
    let mut out = Vec::new();
    for (name, _) in cfg.weight_shapes() {
        let Some(reference) = to_reference(&name) else { continue };
        let t = match name.as_str() {
            "head.mlp.0.weight" => w0.shallow_clone(),
            "head.mlp.0.bias" => b0.shallow_clone(),
            _ => tensors.get(&name).ok_or_else(|| ReferenceError::Missing(name.clone()))?.shallow_clone(),
        };
        let t = t.to_kind(Kind::Float);
        if cfg.shares_stack() {
            if let Some(tail) = name.strip_prefix("generator.") {
                out.push((format!("{SHARED_ENCODER}{tail}"), t.shallow_clone()));
            }
        }
        out.push((reference, t));
    }
    if cfg.mask.learned() {
        out.extend(prior_tensors("", &cfg.mask));
    }
    if let Some(r) = &cfg.mask.retrain {
        out.extend(prior_tensors(MASK_MODEL, &r.source.mask));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Sets a mask configuration's prior from the file's `prior_weights` (softmax) and `signal_betas`,
/// keeping the configured values where they agree to f32 rounding (so a round trip is exact).
fn read_prior(scope: &str, mask: &mut MaskConfig, t: &HashMap<String, Tensor>) -> Result<(), ReferenceError> {
    let get = |n: String| t.get(&n).map(|x| x.to_kind(Kind::Double)).ok_or(ReferenceError::Missing(n));
    let weights = Vec::<f64>::try_from(get(format!("{scope}{PRIOR_WEIGHTS}"))?.softmax(0, Kind::Double))
        .map_err(|e| ReferenceError::Missing(format!("{scope}{PRIOR_WEIGHTS} ({e})")))?;
    let betas = Vec::<f64>::try_from(get(format!("{scope}{SIGNAL_BETAS}"))?)
        .map_err(|e| ReferenceError::Missing(format!("{scope}{SIGNAL_BETAS} ({e})")))?;
    let same = |a: &[f64], b: &[f64]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-6 * y.abs().max(1.0))
    };
    if !same(&weights, &mask.prior_weights) {
        mask.prior_weights = weights;
    }
    if !same(&betas, &mask.prior_offsets) {
        mask.prior_offsets = betas;
    }
    Ok(())
}

/// A reference-named state dict → our tensors for `cfg`, whose signal prior is updated from the file.
/// The file must hold exactly this model's tensors with its shapes; the head reads raw features
/// (`standardize_features` is turned off, its buffers set to the identity).
pub fn from_reference_state_dict(
    cfg: &mut Seq2ExpConfig,
    tensors: &HashMap<String, Tensor>,
) -> Result<HashMap<String, Tensor>, ReferenceError> {
    cfg.head.standardize_features = false;
    expressible(cfg)?;
    let want: HashMap<String, Vec<usize>> = reference_shapes(cfg)
        .map_err(|e| ReferenceError::NotExpressible { field: e.field, message: e.message })?
        .into_iter()
        .collect();
    let mut unexpected: Vec<String> = tensors.keys().filter(|k| !want.contains_key(*k)).cloned().collect();
    if !unexpected.is_empty() {
        unexpected.sort();
        return Err(ReferenceError::Unexpected(unexpected));
    }
    let mut missing: Vec<&String> = want.keys().filter(|k| !tensors.contains_key(*k)).collect();
    missing.sort();
    if let Some(m) = missing.first() {
        return Err(ReferenceError::Missing((*m).clone()));
    }
    for (name, shape) in &want {
        let got = tensors[name].size();
        let want: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
        if got != want {
            return Err(ReferenceError::Shape { name: name.clone(), got, want });
        }
    }
    if cfg.mask.learned() {
        read_prior("", &mut cfg.mask, tensors)?;
    }
    if let Some(r) = cfg.mask.retrain.as_mut() {
        read_prior(MASK_MODEL, &mut r.source.mask, tensors)?;
        // The retrain model's prior fields mirror its source's (it has no prior of its own).
        cfg.mask.prior_weights = r.source.mask.prior_weights.clone();
        cfg.mask.prior_offsets = r.source.mask.prior_offsets.clone();
    }
    let mut out = HashMap::new();
    for (name, t) in tensors {
        if cfg.shares_stack() {
            if let Some(tail) = name.strip_prefix(SHARED_ENCODER) {
                let twin = format!("generator.backbone.{tail}");
                if !t.allclose(&tensors[&twin], 0.0, 0.0, false) {
                    return Err(ReferenceError::NotShared(name.clone()));
                }
                continue;
            }
        }
        if let Some(ours) = from_reference(name) {
            out.insert(ours, t.to_kind(Kind::Float));
        }
    }
    let nf = cfg.head.n_features as i64;
    out.insert("head.feature_mean".into(), Tensor::zeros([nf], (Kind::Float, tch::Device::Cpu)));
    out.insert("head.feature_std".into(), Tensor::ones([nf], (Kind::Float, tch::Device::Cpu)));
    Ok(out)
}
