//! The reference PyTorch implementation's state-dict naming (its `GeneBiMambaMIRNP` model), so weights
//! move both ways between it and seq2exp (docs/model.md, "Reference checkpoints").
//!
//! Six prefixes differ; everything below them (the Caduceus layer names) is already the same:
//!
//! | seq2exp | reference |
//! |---|---|
//! | `seq_embed.` | `seq_input_layer.` |
//! | `sig_embed.` | `signal_input_layer.` |
//! | `generator.` | `generator.backbone.` |
//! | `predictor.` | `encoder.backbone.` |
//! | `mask_head.` | `mask_output.` |
//! | `head.mlp.` | `pToExpr.` |
//!
//! `pos_emb` keeps its name; the retrain variant's frozen mask keeps its `mask_model.` prefix (inside it the
//! same renames apply). The reference also stores the signal prior as parameters — `prior_weights`
//! (ln of the normalised weights; it applies a softmax) and `signal_betas` (the offsets b) — which are
//! configuration here; and its hard variant lists the shared stack twice (`encoder` is `generator`).
//! The head's feature-scaling buffers have no counterpart: exporting folds them into `pToExpr.0`.

use crate::config::{ConfigError, MaskMode, Posterior, Seq2ExpConfig};

/// Our prefix → the reference's.
const RENAMES: [(&str, &str); 6] = [
    ("seq_embed.", "seq_input_layer."),
    ("sig_embed.", "signal_input_layer."),
    ("generator.", "generator.backbone."),
    ("predictor.", "encoder.backbone."),
    ("mask_head.", "mask_output."),
    ("head.mlp.", "pToExpr."),
];

/// The frozen mask model's scope, the same in both namings.
pub const MASK_MODEL: &str = "mask_model.";
/// ln of the normalised prior weights, `[signals]`.
pub const PRIOR_WEIGHTS: &str = "prior_weights";
/// The prior's β offsets b, `[signals]`.
pub const SIGNAL_BETAS: &str = "signal_betas";
/// The hard variant's shared stack under its second (predictor) name.
pub const SHARED_ENCODER: &str = "encoder.backbone.";

fn rename(name: &str, table: impl Iterator<Item = (&'static str, &'static str)>) -> Option<String> {
    let (scope, rest) = name.strip_prefix(MASK_MODEL).map_or(("", name), |r| (MASK_MODEL, r));
    if rest == "pos_emb" && scope.is_empty() {
        return Some(rest.to_string());
    }
    let mut table = table;
    table.find_map(|(from, to)| rest.strip_prefix(from).map(|tail| format!("{scope}{to}{tail}")))
}

/// The reference's name of one of our tensors; `None` for tensors it has no counterpart of (the head's
/// feature-scaling buffers).
pub fn to_reference(name: &str) -> Option<String> {
    rename(name, RENAMES.into_iter())
}

/// Our name of one of the reference's tensors; `None` for what is not a tensor here (`prior_weights`,
/// `signal_betas`, and — for the hard variant — the shared stack's `encoder.backbone.*` twin, which maps
/// to `predictor.*` and is dropped by the caller).
pub fn from_reference(name: &str) -> Option<String> {
    rename(name, RENAMES.into_iter().map(|(a, b)| (b, a)))
}

fn not_expressible(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(field, format!("the reference model cannot express this: {}", message.into()))
}

/// Whether the reference model can hold this configuration's weights and compute what it computes.
pub fn check_expressible(cfg: &Seq2ExpConfig) -> Result<(), ConfigError> {
    match cfg.mask.mode {
        MaskMode::Discovery => {
            return Err(not_expressible("mask.mode", "discovery (window-sum path, smoothed logits) is seq2exp's own"))
        }
        MaskMode::Signal => return Err(not_expressible("mask.mode", "the `signal` baseline has no sequence model")),
        _ => {}
    }
    if cfg.head.hidden != cfg.d_model() {
        return Err(not_expressible(
            "head.hidden",
            format!("pToExpr's hidden width is d_model ({}), this head's is {}", cfg.d_model(), cfg.head.hidden),
        ));
    }
    let mask_expressible = |field: &str, m: &crate::config::MaskConfig| {
        if m.posterior == Posterior::Paper {
            return Err(not_expressible(&format!("{field}.posterior"), "it computes Beta(α1 + α2, β1 + β2) only"));
        }
        // One constant (its `beta_min`) is both the generator's offset and the prior's shift.
        if m.generator_offset != m.prior_shift {
            return Err(not_expressible(
                &format!("{field}.generator_offset"),
                format!(
                    "one constant is both the generator offset and the prior shift ({} ≠ {})",
                    m.generator_offset, m.prior_shift
                ),
            ));
        }
        Ok(())
    };
    if cfg.mask.learned() {
        mask_expressible("mask", &cfg.mask)?;
    }
    if let Some(r) = &cfg.mask.retrain {
        let src = &r.source;
        if src.mask.mode != MaskMode::Soft {
            return Err(not_expressible(
                "mask.retrain.source.mask.mode",
                "its retrain variant freezes a soft model's mask",
            ));
        }
        // Its mask model is built from the retrain model's own configuration.
        if src.generator != cfg.generator {
            return Err(not_expressible(
                "mask.retrain.source.generator",
                "the frozen mask's generator must have the retrain model's generator sizes",
            ));
        }
        mask_expressible("mask.retrain.source.mask", &src.mask)?;
    }
    Ok(())
}

