// A libtorch autograd node around the Rust selective-scan kernel (seq2exp-models). tch has no custom
// autograd API, so this thin C++ file defines torch::autograd::Function<SelectiveScan>; its forward and
// backward call the Rust kernel through the extern "C" functions below (defined in src/scan/ffi.rs).
// Keep it small and stable: it is compiled against the libtorch headers of the torch wheel.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstring>
#include <exception>

extern "C" {
struct Seq2expScanShape {
  int64_t batch, dim, len, state, chunk;
  int32_t is_f64, softplus;
};
int32_t seq2exp_scan_fwd(const Seq2expScanShape* s, const void* u, const void* delta, const void* a_log,
                         const void* b, const void* c, const void* d, const void* z, const void* bias, void* y,
                         void* ckpt, char* err, size_t err_len);
int32_t seq2exp_scan_bwd(const Seq2expScanShape* s, const void* u, const void* delta, const void* a_log,
                         const void* b, const void* c, const void* d, const void* z, const void* bias,
                         const void* ckpt, const void* dy, void* du, void* ddelta, void* da_log, void* db,
                         void* dc, void* dd, void* dz, void* dbias, char* err, size_t err_len);
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

// The kernel trusts these sizes: check every input against u [B, D, L] and a_log [D, N].
void check_shapes(const at::Tensor& u, const at::Tensor& delta, const at::Tensor& a_log, const at::Tensor& b,
                  const at::Tensor& c, const at::Tensor& d, const at::Tensor& z, const at::Tensor& bias) {
  TORCH_CHECK(u.dim() == 3, "u must be [B, D, L], got ", u.sizes());
  TORCH_CHECK(a_log.dim() == 2 && a_log.size(0) == u.size(1), "a_log must be [D, N] with D = ", u.size(1), ", got ", a_log.sizes());
  const auto B = u.size(0), D = u.size(1), L = u.size(2), N = a_log.size(1);
  TORCH_CHECK(delta.sizes() == u.sizes(), "delta must match u ", u.sizes(), ", got ", delta.sizes());
  TORCH_CHECK(b.dim() == 3 && b.size(0) == B && b.size(1) == L && b.size(2) == N, "b must be [B, L, N] = [", B, ", ", L, ", ", N, "], got ", b.sizes());
  TORCH_CHECK(c.sizes() == b.sizes(), "c must be [B, L, N] like b, got ", c.sizes());
  TORCH_CHECK(!present(z) || z.sizes() == u.sizes(), "z must match u ", u.sizes(), ", got ", z.sizes());
  TORCH_CHECK(!present(d) || (d.dim() == 1 && d.size(0) == D), "D must be [", D, "], got ", d.sizes());
  TORCH_CHECK(!present(bias) || (bias.dim() == 1 && bias.size(0) == D), "delta_bias must be [", D, "], got ", bias.sizes());
  TORCH_CHECK(u.device() == delta.device() && u.device() == b.device() && u.device() == a_log.device(), "scan inputs must be on one device");
}

Seq2expScanShape shape_of(const at::Tensor& u, const at::Tensor& a_log, int64_t chunk, bool softplus) {
  return Seq2expScanShape{u.size(0), u.size(1), u.size(2), a_log.size(1), chunk,
                          u.scalar_type() == at::kDouble ? 1 : 0, softplus ? 1 : 0};
}

void check_rc(int32_t rc, const char* err) { TORCH_CHECK(rc == 0, "selective scan kernel: ", err); }

void check_device(const at::Tensor& u) {
#ifdef SEQ2EXP_CUDA
  (void)u;
#else
  TORCH_CHECK(!u.is_cuda(), "seq2exp was built without the `cuda` feature: the selective scan runs on CPU tensors only");
#endif
}

struct SelectiveScan : public torch::autograd::Function<SelectiveScan> {
  static at::Tensor forward(AutogradContext* ctx, at::Tensor u, at::Tensor delta, at::Tensor a_log, at::Tensor b,
                            at::Tensor c, at::Tensor d, at::Tensor z, at::Tensor bias, bool softplus,
                            int64_t chunk, bool need_grad) {
    check_shapes(u, delta, a_log, b, c, d, z, bias);
    check_device(u);
    // Reduced-precision inputs (bf16 autocast) are scanned in f32; f64 stays f64 (gradient checks).
    const auto st = u.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    u = prep(u, st), delta = prep(delta, st), a_log = prep(a_log, st), b = prep(b, st), c = prep(c, st);
    d = prep(d, st), z = prep(z, st), bias = prep(bias, st);
    auto shape = shape_of(u, a_log, chunk, softplus);
    auto y = at::empty_like(u);
    at::Tensor ckpt;
    if (need_grad) {
      const int64_t n = seq2exp_scan_ckpt_len(&shape);
      TORCH_CHECK(n >= 0, "selective scan: bad shape or chunk");
      ckpt = at::empty({n}, u.options());
    }
    char err[512] = {0};
    check_rc(seq2exp_scan_fwd(&shape, cptr(u), cptr(delta), cptr(a_log), cptr(b), cptr(c), cptr(d), cptr(z),
                              cptr(bias), y.data_ptr(), mptr(ckpt), err, sizeof err),
             err);
    ctx->save_for_backward({u, delta, a_log, b, c, d, z, bias, ckpt});
    ctx->saved_data["softplus"] = softplus;
    ctx->saved_data["chunk"] = chunk;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto s = ctx->get_saved_variables();
    auto &u = s[0], &delta = s[1], &a_log = s[2], &b = s[3], &c = s[4], &d = s[5], &z = s[6], &bias = s[7], &ckpt = s[8];
    TORCH_CHECK(ckpt.defined(), "selective scan: backward without checkpoints (forward ran without grad)");
    auto shape = shape_of(u, a_log, ctx->saved_data["chunk"].toInt(), ctx->saved_data["softplus"].toBool());
    auto dy = grad_outputs[0].to(u.scalar_type()).contiguous();  // often stride-0 (from a sum)
    auto du = like(u), ddelta = like(delta), da_log = like(a_log), db = like(b), dc = like(c);
    auto dd = like(d), dz = like(z), dbias = like(bias);
    char err[512] = {0};
    check_rc(seq2exp_scan_bwd(&shape, cptr(u), cptr(delta), cptr(a_log), cptr(b), cptr(c), cptr(d), cptr(z),
                              cptr(bias), cptr(ckpt), dy.data_ptr(), mptr(du), mptr(ddelta), mptr(da_log),
                              mptr(db), mptr(dc), mptr(dd), mptr(dz), mptr(dbias), err, sizeof err),
             err);
    return {du, ddelta, da_log, db, dc, dd, dz, dbias, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor opt(const at::Tensor* t, const at::Tensor& like) { return t ? *t : at::empty({0}, like.options()); }
}  // namespace

// Entry point for Rust: never lets a C++ exception cross the FFI boundary.
extern "C" at::Tensor* seq2exp_selective_scan(const at::Tensor* u, const at::Tensor* delta, const at::Tensor* a_log,
                                              const at::Tensor* b, const at::Tensor* c, const at::Tensor* d,
                                              const at::Tensor* z, const at::Tensor* bias, int32_t softplus,
                                              int64_t chunk, char* err, size_t err_len) {
  try {
    const bool need_grad = at::GradMode::is_enabled() &&
        (u->requires_grad() || delta->requires_grad() || a_log->requires_grad() || b->requires_grad() ||
         c->requires_grad() || (d && d->requires_grad()) || (z && z->requires_grad()) ||
         (bias && bias->requires_grad()));
    return new at::Tensor(SelectiveScan::apply(*u, *delta, *a_log, *b, *c, opt(d, *u), opt(z, *u), opt(bias, *u),
                                               softplus != 0, chunk, need_grad));
  } catch (const std::exception& e) {
    std::strncpy(err, e.what(), err_len - 1);
    err[err_len - 1] = 0;
    return nullptr;
  }
}
