// The CUDA side of the selective-scan autograd node (scan_autograd.cpp), compiled only under the
// `cuda` feature (SEQ2EXP_CUDA): casts, allocation, stream and device handling around scan_cuda.cu.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace seq2exp {

// The scan's tensors in the node's argument order; absent optional ones are 0-element tensors.
struct ScanTensors {
  at::Tensor u, delta, delta_low, dt_weight, a_log, b, c, d, z, bias;
};

// Casts in place to what the CUDA kernel reads: data (u, δ, z, B, C) all bf16 when they all are, else
// f32; parameters f32; all contiguous. f64 is refused (the CUDA kernel has no f64 path).
void cuda_prep(ScanTensors& t);

// y (f32) of prepared inputs; the checkpoint grid goes to `ckpt` when it is non-null.
at::Tensor cuda_forward(const ScanTensors& t, bool softplus, int64_t chunk, at::Tensor* ckpt);

// Gradients in the node's argument order (undefined for absent inputs), each in its input's dtype.
std::vector<at::Tensor> cuda_backward(const ScanTensors& t, const at::Tensor& ckpt, const at::Tensor& dy,
                                      bool softplus, int64_t chunk);

}  // namespace seq2exp
