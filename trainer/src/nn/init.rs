//! Initialisers of the reference (PyTorch defaults where docs/model.md does not say otherwise).

use tch::nn::{Init, Path};
use tch::Tensor;

/// PyTorch's `kaiming_uniform_(a = √5)` bound for a weight with `fan_in` inputs: 1/√fan_in.
pub fn kaiming_uniform_bound(fan_in: usize) -> f64 {
    1.0 / (fan_in as f64).sqrt()
}

/// A Linear layer's weight `[out, in]` (PyTorch default init) and, if asked, a zero bias (docs/model.md:
/// Linear biases are zero).
pub fn linear(p: &Path, name: &str, inp: usize, out: usize, bias: bool) -> (Tensor, Option<Tensor>) {
    let b = kaiming_uniform_bound(inp);
    let q = p / name;
    let w = q.var("weight", &[out as i64, inp as i64], Init::Uniform { lo: -b, up: b });
    let bias = bias.then(|| q.var("bias", &[out as i64], Init::Const(0.0)));
    (w, bias)
}
