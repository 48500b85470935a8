//! `ai.seq2exp:RmsNorm`: RMSNorm over the channels of `[B, C, L]` in two passes
//! (`seq2exp_models::ops::rms_norm_channels`).
//!
//! Inputs (float): x `[B, C, L]`, weight `[C]`; attribute `epsilon` (float); output y `[B, C, L]` =
//! x / sqrt(mean over C of x² + epsilon) · weight.

use std::sync::Arc;

use ort::operator::{ComputeContext, Kernel, KernelContext, Operator, OperatorInput, OperatorOutput};
use ort::value::TensorElementType;
use seq2exp_models::ops::rms_norm_channels;
use seq2exp_models::scan::Isa;

use super::{dims3, err, input};
use crate::onnx::meta::RMSNORM_OP;

pub struct RmsNormOp {
    pub pool: Arc<rayon::ThreadPool>,
}

impl Operator for RmsNormOp {
    type Kernel<'attr> = RmsNormKernel;

    fn name(&self) -> &str {
        RMSNORM_OP
    }

    fn inputs(&self) -> impl IntoIterator<Item = OperatorInput> {
        (0..2).map(|_| OperatorInput::required(TensorElementType::Float32))
    }

    fn outputs(&self) -> impl IntoIterator<Item = OperatorOutput> {
        [OperatorOutput::required(TensorElementType::Float32)]
    }

    fn create_kernel<'attr>(&self, ctx: &KernelContext<'attr>) -> ort::Result<RmsNormKernel> {
        let eps = ctx.get::<f32>("epsilon").ok_or_else(|| err(RMSNORM_OP, "attribute epsilon is missing"))?;
        Ok(RmsNormKernel { pool: self.pool.clone(), isa: Isa::detect(), eps })
    }
}

pub struct RmsNormKernel {
    pool: Arc<rayon::ThreadPool>,
    isa: Isa,
    eps: f32,
}

impl Kernel for RmsNormKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let (x, w) = (input(ctx, RMSNORM_OP, 0)?, input(ctx, RMSNORM_OP, 1)?);
        let (x_shape, x) = x.try_extract_tensor::<f32>()?;
        let (_, w) = w.try_extract_tensor::<f32>()?;
        let [b, c, l] = dims3(RMSNORM_OP, "x", x_shape)?;
        let mut out = ctx.output(0, x_shape.to_vec())?.ok_or_else(|| err(RMSNORM_OP, "no output"))?;
        let (_, y) = out.try_extract_tensor_mut::<f32>()?;
        self.pool.install(|| rms_norm_channels(self.isa, (b, c, l), self.eps, x, w, y)).map_err(|e| err(RMSNORM_OP, e))
    }
}
