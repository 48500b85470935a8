//! `ai.seq2exp:CausalConv1dSilu`: Mamba's causal depthwise conv1d + SiLU in one pass
//! (`seq2exp_models::ops::causal_conv1d_silu`).
//!
//! Inputs (float): x `[B, D, L]`, weight `[D, 1, K]`, bias `[D]`; output y `[B, D, L]`, the same as
//! ONNX `Conv` (group D, pads [K−1, 0]) then SiLU.

use std::sync::Arc;

use ort::operator::{ComputeContext, Kernel, KernelContext, Operator, OperatorInput, OperatorOutput};
use ort::value::TensorElementType;
use seq2exp_models::ops::causal_conv1d_silu;
use seq2exp_models::scan::Isa;

use super::{dims3, err, input};
use crate::onnx::meta::CONV_OP;

pub struct CausalConvOp {
    pub pool: Arc<rayon::ThreadPool>,
}

impl Operator for CausalConvOp {
    type Kernel<'attr> = ConvKernel;

    fn name(&self) -> &str {
        CONV_OP
    }

    fn inputs(&self) -> impl IntoIterator<Item = OperatorInput> {
        (0..3).map(|_| OperatorInput::required(TensorElementType::Float32))
    }

    fn outputs(&self) -> impl IntoIterator<Item = OperatorOutput> {
        [OperatorOutput::required(TensorElementType::Float32)]
    }

    fn create_kernel<'attr>(&self, _: &KernelContext<'attr>) -> ort::Result<ConvKernel> {
        Ok(ConvKernel { pool: self.pool.clone(), isa: Isa::detect() })
    }
}

pub struct ConvKernel {
    pool: Arc<rayon::ThreadPool>,
    isa: Isa,
}

impl Kernel for ConvKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let (x, w, b) = (input(ctx, CONV_OP, 0)?, input(ctx, CONV_OP, 1)?, input(ctx, CONV_OP, 2)?);
        let (x_shape, x) = x.try_extract_tensor::<f32>()?;
        let (w_shape, w) = w.try_extract_tensor::<f32>()?;
        let (_, b) = b.try_extract_tensor::<f32>()?;
        let [batch, dim, len] = dims3(CONV_OP, "x", x_shape)?;
        let kernel = match **w_shape {
            [d, 1, k] if d as usize == dim => k as usize,
            _ => return Err(err(CONV_OP, format!("weight has shape {w_shape:?}, expected [{dim}, 1, K]"))),
        };
        let mut out = ctx.output(0, x_shape.to_vec())?.ok_or_else(|| err(CONV_OP, "no output"))?;
        let (_, y) = out.try_extract_tensor_mut::<f32>()?;
        self.pool
            .install(|| causal_conv1d_silu(self.isa, (batch, dim, len), kernel, x, w, b, y))
            .map_err(|e| err(CONV_OP, e))
    }
}
