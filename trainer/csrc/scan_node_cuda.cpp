// CUDA path of the selective-scan autograd node: see scan_node_cuda.h. Errors are TORCH_CHECK
// exceptions, caught at the node's extern "C" entry like the CPU path's.
#include "scan_node_cuda.h"

#include "scan_cuda.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

namespace seq2exp {
namespace {

bool present(const at::Tensor& t) { return t.defined() && t.numel() > 0; }
const void* cptr(const at::Tensor& t) { return present(t) ? t.data_ptr() : nullptr; }
const float* fptr(const at::Tensor& t) { return present(t) ? t.data_ptr<float>() : nullptr; }
float* mptr(at::Tensor& t) { return present(t) ? t.data_ptr<float>() : nullptr; }
at::Tensor cast(const at::Tensor& t, at::ScalarType st) { return present(t) ? t.to(st).contiguous() : t; }
// An f32 gradient buffer shaped like `t`, or undefined for an absent input.
at::Tensor grad_like(const at::Tensor& t) {
  return present(t) ? at::empty(t.sizes(), t.options().dtype(at::kFloat)) : at::Tensor();
}

Seq2expCudaShape shape_of(const ScanTensors& t, int64_t chunk, bool softplus) {
  const int64_t rank = present(t.dt_weight) ? t.dt_weight.size(1) : 0;
  return Seq2expCudaShape{t.u.size(0), t.u.size(1), t.u.size(2), t.a_log.size(1), chunk, rank,
                          t.u.scalar_type() == at::kBFloat16 ? 1 : 0, softplus ? 1 : 0};
}

const at::Tensor& delta_in(const ScanTensors& t) { return present(t.dt_weight) ? t.delta_low : t.delta; }

at::Tensor workspace(int64_t n, const at::Tensor& like) {
  TORCH_CHECK(n >= 0, "selective scan (CUDA): bad shape or chunk");
  return at::empty({n}, like.options().dtype(at::kFloat));
}

void check_rc(int32_t rc, const char* err) { TORCH_CHECK(rc == 0, "selective scan (CUDA): ", err); }
}  // namespace

void cuda_prep(ScanTensors& t) {
  const at::Tensor* data[] = {&t.u, &t.delta, &t.delta_low, &t.z, &t.b, &t.c};
  bool bf16 = true;
  for (const at::Tensor* x : data) {
    TORCH_CHECK(!present(*x) || x->scalar_type() != at::kDouble, "the CUDA selective scan has no f64 path");
    bf16 = bf16 && (!present(*x) || x->scalar_type() == at::kBFloat16);
  }
  // Reduced precision other than bf16 (f16 autocast) is read as f32.
  const auto st = bf16 ? at::kBFloat16 : at::kFloat;
  t.u = cast(t.u, st), t.delta = cast(t.delta, st), t.delta_low = cast(t.delta_low, st);
  t.z = cast(t.z, st), t.b = cast(t.b, st), t.c = cast(t.c, st);
  t.dt_weight = cast(t.dt_weight, at::kFloat), t.a_log = cast(t.a_log, at::kFloat);
  t.d = cast(t.d, at::kFloat), t.bias = cast(t.bias, at::kFloat);
}

at::Tensor cuda_forward(const ScanTensors& t, bool softplus, int64_t chunk, at::Tensor* ckpt_out) {
  const c10::cuda::CUDAGuard guard(t.u.device());
  const auto shape = shape_of(t, chunk, softplus);
  auto y = at::empty(t.u.sizes(), t.u.options().dtype(at::kFloat));
  // The grid is also the forward's own scratch (chunk carries), so it exists even without grad.
  auto ckpt = workspace(seq2exp_cuda_ckpt_len(&shape), t.u);
  auto work = workspace(seq2exp_cuda_fwd_work_len(&shape), t.u);
  char err[512] = {0};
  const auto stream = c10::cuda::getCurrentCUDAStream(t.u.device().index()).stream();
  check_rc(seq2exp_cuda_scan_fwd(&shape, cptr(t.u), cptr(delta_in(t)), fptr(t.dt_weight), fptr(t.a_log), cptr(t.b),
                                 cptr(t.c), fptr(t.d), cptr(t.z), fptr(t.bias), mptr(y), mptr(ckpt), mptr(work),
                                 stream, err, sizeof err),
           err);
  if (ckpt_out) *ckpt_out = ckpt;
  return y;
}

std::vector<at::Tensor> cuda_backward(const ScanTensors& t, const at::Tensor& ckpt, const at::Tensor& dy_in,
                                      bool softplus, int64_t chunk) {
  const c10::cuda::CUDAGuard guard(t.u.device());
  const auto shape = shape_of(t, chunk, softplus);
  const bool low_rank = shape.rank > 0;
  const auto dy = dy_in.to(at::kFloat).contiguous();  // often stride-0 (from a sum)
  auto du = grad_like(t.u), ddelta = grad_like(t.delta), ddelta_low = grad_like(t.delta_low);
  auto ddt_weight = grad_like(t.dt_weight), da_log = grad_like(t.a_log), db = grad_like(t.b), dc = grad_like(t.c);
  auto dd = grad_like(t.d), dz = grad_like(t.z), dbias = grad_like(t.bias);
  auto work = workspace(seq2exp_cuda_bwd_work_len(&shape), t.u);
  char err[512] = {0};
  const auto stream = c10::cuda::getCurrentCUDAStream(t.u.device().index()).stream();
  check_rc(seq2exp_cuda_scan_bwd(&shape, cptr(t.u), cptr(delta_in(t)), fptr(t.dt_weight), fptr(t.a_log), cptr(t.b),
                                 cptr(t.c), fptr(t.d), cptr(t.z), fptr(t.bias), fptr(ckpt), fptr(dy), mptr(du),
                                 mptr(low_rank ? ddelta_low : ddelta), mptr(ddt_weight), mptr(da_log), mptr(db),
                                 mptr(dc), mptr(dd), mptr(dz), mptr(dbias), mptr(work), stream, err, sizeof err),
           err);
  // Back to each input's dtype (bf16 data stays bf16), as autograd expects.
  const auto back = [](const at::Tensor& g, const at::Tensor& x) { return g.defined() ? g.to(x.scalar_type()) : g; };
  return {back(du, t.u),       back(ddelta, t.delta), back(ddelta_low, t.delta_low), back(ddt_weight, t.dt_weight),
          back(da_log, t.a_log), back(db, t.b),         back(dc, t.c),                 back(dd, t.d),
          back(dz, t.z),       back(dbias, t.bias)};
}

}  // namespace seq2exp
