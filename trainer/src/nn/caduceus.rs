use tch::nn::Path;
use tch::Tensor;

use seq2exp_models::config::CaduceusConfig;

use super::checkpoint::{checkpoint, Recompute};
use super::{BiMamba, RmsNorm, ScanImpl};

/// One Caduceus layer: `BiMamba(RMSNorm(residual))`.
#[derive(Debug)]
pub struct CaduceusLayer {
    pub norm: RmsNorm,
    pub mixer: BiMamba,
}

/// One direction of a layer, from the residual stream: `Mamba(RMSNorm(r))`, or for the reverse direction
/// `flip(Mamba(flip(RMSNorm(r))))`. Recomputing from `r` means both directions share one saved tensor
/// and the norm output and flipped copies exist only while a direction is being recomputed.
/// It is the layer itself seen through a transparent wrapper, so the pointer that the backward pass
/// calls back into is the model's own layer (a temporary would be gone by then).
#[repr(transparent)]
struct Direction<const REVERSE: bool>(CaduceusLayer);

impl<const REVERSE: bool> Direction<REVERSE> {
    fn of(layer: &CaduceusLayer) -> &Self {
        // SAFETY: `Direction` is a `repr(transparent)` wrapper of `CaduceusLayer`.
        unsafe { &*(layer as *const CaduceusLayer as *const Self) }
    }
}

impl<const REVERSE: bool> Recompute for Direction<REVERSE> {
    fn forward(&self, residual: &Tensor) -> Tensor {
        let h = self.0.norm.forward(residual);
        if REVERSE {
            self.0.mixer.rev.forward(&h.flip([1])).flip([1])
        } else {
            self.0.mixer.fwd.forward(&h)
        }
    }
}

impl CaduceusLayer {
    /// `BiMamba(RMSNorm(residual))`, each direction recomputed in the backward pass when `recompute`.
    pub fn forward(&self, residual: &Tensor, recompute: bool) -> Tensor {
        if !recompute {
            return self.mixer.forward(&self.norm.forward(residual));
        }
        // SAFETY: the directions are views of `self`, a layer of the model, which outlives its graphs.
        unsafe {
            checkpoint(Direction::<false>::of(self), residual) + checkpoint(Direction::<true>::of(self), residual)
        }
    }
}

/// A Caduceus stack fed embeddings: per layer `residual += hidden; hidden = BiMamba(RMSNorm(residual))`,
/// then `norm_f(residual + hidden)`.
///
/// Memory: with recomputation (default) each layer keeps only its residual input; its norm and each
/// direction are recomputed during the backward pass, one direction at a time.
#[derive(Debug)]
pub struct CaduceusStack {
    pub layers: Vec<CaduceusLayer>,
    pub norm_f: RmsNorm,
    pub recompute: bool,
}

impl CaduceusStack {
    pub fn new(p: &Path, cfg: &CaduceusConfig) -> Self {
        let d = cfg.mamba.d_model;
        let layers = (0..cfg.n_layer)
            .map(|i| {
                let lp = p / "layers" / i;
                CaduceusLayer {
                    norm: RmsNorm::new(&(&lp / "norm"), d, cfg.rms_norm_eps),
                    mixer: BiMamba::new(&(&lp / "mixer"), &cfg.mamba, cfg.n_layer),
                }
            })
            .collect();
        Self { layers, norm_f: RmsNorm::new(&(p / "norm_f"), d, cfg.rms_norm_eps), recompute: true }
    }

    pub fn set_scan(&mut self, s: ScanImpl) {
        self.layers.iter_mut().for_each(|l| l.mixer.set_scan(s));
    }

    /// Turns activation recomputation on (default) or off.
    pub fn set_recompute(&mut self, on: bool) {
        self.recompute = on;
    }

    /// `x: [B, L, d_model]` → `[B, L, d_model]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut hidden = x.shallow_clone();
        let mut residual: Option<Tensor> = None;
        for layer in &self.layers {
            let r = match residual {
                Some(r) => &hidden + r,
                None => hidden.shallow_clone(),
            };
            hidden = layer.forward(&r, self.recompute);
            residual = Some(r);
        }
        let r = residual.map_or_else(|| hidden.shallow_clone(), |r| &hidden + r);
        self.norm_f.forward(&r)
    }
}
