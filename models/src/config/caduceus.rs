//! The Caduceus backbone: a stack of bidirectional Mamba-1 blocks with RMSNorm pre-norm residuals.

use serde::{Deserialize, Serialize};

use super::{positive, positive_f, ConfigError};

/// One Mamba-1 mixer (docs/model.md, "Mamba-1 block").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MambaConfig {
    pub d_model: usize,
    /// Channels of the scan (reference: 2 × d_model = 256).
    pub d_inner: usize,
    /// States per channel `N`.
    pub d_state: usize,
    /// Causal depthwise conv kernel.
    pub d_conv: usize,
    /// Rank of the δ projection (reference: ceil(d_model / 16) = 8).
    pub dt_rank: usize,
    /// Initial δ is log-uniform in [dt_min, dt_max], floored at dt_init_floor.
    pub dt_min: f64,
    pub dt_max: f64,
    pub dt_init_floor: f64,
}

impl MambaConfig {
    pub fn validate(&self, at: &str) -> Result<(), ConfigError> {
        for (f, v) in [
            ("d_model", self.d_model),
            ("d_inner", self.d_inner),
            ("d_state", self.d_state),
            ("d_conv", self.d_conv),
            ("dt_rank", self.dt_rank),
        ] {
            positive(&format!("{at}.{f}"), v)?;
        }
        positive_f(&format!("{at}.dt_min"), self.dt_min)?;
        positive_f(&format!("{at}.dt_init_floor"), self.dt_init_floor)?;
        if self.dt_max < self.dt_min {
            return Err(ConfigError::new(
                format!("{at}.dt_max"),
                format!("must be ≥ dt_min ({} < {})", self.dt_max, self.dt_min),
            ));
        }
        Ok(())
    }
}

/// A Caduceus stack fed embeddings (no token embedding): `n_layer` BiMamba blocks + final RMSNorm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaduceusConfig {
    pub n_layer: usize,
    pub mamba: MambaConfig,
    pub rms_norm_eps: f64,
}

impl CaduceusConfig {
    pub fn paper() -> Self {
        Self {
            n_layer: 4,
            mamba: MambaConfig {
                d_model: 128,
                d_inner: 256,
                d_state: 16,
                d_conv: 4,
                dt_rank: 8,
                dt_min: 0.001,
                dt_max: 0.1,
                dt_init_floor: 1e-4,
            },
            rms_norm_eps: 1e-5,
        }
    }

    pub fn tiny() -> Self {
        Self {
            n_layer: 2,
            mamba: MambaConfig {
                d_model: 16,
                d_inner: 32,
                d_state: 8,
                d_conv: 4,
                dt_rank: 2,
                dt_min: 0.001,
                dt_max: 0.1,
                dt_init_floor: 1e-4,
            },
            rms_norm_eps: 1e-5,
        }
    }

    pub fn validate(&self, at: &str) -> Result<(), ConfigError> {
        positive(&format!("{at}.n_layer"), self.n_layer)?;
        positive_f(&format!("{at}.rms_norm_eps"), self.rms_norm_eps)?;
        self.mamba.validate(&format!("{at}.mamba"))
    }

    /// State-dict names and shapes of this stack, in the public Mamba/Caduceus convention (docs/model.md).
    /// The in/out projections are tied: `mamba_rev.{in,out}_proj.weight` appear (as in a PyTorch state
    /// dict) but hold the same values as their `mamba_fwd` twins; see [`Self::tied_names`].
    pub fn parameter_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let m = &self.mamba;
        let mut out = Vec::new();
        for i in 0..self.n_layer {
            for dir in ["mamba_fwd", "mamba_rev"] {
                let p = format!("layers.{i}.mixer.{dir}");
                out.push((format!("{p}.in_proj.weight"), vec![2 * m.d_inner, m.d_model]));
                out.push((format!("{p}.conv1d.weight"), vec![m.d_inner, 1, m.d_conv]));
                out.push((format!("{p}.conv1d.bias"), vec![m.d_inner]));
                out.push((format!("{p}.x_proj.weight"), vec![m.dt_rank + 2 * m.d_state, m.d_inner]));
                out.push((format!("{p}.dt_proj.weight"), vec![m.d_inner, m.dt_rank]));
                out.push((format!("{p}.dt_proj.bias"), vec![m.d_inner]));
                out.push((format!("{p}.A_log"), vec![m.d_inner, m.d_state]));
                out.push((format!("{p}.D"), vec![m.d_inner]));
                out.push((format!("{p}.out_proj.weight"), vec![m.d_model, m.d_inner]));
            }
            out.push((format!("layers.{i}.norm.weight"), vec![m.d_model]));
        }
        out.push(("norm_f.weight".into(), vec![m.d_model]));
        out
    }

    /// (reverse-direction name, forward-direction name) of each tied pair.
    pub fn tied_names(&self) -> Vec<(String, String)> {
        (0..self.n_layer)
            .flat_map(|i| {
                ["in_proj", "out_proj"].map(|w| {
                    (format!("layers.{i}.mixer.mamba_rev.{w}.weight"), format!("layers.{i}.mixer.mamba_fwd.{w}.weight"))
                })
            })
            .collect()
    }
}
