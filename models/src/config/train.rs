//! Optimisation settings (docs/model.md, "Training (reference)").

use serde::{Deserialize, Serialize};

use super::{positive, positive_f, ConfigError, Preset};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    /// AdamW's ε, added to √v̂ (torch's default 1e-8, as the reference).
    #[serde(default = "default_adam_eps")]
    pub adam_eps: f64,
    pub weight_decay: f64,
    /// Linear warmup from `warmup_start_lr` to `lr` over `warmup_steps`, then cosine to `min_lr` at `steps`.
    pub warmup_start_lr: f64,
    pub warmup_steps: usize,
    pub min_lr: f64,
    pub steps: usize,
    pub batch_size: usize,
    pub grad_clip: f64,
    pub seed: u64,
    /// Validate (and maybe checkpoint) every this many steps.
    pub validate_every: usize,
    /// bf16 autocast on CUDA.
    pub bf16: bool,
    /// Leave-chromosome-out fold (1..=12); 11 is the paper's.
    pub fold: usize,
    /// Masked-base pretraining of a DNA-only generator before the task (ours; docs/model.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretrain: Option<PretrainConfig>,
    /// Task steps at the start in which the mask's own parameters (generator, mask head) are frozen and
    /// only the rest learns, so the first, large residuals do not move every mask together.
    #[serde(default)]
    pub mask_warmup_steps: usize,
    /// The learning rate of the mask's own parameters as a multiple of the schedule's.
    #[serde(default = "one")]
    pub mask_lr_scale: f64,
}

/// The generator trained as a masked-base language model: `mask_rate` of the real bases of each training
/// window are replaced by N and predicted from the generator's output by a linear layer (dropped after).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainConfig {
    pub steps: usize,
    pub lr: f64,
    #[serde(default = "default_mask_rate")]
    pub mask_rate: f64,
}

fn default_mask_rate() -> f64 {
    0.15
}

fn one() -> f64 {
    1.0
}

fn default_adam_eps() -> f64 {
    1e-8
}

impl TrainConfig {
    pub fn preset(p: Preset) -> Self {
        match p {
            Preset::Paper => Self {
                lr: 5e-4,
                betas: (0.9, 0.95),
                adam_eps: default_adam_eps(),
                weight_decay: 1e-6,
                warmup_start_lr: 1e-5,
                warmup_steps: 5_000,
                min_lr: 1e-4,
                steps: 50_000,
                batch_size: 8,
                grad_clip: 1.0,
                seed: 2222,
                validate_every: 1_000,
                bf16: true,
                fold: 11,
                pretrain: None,
                mask_warmup_steps: 0,
                mask_lr_scale: 1.0,
            },
            Preset::Tiny => Self {
                lr: 2e-3,
                warmup_steps: 20,
                min_lr: 2e-4,
                steps: 300,
                batch_size: 4,
                validate_every: 50,
                bf16: false,
                ..Self::preset(Preset::Paper)
            },
        }
    }

    /// Learning rate at `step` (0-based).
    pub fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            let t = step as f64 / self.warmup_steps as f64;
            return self.warmup_start_lr + t * (self.lr - self.warmup_start_lr);
        }
        let span = self.steps.saturating_sub(self.warmup_steps).max(1) as f64;
        let t = ((step - self.warmup_steps) as f64 / span).min(1.0);
        self.min_lr + 0.5 * (self.lr - self.min_lr) * (1.0 + (std::f64::consts::PI * t).cos())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        positive_f("train.lr", self.lr)?;
        positive("train.steps", self.steps)?;
        positive("train.batch_size", self.batch_size)?;
        positive("train.validate_every", self.validate_every)?;
        positive_f("train.grad_clip", self.grad_clip)?;
        positive_f("train.adam_eps", self.adam_eps)?;
        if !(0.0..1.0).contains(&self.betas.0) || !(0.0..1.0).contains(&self.betas.1) {
            return Err(ConfigError::new("train.betas", "must be in [0, 1)"));
        }
        if self.weight_decay < 0.0 || self.min_lr < 0.0 || self.warmup_start_lr < 0.0 {
            return Err(ConfigError::new("train.weight_decay", "weight decay and learning rates must be ≥ 0"));
        }
        if !(1..=12).contains(&self.fold) {
            return Err(ConfigError::new("train.fold", format!("{} is not a fold (1..=12)", self.fold)));
        }
        if !(self.mask_lr_scale >= 0.0 && self.mask_lr_scale.is_finite()) {
            return Err(ConfigError::new("train.mask_lr_scale", "must be a finite number ≥ 0"));
        }
        if let Some(p) = &self.pretrain {
            positive("train.pretrain.steps", p.steps)?;
            positive_f("train.pretrain.lr", p.lr)?;
            if !(p.mask_rate > 0.0 && p.mask_rate < 1.0) {
                return Err(ConfigError::new("train.pretrain.mask_rate", "must be in (0, 1)"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays_to_min() {
        let c = TrainConfig::preset(Preset::Paper);
        assert!((c.lr_at(0) - 1e-5).abs() < 1e-12);
        assert!((c.lr_at(2_500) - (1e-5 + 0.5 * (5e-4 - 1e-5))).abs() < 1e-12);
        assert!((c.lr_at(5_000) - 5e-4).abs() < 1e-12);
        assert!((c.lr_at(27_500) - (1e-4 + 0.5 * 4e-4)).abs() < 1e-12);
        assert!((c.lr_at(50_000) - 1e-4).abs() < 1e-12);
        assert!((c.lr_at(60_000) - 1e-4).abs() < 1e-12);
    }

    /// Run directories written before `adam_eps` existed still load, with the reference ε.
    #[test]
    fn adam_eps_defaults_to_the_reference_and_must_be_positive() {
        let mut json = serde_json::to_value(TrainConfig::preset(Preset::Tiny)).unwrap();
        json.as_object_mut().unwrap().remove("adam_eps");
        let c: TrainConfig = serde_json::from_value(json).unwrap();
        assert_eq!(c.adam_eps, 1e-8);
        let bad = TrainConfig { adam_eps: -1e-8, ..c };
        assert!(bad.validate().unwrap_err().to_string().contains("adam_eps"));
    }
}
