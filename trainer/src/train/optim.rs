//! AdamW with decoupled weight decay (PyTorch's update), kept in plain tensors so its state can be saved
//! and restored exactly — tch's optimisers do not expose their moment buffers, which exact resume needs.

use tch::{Kind, Tensor};

/// Parameters that get no weight decay (docs/model.md): biases, norm weights, A_log, D.
pub fn decays(name: &str) -> bool {
    !(name.ends_with(".bias") || name.contains("norm") || name.ends_with("A_log") || name.ends_with(".D"))
}

pub struct AdamW {
    /// (name, parameter, decays) in name order.
    params: Vec<(String, Tensor, bool)>,
    pub m: Vec<Tensor>,
    pub v: Vec<Tensor>,
    /// Updates done so far (for bias correction).
    pub t: i64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
}

impl AdamW {
    pub fn new(mut params: Vec<(String, Tensor)>, betas: (f64, f64), eps: f64, weight_decay: f64) -> Self {
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let m = params.iter().map(|(_, p)| p.zeros_like()).collect();
        let v = params.iter().map(|(_, p)| p.zeros_like()).collect();
        let params = params
            .into_iter()
            .map(|(n, p)| {
                let d = decays(&n);
                (n, p, d)
            })
            .collect();
        Self { params, m, v, t: 0, betas, eps, weight_decay }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|(n, _, _)| n.as_str())
    }

    pub fn zero_grad(&mut self) {
        for (_, p, _) in &self.params {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
    }

    /// Scales gradients so their global L2 norm is at most `max_norm`; returns the norm before clipping.
    pub fn clip_grad_norm(&mut self, max_norm: f64) -> f64 {
        let grads: Vec<Tensor> = self.params.iter().map(|(_, p, _)| p.grad()).filter(|g| g.defined()).collect();
        let total = grads.iter().map(|g| g.square().sum(Kind::Double).double_value(&[])).sum::<f64>().sqrt();
        let scale = max_norm / (total + 1e-6);
        if scale < 1.0 {
            tch::no_grad(|| {
                grads.iter().for_each(|g| {
                    let _ = g.shallow_clone().g_mul_scalar_(scale);
                })
            });
        }
        total
    }

    /// One AdamW update at learning rate `lr`.
    pub fn step(&mut self, lr: f64) {
        self.step_scaled(lr, |_| 1.0);
    }

    /// One AdamW update, parameter `name` at `lr · scale(name)`; a parameter whose scale is 0 is left as
    /// it is, moments included (frozen).
    pub fn step_scaled(&mut self, lr: f64, scale: impl Fn(&str) -> f64) {
        self.t += 1;
        let (b1, b2) = self.betas;
        let bc1 = 1.0 - b1.powi(self.t as i32);
        let bc2 = 1.0 - b2.powi(self.t as i32);
        tch::no_grad(|| {
            for (i, (name, p, decay)) in self.params.iter().enumerate() {
                let g = p.grad();
                let lr = lr * scale(name);
                if !g.defined() || lr == 0.0 {
                    continue;
                }
                let mut p = p.shallow_clone();
                if *decay && self.weight_decay > 0.0 {
                    let _ = p.g_mul_scalar_(1.0 - lr * self.weight_decay);
                }
                let _ = self.m[i].g_mul_scalar_(b1).g_add_(&(&g * (1.0 - b1)));
                let _ = self.v[i].g_mul_scalar_(b2).g_add_(&(g.square() * (1.0 - b2)));
                let denom = (&self.v[i] / bc2).sqrt() + self.eps;
                let _ = p.g_sub_(&((&self.m[i] / bc1) / denom * lr));
            }
        });
    }

    /// Moment buffers as named tensors (`adam.m.<param>`, `adam.v.<param>`) for a checkpoint.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        self.params
            .iter()
            .enumerate()
            .flat_map(|(i, (n, _, _))| {
                [(format!("adam.m.{n}"), self.m[i].shallow_clone()), (format!("adam.v.{n}"), self.v[i].shallow_clone())]
            })
            .collect()
    }

    /// Restores the moments from checkpoint tensors; fails on a missing or mis-shaped buffer.
    pub fn load_state(&mut self, t: i64, find: impl Fn(&str) -> Option<Tensor>) -> Result<(), String> {
        for (i, (n, p, _)) in self.params.iter().enumerate() {
            for (which, buf) in [("m", &mut self.m[i]), ("v", &mut self.v[i])] {
                let key = format!("adam.{which}.{n}");
                let saved = find(&key).ok_or_else(|| format!("checkpoint has no {key}"))?;
                if saved.size() != p.size() {
                    return Err(format!("{key}: shape {:?}, parameter has {:?}", saved.size(), p.size()));
                }
                tch::no_grad(|| buf.copy_(&saved));
            }
        }
        self.t = t;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_decay_on_biases_norms_alog_and_d() {
        assert!(decays("predictor.layers.0.mixer.mamba_fwd.in_proj.weight"));
        assert!(decays("seq_embed.weight"));
        for n in [
            "seq_embed.bias",
            "predictor.layers.1.norm.weight",
            "generator.norm_f.weight",
            "generator.layers.0.mixer.mamba_rev.A_log",
            "predictor.layers.0.mixer.mamba_fwd.D",
        ] {
            assert!(!decays(n), "{n}");
        }
    }

    #[test]
    fn matches_the_adamw_formula() {
        // One parameter, two steps, by hand: m, v, bias correction, decoupled decay.
        let p = Tensor::from_slice(&[1.0f64, -2.0]).set_requires_grad(true);
        let mut opt = AdamW::new(vec![("w.weight".into(), p.shallow_clone())], (0.9, 0.95), 1e-8, 0.1);
        let mut want = [1.0f64, -2.0];
        let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
        for t in 1..=2 {
            opt.zero_grad();
            (&p * &p).sum(Kind::Double).backward(); // grad = 2p
            opt.step(0.01);
            for k in 0..2 {
                let g = 2.0 * want[k];
                want[k] *= 1.0 - 0.01 * 0.1;
                m[k] = 0.9 * m[k] + 0.1 * g;
                v[k] = 0.95 * v[k] + 0.05 * g * g;
                let (mh, vh) = (m[k] / (1.0 - 0.9f64.powi(t)), v[k] / (1.0 - 0.95f64.powi(t)));
                want[k] -= 0.01 * mh / (vh.sqrt() + 1e-8);
            }
        }
        let got: Vec<f64> = Vec::try_from(&p.detach()).unwrap();
        for k in 0..2 {
            assert!((got[k] - want[k]).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn clipping_scales_to_the_max_norm() {
        let p = Tensor::from_slice(&[3.0f64, 4.0]).set_requires_grad(true);
        let mut opt = AdamW::new(vec![("w".into(), p.shallow_clone())], (0.9, 0.95), 1e-8, 0.0);
        (&p * &p).sum(Kind::Double).backward(); // grad (6, 8), norm 10
        let norm = opt.clip_grad_norm(1.0);
        assert!((norm - 10.0).abs() < 1e-9);
        let g: Vec<f64> = Vec::try_from(&p.grad()).unwrap();
        assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6, "{g:?}");
    }
}
