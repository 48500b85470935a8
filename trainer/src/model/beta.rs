//! The Beta mask distribution: closed-form KL, reparameterised sampling, straight-through hardening.

use tch::Tensor;

/// KL(Beta(a, b) ‖ Beta(c, d)) elementwise, closed form (docs/model.md):
/// lnΓ(c)+lnΓ(d)+lnΓ(a+b) − lnΓ(a) − lnΓ(b) − lnΓ(c+d) + (a−c)ψ(a) + (b−d)ψ(b) + (c+d−a−b)ψ(a+b).
pub fn kl_beta(a: &Tensor, b: &Tensor, c: f64, d: f64) -> Tensor {
    let lg = |x: f64| Tensor::from(x).lgamma().double_value(&[]);
    let ab = a + b;
    let constant = lg(c) + lg(d) - lg(c + d);
    (ab.lgamma() - a.lgamma() - b.lgamma() + constant)
        + (a - c) * a.digamma()
        + (b - d) * b.digamma()
        + ((c + d) - &ab) * ab.digamma()
}

/// A reparameterised Beta(α, β) sample: G_a / (G_a + G_b) with G ~ Gamma(·, 1). libtorch's standard-gamma
/// op gives d(sample)/d(concentration), so gradients flow to α and β. Draws from the global RNG.
pub fn sample_beta(alpha: &Tensor, beta: &Tensor) -> Tensor {
    let ga = alpha.internal_standard_gamma();
    let gb = beta.internal_standard_gamma();
    // Both Gammas can underflow to 0 for tiny concentrations; the clamp keeps the ratio finite.
    &ga / (&ga + &gb).clamp_min(1e-30)
}

/// Hard mask with a straight-through gradient: forward 1[x ≥ t], backward identity.
pub fn straight_through(x: &Tensor, threshold: f64) -> Tensor {
    let hard = x.ge(threshold).to_kind(x.kind());
    &hard - x.detach() + x
}

/// The Beta mean α / (α + β): the deterministic inference mask.
pub fn beta_mean(alpha: &Tensor, beta: &Tensor) -> Tensor {
    alpha / (alpha + beta)
}
