// A libtorch autograd node around the Rust selective-scan kernel (seq2exp-models). tch has no custom
// autograd API, so this thin C++ file defines torch::autograd::Function<SelectiveScan>; its forward and
// backward call the Rust kernel through the extern "C" functions below (defined in src/scan/ffi.rs) for CPU
// tensors and, when built with the `cuda` feature (SEQ2EXP_CUDA), the CUDA kernel for CUDA tensors
// (scan_node_cuda.cpp, scan_cuda.cu).
// Keep it small and stable: it is compiled against the libtorch headers of the torch wheel.
// δ comes in one of two forms: `delta` [B, D, L], or (low-rank, Mamba's dt_proj fused into the kernel)
// `delta_low` [B, R, L] and `dt_weight` [D, R]; the unused form travels as 0-element tensors.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstring>
#include <exception>

#ifdef SEQ2EXP_CUDA
#include "scan_node_cuda.h"
#endif

extern "C" {
// rank = R for a low-rank δ (then `delta` points at delta_low and `dt_weight` is set), 0 for a full one.
struct Seq2expScanShape {
  int64_t batch, dim, len, state, chunk, rank;
  int32_t is_f64, softplus;
};
int32_t seq2exp_scan_fwd(const Seq2expScanShape* s, const void* u, const void* delta, const void* dt_weight,
                         const void* a_log, const void* b, const void* c, const void* d, const void* z,
                         const void* bias, void* y, void* ckpt, char* err, size_t err_len);
int32_t seq2exp_scan_bwd(const Seq2expScanShape* s, const void* u, const void* delta, const void* dt_weight,
                         const void* a_log, const void* b, const void* c, const void* d, const void* z,
                         const void* bias, const void* ckpt, const void* dy, void* du, void* ddelta,
                         void* ddt_weight, void* da_log, void* db, void* dc, void* dd, void* dz, void* dbias,
                         char* err, size_t err_len);
int64_t seq2exp_scan_ckpt_len(const Seq2expScanShape* s);
}

namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Absent optional inputs travel as empty (0-element) tensors: Function::apply cannot take undefined ones.
bool present(const at::Tensor& t) { return t.defined() && t.numel() > 0; }
const void* cptr(const at::Tensor& t) { return present(t) ? t.data_ptr() : nullptr; }
void* mptr(at::Tensor& t) { return present(t) ? t.data_ptr() : nullptr; }
at::Tensor prep(const at::Tensor& t, at::ScalarType st) { return present(t) ? t.to(st).contiguous() : t; }
at::Tensor like(const at::Tensor& t) { return present(t) ? at::empty_like(t) : at::Tensor(); }

// δ: exactly one form. Low-rank: delta_low [B, R, L] and dt_weight [D, R] with R >= 1.
void check_delta(const at::Tensor& u, const at::Tensor& delta, const at::Tensor& delta_low, const at::Tensor& dt_weight) {
  if (present(delta)) {
    TORCH_CHECK(!present(delta_low) && !present(dt_weight), "give either delta or (delta_low, dt_weight), not both");
    TORCH_CHECK(delta.sizes() == u.sizes(), "delta must match u ", u.sizes(), ", got ", delta.sizes());
    TORCH_CHECK(delta.device() == u.device(), "scan inputs must be on one device");
    return;
  }
  const auto B = u.size(0), D = u.size(1), L = u.size(2);
  TORCH_CHECK(present(dt_weight) && dt_weight.dim() == 2 && dt_weight.size(0) == D,
              "dt_weight must be [D, R] with D = ", D, " and R >= 1, got ", dt_weight.sizes());
  const auto R = dt_weight.size(1);
  TORCH_CHECK(delta_low.dim() == 3 && delta_low.size(0) == B && delta_low.size(1) == R && delta_low.size(2) == L,
              "delta_low must be [B, R, L] = [", B, ", ", R, ", ", L, "], got ", delta_low.sizes());
  TORCH_CHECK(delta_low.device() == u.device() && dt_weight.device() == u.device(), "scan inputs must be on one device");
}

