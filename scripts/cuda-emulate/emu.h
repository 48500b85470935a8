// Host emulation of the few CUDA features the scan kernels use: one OS thread per GPU thread of a block.
#pragma once
#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __shared__ static
using std::min;
struct dim3 { unsigned x, y, z; dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim;
typedef void* cudaStream_t;
typedef int cudaError_t;
constexpr int cudaSuccess = 0;
inline cudaError_t cudaGetLastError() { return 0; }
inline const char* cudaGetErrorString(cudaError_t) { return "?"; }
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t) { std::memset(p, v, n); return 0; }
inline float __ldg(const float* p) { return *p; }
struct __nv_bfloat16 { uint16_t bits; };
inline float __bfloat162float(__nv_bfloat16 b) { uint32_t u = uint32_t(b.bits) << 16; float f; std::memcpy(&f, &u, 4); return f; }
// Warp shuffles and __syncthreads through barriers shared by the threads of the running block.
struct BlockSync { std::barrier<> block; std::vector<std::unique_ptr<std::barrier<>>> warps; std::vector<float> slots;
  explicit BlockSync(int n) : block(n), slots(n) { for (int w = 0; w < (n + 31) / 32; ++w) warps.emplace_back(new std::barrier<>(std::min(32, n - 32 * w))); } };
inline BlockSync* g_sync;
inline int flat_tid() { return threadIdx.y * blockDim.x + threadIdx.x; }
inline float __shfl_xor_sync(unsigned, float v, int o) {
  int t = flat_tid(), w = t / 32; auto& bar = *g_sync->warps[w];
  g_sync->slots[t] = v; bar.arrive_and_wait(); float r = g_sync->slots[w * 32 + ((t % 32) ^ o)]; bar.arrive_and_wait(); return r; }
inline void __syncthreads() { g_sync->block.arrive_and_wait(); }
template <class F> void emu_launch(dim3 g, dim3 b, int, cudaStream_t, F f) {
  blockDim = b; int n = b.x * b.y;
  for (unsigned z = 0; z < g.z; ++z) for (unsigned y = 0; y < g.y; ++y) for (unsigned x = 0; x < g.x; ++x) {
    BlockSync sync(n); g_sync = &sync; std::vector<std::thread> th;
    for (int t = 0; t < n; ++t) th.emplace_back([&, t] { blockIdx = dim3(x, y, z); threadIdx = dim3(t % b.x, t / b.x); f(); });
    for (auto& h : th) h.join();
  }
}