/// Every tensor of the reference model's state dict for this configuration, with its shape, sorted by
/// name: what `trainer export --format reference-state-dict` writes.
pub fn reference_shapes(cfg: &Seq2ExpConfig) -> Result<Vec<(String, Vec<usize>)>, ConfigError> {
    check_expressible(cfg)?;
    let c = cfg.signals.len();
    let mut out = Vec::new();
    for (name, shape) in cfg.weight_shapes() {
        let Some(reference) = to_reference(&name) else { continue };
        if cfg.shares_stack() {
            if let Some(tail) = name.strip_prefix("generator.") {
                out.push((format!("{SHARED_ENCODER}{tail}"), shape.clone()));
            }
        }
        out.push((reference, shape));
    }
    if cfg.mask.learned() {
        out.extend([(PRIOR_WEIGHTS.to_string(), vec![c]), (SIGNAL_BETAS.to_string(), vec![c])]);
    }
    if cfg.mask.retrain.is_some() {
        out.extend([
            (format!("{MASK_MODEL}{PRIOR_WEIGHTS}"), vec![c]),
            (format!("{MASK_MODEL}{SIGNAL_BETAS}"), vec![c]),
        ]);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MaskConfig, Preset};

    #[test]
    fn names_map_both_ways() {
        for (ours, theirs) in [
            ("seq_embed.weight", "seq_input_layer.weight"),
            ("generator.norm_f.weight", "generator.backbone.norm_f.weight"),
            ("predictor.layers.3.mixer.mamba_rev.A_log", "encoder.backbone.layers.3.mixer.mamba_rev.A_log"),
            ("head.mlp.4.bias", "pToExpr.4.bias"),
            ("mask_head.weight", "mask_output.weight"),
            ("pos_emb", "pos_emb"),
            ("mask_model.sig_embed.bias", "mask_model.signal_input_layer.bias"),
            ("mask_model.generator.layers.0.norm.weight", "mask_model.generator.backbone.layers.0.norm.weight"),
        ] {
            assert_eq!(to_reference(ours).as_deref(), Some(theirs));
            assert_eq!(from_reference(theirs).as_deref(), Some(ours));
        }
        assert_eq!(to_reference("head.feature_mean"), None);
        assert_eq!(from_reference(PRIOR_WEIGHTS), None);
        assert_eq!(from_reference("mask_model.pos_emb"), None);
    }

    #[test]
    fn refuses_what_the_reference_cannot_express() {
        let tiny = Seq2ExpConfig::preset(Preset::Tiny);
        assert_eq!(check_expressible(&tiny).unwrap_err().field, "head.hidden");
        let mut cfg = Seq2ExpConfig::preset(Preset::Paper);
        check_expressible(&cfg).unwrap();
        cfg.mask = MaskConfig::for_mode(MaskMode::Discovery);
        assert_eq!(check_expressible(&cfg).unwrap_err().field, "mask.mode");
        cfg.mask = MaskConfig::soft();
        cfg.mask.posterior = Posterior::Paper;
        assert_eq!(check_expressible(&cfg).unwrap_err().field, "mask.posterior");
        cfg.mask = MaskConfig::soft();
        cfg.mask.generator_offset = 0.0;
        assert_eq!(check_expressible(&cfg).unwrap_err().field, "mask.generator_offset");
        cfg.mask = MaskConfig::hard();
        check_expressible(&cfg).unwrap();
    }
}
