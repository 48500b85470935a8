// Checks the CUDA scan kernels against a naive f64 reference (models/src/scan/reference.rs ported) by
// running them on the CPU through emu.h; see run.sh.
#include "scan_cuda.h"
#include <cstdio>
#include <random>
#include <vector>
using V = std::vector<float>;
using VD = std::vector<double>;
struct Ref { VD y, du, ddpre, dlow, dw, dalog, db, dc, dd, dbias, dz; };
static double sp(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
static double sg(double x) { return 1 / (1 + std::exp(-x)); }
// naive reference: forward states + adjoint, as models/src/scan/reference.rs
Ref reference(int B, int D, int L, int N, int R, const V& u, const V& dl, const V& w, const V& al, const V& b, const V& c,
              const V& dsk, const V& z, const V& bias, const V& dy) {
  Ref r; size_t bdl = (size_t)B * D * L;
  r.y.assign(bdl, 0); r.du.assign(bdl, 0); r.ddpre.assign(bdl, 0); r.dz.assign(bdl, 0);
  r.dalog.assign(D * N, 0); r.db.assign((size_t)B * L * N, 0); r.dc = r.db; r.dd.assign(D, 0); r.dbias.assign(D, 0);
  r.dlow.assign((size_t)B * std::max(R, 1) * L, 0); r.dw.assign(D * std::max(R, 1), 0);
  for (int bb = 0; bb < B; ++bb) for (int d = 0; d < D; ++d) {
    size_t row = ((size_t)bb * D + d) * L;
    VD pre(L), dt(L), H((size_t)L * N);
    for (int t = 0; t < L; ++t) {
      double p = 0; if (R) for (int k = 0; k < R; ++k) p += (double)w[d * R + k] * dl[((size_t)bb * R + k) * L + t]; else p = dl[row + t];
      pre[t] = p + bias[d]; dt[t] = sp(pre[t]);
    }
    VD h(N, 0);
    for (int t = 0; t < L; ++t) {
      double acc = dsk[d] * u[row + t];
      for (int n = 0; n < N; ++n) { double A = -std::exp((double)al[d * N + n]); size_t bc = ((size_t)bb * L + t) * N + n;
        h[n] = std::exp(dt[t] * A) * h[n] + dt[t] * b[bc] * u[row + t]; acc += c[bc] * h[n]; H[(size_t)t * N + n] = h[n]; }
      r.y[row + t] = acc * z[row + t] * sg(z[row + t]);
    }
    VD g(N, 0);
    for (int t = L - 1; t >= 0; --t) {
      double uu = u[row + t], yraw = dsk[d] * uu;
      for (int n = 0; n < N; ++n) yraw += c[((size_t)bb * L + t) * N + n] * H[(size_t)t * N + n];
      double s = sg(z[row + t]); r.dz[row + t] = dy[row + t] * yraw * s * (1 + z[row + t] * (1 - s));
      double dyr = dy[row + t] * z[row + t] * s; r.dd[d] += dyr * uu;
      double ddt = 0, du = dsk[d] * dyr;
      for (int n = 0; n < N; ++n) { size_t bc = ((size_t)bb * L + t) * N + n; double A = -std::exp((double)al[d * N + n]);
        double hp = t ? H[(size_t)(t - 1) * N + n] : 0, e = std::exp(dt[t] * A);
        g[n] += dyr * c[bc]; r.dc[bc] += dyr * H[(size_t)t * N + n]; ddt += g[n] * (A * e * hp + b[bc] * uu);
        r.dalog[d * N + n] += g[n] * dt[t] * e * hp * A; r.db[bc] += g[n] * dt[t] * uu; du += g[n] * dt[t] * b[bc]; g[n] *= e; }
      r.du[row + t] = du; r.ddpre[row + t] = ddt * sg(pre[t]); r.dbias[d] += r.ddpre[row + t];
      for (int k = 0; k < R; ++k) { r.dlow[((size_t)bb * R + k) * L + t] += w[d * R + k] * r.ddpre[row + t];
        r.dw[d * R + k] += r.ddpre[row + t] * dl[((size_t)bb * R + k) * L + t]; }
    }
  }
  return r;
}
static double err(const V& a, const VD& b) { double m = 0, s = 1e-30; for (size_t i = 0; i < b.size(); ++i) { m = std::max(m, std::fabs(a[i] - b[i])); s = std::max(s, std::fabs(b[i])); } return m / s; }
int run(int B, int D, int L, int N, int R, int chunk) {
  std::mt19937 rng(B * 1000 + D * 100 + L + N + R); std::normal_distribution<float> nd; std::uniform_real_distribution<float> ud;
  auto rn = [&](size_t n, float sc = 1) { V v(n); for (auto& x : v) x = nd(rng) * sc; return v; };
  size_t bdl = (size_t)B * D * L, bln = (size_t)B * L * N;
  V u = rn(bdl), z = rn(bdl), b = rn(bln), c = rn(bln), dsk = rn(D), bias = rn(D, 0.5), dy = rn(bdl), w, dl, al(D * N);
  for (auto& x : al) x = std::log1p(ud(rng) * 3);
  if (R) { dl.resize((size_t)B * R * L); for (size_t i = 0; i < dl.size(); ++i) dl[i] = (i / L) % R == 0 ? ud(rng) * 11.3f - 9 : nd(rng) * 0.5f;
    w.resize(D * R); for (int i = 0; i < D * R; ++i) w[i] = i % R == 0 ? ud(rng) * 0.4f + 0.8f : nd(rng) * 0.2f; }
  else { dl.resize(bdl); for (auto& x : dl) x = ud(rng) * 11.3f - 9; }
  Ref r = reference(B, D, L, N, R, u, dl, w, al, b, c, dsk, z, bias, dy);
  Seq2expCudaShape s{B, D, L, N, chunk, R, 0, 1};
  V y(bdl), ck(seq2exp_cuda_ckpt_len(&s)), wk(seq2exp_cuda_fwd_work_len(&s)); char e[256] = {0};
  if (seq2exp_cuda_scan_fwd(&s, u.data(), dl.data(), R ? w.data() : nullptr, al.data(), b.data(), c.data(), dsk.data(), z.data(), bias.data(), y.data(), ck.data(), wk.data(), nullptr, e, 256)) { printf("fwd err %s\n", e); return 1; }
  V du(bdl), dd_(R ? (size_t)B * R * L : bdl), dw(D * std::max(R, 1)), da(D * N), db(bln), dc(bln), dsk_g(D), dz(bdl), dbias(D), bw(seq2exp_cuda_bwd_work_len(&s));
  if (seq2exp_cuda_scan_bwd(&s, u.data(), dl.data(), R ? w.data() : nullptr, al.data(), b.data(), c.data(), dsk.data(), z.data(), bias.data(), ck.data(), dy.data(), du.data(), dd_.data(), R ? dw.data() : nullptr, da.data(), db.data(), dc.data(), dsk_g.data(), dz.data(), dbias.data(), bw.data(), nullptr, e, 256)) { printf("bwd err %s\n", e); return 1; }
  double errs[] = {err(y, r.y), err(du, r.du), R ? err(dd_, r.dlow) : err(dd_, r.ddpre), R ? err(dw, r.dw) : 0, err(da, r.dalog), err(db, r.db), err(dc, r.dc), err(dsk_g, r.dd), err(dz, r.dz), err(dbias, r.dbias)};
  const char* names[] = {"y", "du", R ? "dlow" : "ddelta", "dw", "da_log", "db", "dc", "dD", "dz", "dbias"};
  double worst = 0; int wi = 0; for (int i = 0; i < 10; ++i) if (errs[i] > worst) worst = errs[i], wi = i;
  printf("B=%d D=%d L=%d N=%d R=%d T=%d: worst rel err %.2e (%s)%s\n", B, D, L, N, R, chunk, worst, names[wi], worst < 1e-4 ? "" : "  <-- FAIL");
  return worst < 1e-4 ? 0 : 1;
}
int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  int fails = 0;
  int shapes[][3] = {{1, 3, 4}, {2, 5, 16}, {1, 40, 20}, {1, 7, 33}};
  for (auto& sh : shapes) for (int L : {1, 7, 33, 64, 257}) for (int R : {0, 3}) fails += run(sh[0], sh[1], L, sh[2], R, 256);
  fails += run(1, 3, 1000, 4, 3, 256);
  fails += run(1, 6, 300, 16, 0, 7);  // chunk not a multiple of the segment
  fails += run(2, 6, 100, 16, 3, 1000);  // chunk longer than L
  printf("%d failures\n", fails);
  return fails != 0;
}
