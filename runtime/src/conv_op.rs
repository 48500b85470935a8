//! `ai.seq2exp:CausalConv1dSilu`: the fast flavour's fused causal depthwise conv1d + SiLU (Mamba's
//! step before x_proj), running `seq2exp_models::scan::causal_conv1d_silu`.
//!
//! Inputs (float): x `[B, D, L]`, weight `[D, 1, K]`, bias `[D]`; output y `[B, D, L]` =
//! silu(bias + causal depthwise conv of x), the same as ONNX `Conv` (group D, pads [K−1, 0]) then SiLU.

use std::sync::Arc;

use ort::operator::{ComputeContext, Kernel, KernelContext, Operator, OperatorInput, OperatorOutput};
use ort::value::TensorElementType;
use seq2exp_models::scan::{causal_conv1d_silu, Isa};

use crate::onnx::meta::CONV_OP;

/// The operator; like the scan, its kernel runs on the session's rayon `pool`.
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

fn err(msg: impl Into<String>) -> ort::Error {
    ort::Error::new(format!("{CONV_OP}: {}", msg.into()))
}

impl Kernel for ConvKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let input = |i: usize| ctx.input(i)?.ok_or_else(|| err(format!("input {i} is missing")));
        let (x, w, b) = (input(0)?, input(1)?, input(2)?);
        let (x_shape, x) = x.try_extract_tensor::<f32>()?;
        let (w_shape, w) = w.try_extract_tensor::<f32>()?;
        let (_, b) = b.try_extract_tensor::<f32>()?;
        let [batch, dim, len] = match **x_shape {
            [a, b, c] => [a as usize, b as usize, c as usize],
            _ => return Err(err(format!("x must be rank 3, got shape {x_shape:?}"))),
        };
        let kernel = match **w_shape {
            [d, 1, k] if d as usize == dim => k as usize,
            _ => return Err(err(format!("weight has shape {w_shape:?}, expected [{dim}, 1, K]"))),
        };
        let mut out = ctx.output(0, x_shape.to_vec())?.ok_or_else(|| err("no output"))?;
        let (_, y) = out.try_extract_tensor_mut::<f32>()?;
        // Size errors (a malformed graph) come back as an ORT error, never a panic across the FFI.
        self.pool.install(|| causal_conv1d_silu(self.isa, (batch, dim, len), kernel, x, w, b, y)).map_err(|e| err(e.to_string()))
    }
}