// The kernel trusts these sizes: check every input against u [B, D, L] and a_log [D, N].
void check_shapes(const at::Tensor& u, const at::Tensor& delta, const at::Tensor& delta_low, const at::Tensor& dt_weight,
                  const at::Tensor& a_log, const at::Tensor& b, const at::Tensor& c, const at::Tensor& d,
                  const at::Tensor& z, const at::Tensor& bias) {
  TORCH_CHECK(u.dim() == 3, "u must be [B, D, L], got ", u.sizes());
  TORCH_CHECK(a_log.dim() == 2 && a_log.size(0) == u.size(1), "a_log must be [D, N] with D = ", u.size(1), ", got ", a_log.sizes());
  const auto B = u.size(0), D = u.size(1), L = u.size(2), N = a_log.size(1);
  check_delta(u, delta, delta_low, dt_weight);
  TORCH_CHECK(b.dim() == 3 && b.size(0) == B && b.size(1) == L && b.size(2) == N, "b must be [B, L, N] = [", B, ", ", L, ", ", N, "], got ", b.sizes());
  TORCH_CHECK(c.sizes() == b.sizes(), "c must be [B, L, N] like b, got ", c.sizes());
  TORCH_CHECK(!present(z) || z.sizes() == u.sizes(), "z must match u ", u.sizes(), ", got ", z.sizes());
  TORCH_CHECK(!present(d) || (d.dim() == 1 && d.size(0) == D), "D must be [", D, "], got ", d.sizes());
  TORCH_CHECK(!present(bias) || (bias.dim() == 1 && bias.size(0) == D), "delta_bias must be [", D, "], got ", bias.sizes());
  TORCH_CHECK(u.device() == b.device() && u.device() == c.device() && u.device() == a_log.device(), "scan inputs must be on one device");
  for (const at::Tensor* t : {&d, &z, &bias})
    TORCH_CHECK(!present(*t) || t->device() == u.device(), "scan inputs must be on one device");
}

Seq2expScanShape shape_of(const at::Tensor& u, const at::Tensor& dt_weight, const at::Tensor& a_log, int64_t chunk,
                          bool softplus) {
  const int64_t rank = present(dt_weight) ? dt_weight.size(1) : 0;
  return Seq2expScanShape{u.size(0), u.size(1), u.size(2), a_log.size(1), chunk, rank,
                          u.scalar_type() == at::kDouble ? 1 : 0, softplus ? 1 : 0};
}

void check_rc(int32_t rc, const char* err) { TORCH_CHECK(rc == 0, "selective scan kernel: ", err); }

// With the `cuda` feature, CUDA tensors go to the CUDA kernel (scan_node_cuda.cpp).
void check_device(const at::Tensor& u) {
#ifdef SEQ2EXP_CUDA
  (void)u;
#else
  TORCH_CHECK(!u.is_cuda(), "seq2exp was built without the `cuda` feature: the selective scan runs on CPU tensors only");
#endif
}

