// Peak GPU memory for `trainer bench`: libtorch's caching-allocator statistics (what
// torch.cuda.max_memory_allocated / max_memory_reserved report). tch has no binding for them.
// Without the `cuda` feature every call answers -1.
#include <cstdint>

#ifdef SEQ2EXP_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

extern "C" {
// which = 0: peak bytes allocated to tensors; 1: peak bytes reserved by the allocator. -1 if unknown.
int64_t seq2exp_cuda_peak_bytes(int32_t device, int32_t which) noexcept {
#ifdef SEQ2EXP_CUDA
  try {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    const auto all = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
    return which == 0 ? stats.allocated_bytes[all].peak : stats.reserved_bytes[all].peak;
  } catch (...) {
    return -1;
  }
#else
  (void)device;
  (void)which;
  return -1;
#endif
}

// Starts a new peak measurement (after the warm-up step). Returns 0, or -1 if unavailable.
int32_t seq2exp_cuda_reset_peak(int32_t device) noexcept {
#ifdef SEQ2EXP_CUDA
  try {
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
    return 0;
  } catch (...) {
    return -1;
  }
#else
  (void)device;
  return -1;
#endif
}
}
