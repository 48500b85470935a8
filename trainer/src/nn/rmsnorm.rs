use tch::nn::{Init, Path};
use tch::{Kind, Tensor};

/// RMSNorm: `x / sqrt(mean(x²) + eps) · weight`, computed in f32 (as mamba_ssm does) and cast back.
#[derive(Debug)]
pub struct RmsNorm {
    pub weight: Tensor,
    eps: f64,
}

impl RmsNorm {
    pub fn new(p: &Path, dim: usize, eps: f64) -> Self {
        Self { weight: p.var("weight", &[dim as i64], Init::Const(1.0)), eps }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        let kind = x.kind();
        let xf = if kind == Kind::Double { x.shallow_clone() } else { x.to_kind(Kind::Float) };
        let rms = (xf.square().mean_dim([-1].as_slice(), true, xf.kind()) + self.eps).rsqrt();
        ((xf * rms) * &self.weight).to_kind(kind)
    }
}
