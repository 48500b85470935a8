// Activation recomputation for tch (which has no checkpoint API): a torch::autograd::Function whose forward
// runs a Rust function without building a graph, keeping only its input; its backward reruns the function
// with grad enabled and back-propagates through it (reentrant, like torch.utils.checkpoint). Parameter
// gradients accumulate into their .grad as usual. The Rust object behind `obj` must outlive the backward
// pass (it is the model's own layer).
#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/engine.h>

#include <cstring>
#include <exception>
#include <memory>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern "C" {
// Runs the layer: returns a new at::Tensor* (owned by the caller) or null after writing an error message.
typedef at::Tensor* (*seq2exp_layer_fn)(const void* obj, const at::Tensor* x, char* err, size_t err_len);
}

namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor call(seq2exp_layer_fn f, const void* obj, const at::Tensor& x) {
  char err[512] = {0};
  std::unique_ptr<at::Tensor> out(f(obj, &x, err, sizeof err));
  TORCH_CHECK(out != nullptr, "checkpointed layer: ", err);
  return *out;
}

// The recompute must see the first run's CUDA autocast state (bf16 training), as torch.utils.checkpoint
// does: the backward runs on an autograd worker thread, where autocast is off. Entering it counts as a
// nested region so that its cache of casted weights is cleared on exit: the weights change every step.
struct AutocastAs {
  bool was, on;
  at::ScalarType dtype;
  AutocastAs(bool on_, at::ScalarType d)
      : was(at::autocast::is_autocast_enabled(at::kCUDA)), on(on_), dtype(at::autocast::get_autocast_dtype(at::kCUDA)) {
    at::autocast::set_autocast_dtype(at::kCUDA, d);
    at::autocast::set_autocast_enabled(at::kCUDA, on);
    if (on) at::autocast::increment_nesting();
  }
  ~AutocastAs() {
    if (on && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(at::kCUDA, was);
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
  }
};

struct Checkpoint : public torch::autograd::Function<Checkpoint> {
  // `anchor` is a 0-element tensor that requires grad: it makes sure backward runs (and so parameter
  // gradients are produced) even when `x` itself needs no gradient.
  static at::Tensor forward(AutogradContext* ctx, at::Tensor x, at::Tensor anchor, int64_t fn, int64_t obj) {
    ctx->save_for_backward({x});
    ctx->saved_data["fn"] = fn;
    ctx->saved_data["obj"] = obj;
    ctx->saved_data["autocast"] = at::autocast::is_autocast_enabled(at::kCUDA);
    ctx->saved_data["autocast_dtype"] = static_cast<int64_t>(at::autocast::get_autocast_dtype(at::kCUDA));
    return call(reinterpret_cast<seq2exp_layer_fn>(fn), reinterpret_cast<const void*>(obj), x);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
#if defined(__GLIBC__)
    // Freed tensors under glibc's mmap threshold (up to 32 MB) stay in its heap with their pages: ~200 MB by the
    // time backward starts at L = 200k. Each segment's recompute is where memory peaks, so give them back first.
    malloc_trim(0);
#endif
    auto x = ctx->get_saved_variables()[0];
    auto fn = reinterpret_cast<seq2exp_layer_fn>(ctx->saved_data["fn"].toInt());
    auto obj = reinterpret_cast<const void*>(ctx->saved_data["obj"].toInt());
    auto xd = x.detach().requires_grad_(x.requires_grad());
    auto grad = grad_outputs[0].contiguous();
    torch::autograd::Edge root;
    {
      at::AutoGradMode enable(true);
      const AutocastAs autocast(ctx->saved_data["autocast"].toBool(),
                                static_cast<at::ScalarType>(ctx->saved_data["autocast_dtype"].toInt()));
      at::Tensor out = call(fn, obj, xd);
      TORCH_CHECK(out.sizes() == grad.sizes(), "checkpointed layer: the recomputed output's shape differs from the first run");
      root = torch::autograd::impl::gradient_edge(out);
      TORCH_CHECK(root.function, "checkpointed layer: its output does not depend on anything that needs a gradient");
      // Only the output's graph is needed, not its values: dropping it here rather than holding it through the
      // backward pass below (as torch::autograd::backward would) saves one output-sized tensor at the peak.
    }
    torch::autograd::Engine::get_default_engine().execute({root}, {grad}, /*keep_graph=*/false,
                                                           /*create_graph=*/false, /*accumulate_grad=*/true);
    at::Tensor gx = xd.requires_grad() ? xd.grad() : at::Tensor();
    return {gx, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};
}  // namespace

extern "C" at::Tensor* seq2exp_checkpoint(const at::Tensor* x, seq2exp_layer_fn fn, const void* obj, char* err,
                                          size_t err_len) {
  try {
    if (!at::GradMode::is_enabled()) return new at::Tensor(call(fn, obj, *x));
    auto anchor = at::empty({0}, x->options().dtype(at::kFloat)).requires_grad_(true);
    return new at::Tensor(Checkpoint::apply(*x, anchor, reinterpret_cast<int64_t>(fn), reinterpret_cast<int64_t>(obj)));
  } catch (const std::exception& e) {
    std::strncpy(err, e.what(), err_len - 1);
    err[err_len - 1] = 0;
    return nullptr;
  }
}