struct SelectiveScan : public torch::autograd::Function<SelectiveScan> {
  static at::Tensor forward(AutogradContext* ctx, at::Tensor u, at::Tensor delta, at::Tensor delta_low,
                            at::Tensor dt_weight, at::Tensor a_log, at::Tensor b, at::Tensor c, at::Tensor d,
                            at::Tensor z, at::Tensor bias, bool softplus, int64_t chunk, bool need_grad) {
    check_shapes(u, delta, delta_low, dt_weight, a_log, b, c, d, z, bias);
    check_device(u);
    ctx->saved_data["softplus"] = softplus;
    ctx->saved_data["chunk"] = chunk;
#ifdef SEQ2EXP_CUDA
    if (u.is_cuda()) {
      seq2exp::ScanTensors t{u, delta, delta_low, dt_weight, a_log, b, c, d, z, bias};
      seq2exp::cuda_prep(t);
      at::Tensor ckpt;
      auto y = seq2exp::cuda_forward(t, softplus, chunk, need_grad ? &ckpt : nullptr);
      ctx->save_for_backward({t.u, t.delta, t.delta_low, t.dt_weight, t.a_log, t.b, t.c, t.d, t.z, t.bias, ckpt});
      return y;
    }
#endif
    // Reduced-precision inputs (bf16 autocast) are scanned in f32; f64 stays f64 (gradient checks).
    const auto st = u.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    u = prep(u, st), delta = prep(delta, st), a_log = prep(a_log, st), b = prep(b, st), c = prep(c, st);
    d = prep(d, st), z = prep(z, st), bias = prep(bias, st);
    delta_low = prep(delta_low, st), dt_weight = prep(dt_weight, st);
    auto shape = shape_of(u, dt_weight, a_log, chunk, softplus);
    const auto& delta_in = shape.rank > 0 ? delta_low : delta;
    auto y = at::empty_like(u);
    at::Tensor ckpt;
    if (need_grad) {
      const int64_t n = seq2exp_scan_ckpt_len(&shape);
      TORCH_CHECK(n >= 0, "selective scan: bad shape or chunk");
      ckpt = at::empty({n}, u.options());
    }
    char err[512] = {0};
    check_rc(seq2exp_scan_fwd(&shape, cptr(u), cptr(delta_in), cptr(dt_weight), cptr(a_log), cptr(b), cptr(c),
                              cptr(d), cptr(z), cptr(bias), y.data_ptr(), mptr(ckpt), err, sizeof err),
             err);
    ctx->save_for_backward({u, delta, delta_low, dt_weight, a_log, b, c, d, z, bias, ckpt});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto s = ctx->get_saved_variables();
    auto &u = s[0], &delta = s[1], &delta_low = s[2], &dt_weight = s[3], &a_log = s[4], &b = s[5], &c = s[6];
    auto &d = s[7], &z = s[8], &bias = s[9], &ckpt = s[10];
    TORCH_CHECK(ckpt.defined(), "selective scan: backward without checkpoints (forward ran without grad)");
#ifdef SEQ2EXP_CUDA
    if (u.is_cuda()) {
      auto g = seq2exp::cuda_backward({u, delta, delta_low, dt_weight, a_log, b, c, d, z, bias}, ckpt, grad_outputs[0],
                                      ctx->saved_data["softplus"].toBool(), ctx->saved_data["chunk"].toInt());
      g.resize(13);  // no gradient for softplus, chunk, need_grad
      return g;
    }
#endif
    auto shape = shape_of(u, dt_weight, a_log, ctx->saved_data["chunk"].toInt(), ctx->saved_data["softplus"].toBool());
    auto dy = grad_outputs[0].to(u.scalar_type()).contiguous();  // often stride-0 (from a sum)
    auto du = like(u), ddelta = like(delta), ddelta_low = like(delta_low), ddt_weight = like(dt_weight);
    auto da_log = like(a_log), db = like(b), dc = like(c), dd = like(d), dz = like(z), dbias = like(bias);
    const bool low_rank = shape.rank > 0;
    char err[512] = {0};
    check_rc(seq2exp_scan_bwd(&shape, cptr(u), cptr(low_rank ? delta_low : delta), cptr(dt_weight), cptr(a_log),
                              cptr(b), cptr(c), cptr(d), cptr(z), cptr(bias), cptr(ckpt), dy.data_ptr(), mptr(du),
                              mptr(low_rank ? ddelta_low : ddelta), mptr(ddt_weight), mptr(da_log), mptr(db),
                              mptr(dc), mptr(dd), mptr(dz), mptr(dbias), err, sizeof err),
             err);
    return {du, ddelta, ddelta_low, ddt_weight, da_log, db, dc, dd, dz, dbias,
            at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor opt(const at::Tensor* t, const at::Tensor& like) { return t ? *t : at::empty({0}, like.options()); }
}  // namespace

// Entry point for Rust: never lets a C++ exception cross the FFI boundary.
// δ: `delta` alone, or `delta_low` and `dt_weight` (null pointers for the form not used).
extern "C" at::Tensor* seq2exp_selective_scan(const at::Tensor* u, const at::Tensor* delta, const at::Tensor* delta_low,
                                              const at::Tensor* dt_weight, const at::Tensor* a_log,
                                              const at::Tensor* b, const at::Tensor* c, const at::Tensor* d,
                                              const at::Tensor* z, const at::Tensor* bias, int32_t softplus,
                                              int64_t chunk, char* err, size_t err_len) {
  try {
    const auto grad = [](const at::Tensor* t) { return t && t->requires_grad(); };
    const bool need_grad = at::GradMode::is_enabled() &&
        (grad(u) || grad(delta) || grad(delta_low) || grad(dt_weight) || grad(a_log) || grad(b) || grad(c) ||
         grad(d) || grad(z) || grad(bias));
    return new at::Tensor(SelectiveScan::apply(*u, opt(delta, *u), opt(delta_low, *u), opt(dt_weight, *u), *a_log,
                                               *b, *c, opt(d, *u), opt(z, *u), opt(bias, *u), softplus != 0, chunk,
                                               need_grad));
  } catch (const std::exception& e) {
    std::strncpy(err, e.what(), err_len - 1);
    err[err_len - 1] = 0;
    return nullptr;
  }
}
