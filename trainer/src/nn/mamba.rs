//! One Mamba-1 mixer direction (docs/model.md, "Mamba-1 block").

use tch::nn::{Init, Path};
use tch::{Kind, Tensor};

use seq2exp_models::config::MambaConfig;

use super::init::kaiming_uniform_bound;
use crate::scan::{selective_scan, selective_scan_reference, DeltaArg, ScanArgs};

/// Which scan implementation a mixer calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanImpl {
    /// The Rust kernel in a libtorch autograd node (memory O(B·D·L)).
    Kernel,
    /// The pure-tensor reference (materialises [B, D, L, N]; tests only).
    Reference,
}

/// The per-direction parameters of a Mamba mixer; `in_proj`/`out_proj` may be shared (tied).
#[derive(Debug)]
pub struct Mamba {
    pub cfg: MambaConfig,
    pub in_proj: Tensor,
    pub conv_weight: Tensor,
    pub conv_bias: Tensor,
    pub x_proj: Tensor,
    pub dt_proj_weight: Tensor,
    pub dt_proj_bias: Tensor,
    pub a_log: Tensor,
    pub d: Tensor,
    pub out_proj: Tensor,
    pub scan: ScanImpl,
}

impl Mamba {
    /// Creates a direction under `p`. With `tied = Some((in_proj, out_proj))` those weights are reused.
    pub fn new(p: &Path, cfg: &MambaConfig, n_layer: usize, tied: Option<(&Tensor, &Tensor)>) -> Self {
        let (di, dm, n, r, k) =
            (cfg.d_inner as i64, cfg.d_model as i64, cfg.d_state as i64, cfg.dt_rank as i64, cfg.d_conv as i64);
        let (in_proj, out_proj) = match tied {
            Some((i, o)) => (i.shallow_clone(), o.shallow_clone()),
            None => {
                let b = kaiming_uniform_bound(cfg.d_model);
                let in_proj = (p / "in_proj").var("weight", &[2 * di, dm], Init::Uniform { lo: -b, up: b });
                // kaiming-uniform(a=√5) then ÷ √n_layer (the reference divided by √64 by accident).
                let b = kaiming_uniform_bound(cfg.d_inner) / (n_layer as f64).sqrt();
                let out_proj = (p / "out_proj").var("weight", &[dm, di], Init::Uniform { lo: -b, up: b });
                (in_proj, out_proj)
            }
        };
        let bc = kaiming_uniform_bound(cfg.d_conv);
        let conv_weight = (p / "conv1d").var("weight", &[di, 1, k], Init::Uniform { lo: -bc, up: bc });
        let conv_bias = (p / "conv1d").var("bias", &[di], Init::Uniform { lo: -bc, up: bc });
        let bx = kaiming_uniform_bound(cfg.d_inner);
        let x_proj = (p / "x_proj").var("weight", &[r + 2 * n, di], Init::Uniform { lo: -bx, up: bx });
        let bd = (cfg.dt_rank as f64).powf(-0.5);
        let dt_proj_weight = (p / "dt_proj").var("weight", &[di, r], Init::Uniform { lo: -bd, up: bd });
        let dt_proj_bias = (p / "dt_proj").var_copy("bias", &dt_bias_init(cfg));
        let a = Tensor::arange_start(1, n + 1, (Kind::Float, p.device())).log().unsqueeze(0).repeat([di, 1]);
        let a_log = p.var_copy("A_log", &a);
        let d = p.var("D", &[di], Init::Const(1.0));
        Self {
            cfg: cfg.clone(),
            in_proj,
            conv_weight,
            conv_bias,
            x_proj,
            dt_proj_weight,
            dt_proj_bias,
            a_log,
            d,
            out_proj,
            scan: ScanImpl::Kernel,
        }
    }

    /// `x: [B, L, d_model]` → `[B, L, d_model]`.
    ///
    /// Projections are computed straight into the scan's `[B, channels, L]` layout (as mamba_ssm does), so
    /// no `[B, L, D]` intermediate is transposed and copied: memory per direction is what autograd must keep.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let (_, len, _) = x.size3().expect("x is [B, L, d_model]");
        let c = &self.cfg;
        let (di, n, r) = (c.d_inner as i64, c.d_state as i64, c.dt_rank as i64);
        // x and z from the two halves of in_proj separately: as slices of one [B, 2·D, L] product, each of their
        // gradients would be scattered into a zeroed [B, 2·D, L] buffer (two of them, then summed).
        let xt = x.transpose(1, 2);
        let xs = self.in_proj.narrow(0, 0, di).matmul(&xt); // [B, D, L]
        let z = self.in_proj.narrow(0, di, di).matmul(&xt);
        let k = c.d_conv as i64;
        let xs = xs.conv1d(&self.conv_weight, Some(&self.conv_bias), [1], [k - 1], [1], di).narrow(2, 0, len).silu(); // [B, D, L]
        let x_dbl = self.x_proj.matmul(&xs); // [B, r + 2N, L]
                                             // dt_proj is fused into the scan: it gets the r δ rows and the weight, never a [B, D, L] δ.
        let delta_low = x_dbl.narrow(1, 0, r);
        let b = x_dbl.narrow(1, r, n).transpose(1, 2).contiguous(); // [B, L, N]
        let cm = x_dbl.narrow(1, r + n, n).transpose(1, 2).contiguous();
        let args = ScanArgs {
            u: &xs,
            delta: DeltaArg::LowRank { low: &delta_low, weight: &self.dt_proj_weight },
            a_log: &self.a_log,
            b: &b,
            c: &cm,
            d_skip: Some(&self.d),
            z: Some(&z),
            delta_bias: Some(&self.dt_proj_bias),
            delta_softplus: true,
        };
        let y = match self.scan {
            ScanImpl::Kernel => selective_scan(&args).expect("selective scan"),
            ScanImpl::Reference => selective_scan_reference(&args),
        };
        y.transpose(1, 2).matmul(&self.out_proj.tr()) // [B, L, d_model]
    }
}

impl super::Recompute for Mamba {
    fn forward(&self, x: &Tensor) -> Tensor {
        Mamba::forward(self, x)
    }
}

/// dt_proj.bias = softplus⁻¹(dt), dt log-uniform in [dt_min, dt_max], floored at dt_init_floor.
fn dt_bias_init(c: &MambaConfig) -> Tensor {
    let (lo, hi) = (c.dt_min.ln(), c.dt_max.ln());
    let dt = (Tensor::rand([c.d_inner as i64], (Kind::Float, tch::Device::Cpu)) * (hi - lo) + lo)
        .exp()
        .clamp_min(c.dt_init_floor);
    // softplus⁻¹(y) = y + log(−expm1(−y))
    &dt + (-(-&dt).expm1()).log()
}
