// bf16 autocast on CUDA for the training step. tch's autocast() only switches autocast on, with libtorch's
// default CUDA dtype (f16); Seq2Exp trains in bf16 (TrainConfig::bf16), so the dtype is set here too.
// The state is thread-local in libtorch, like tch's own switch.
#include <ATen/autocast_mode.h>

#include <cstdint>

extern "C" {
// Turns CUDA autocast on with bf16 (or off) and returns the previous state for seq2exp_autocast_exit:
// bit 0 = was enabled, bits 8.. = the previous dtype. Returns -1 (and changes nothing) on an error.
int64_t seq2exp_autocast_enter(int32_t enabled) noexcept {
  try {
    const bool was = at::autocast::is_autocast_enabled(at::kCUDA);
    const auto dtype = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, enabled != 0);
    at::autocast::increment_nesting();
    return (was ? 1 : 0) | (static_cast<int64_t>(dtype) << 8);
  } catch (...) {
    return -1;
  }
}

// Restores the state seq2exp_autocast_enter returned; the cast cache is cleared when the outermost
// region ends (as torch.autocast does).
void seq2exp_autocast_exit(int64_t prev) noexcept {
  if (prev < 0) return;
  try {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(at::kCUDA, (prev & 1) != 0);
    at::autocast::set_autocast_dtype(at::kCUDA, static_cast<at::ScalarType>(prev >> 8));
  } catch (...) {
  }
}
}
