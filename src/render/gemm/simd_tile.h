// SIMD(0, cols): the micro-kernel of the CPU's float32 matmul tile (embedded at build time after the
// C prelude; c_simd_tile.cpp writes the loops around it from the kernel's plan: tiles split across
// cores, the reduction loops as the kernel nests them, B's panel packing, the epilogue).
//
// One k-step of an MR x 16 NV register tile: per 16 columns one vector load of B's row, per row one
// broadcast of A's element, fused multiply-adds. Each output accumulates in k order, so the tile's
// sums are bit-identical to the unoptimized loop. Called with constant MR and NV (NV <= 2) it
// inlines into straight-line vector code, the accumulators in registers.
#if defined(__clang__)
#define ANNEAL_UNROLL _Pragma("unroll")
#else
#define ANNEAL_UNROLL _Pragma("GCC unroll 16")
#endif
static inline __attribute__((always_inline)) void anneal_simd_step(const int mr, const int nv, anneal_f32x16 acc[][nv],
                                                                    const float* arow, const long long a_stride,
                                                                    const float* brow) {
  anneal_f32x16 b[2];
  ANNEAL_UNROLL
  for (int v = 0; v < nv; v++) b[v] = anneal_load16(brow + 16 * v);
  ANNEAL_UNROLL
  for (int i = 0; i < mr; i++) {
    const anneal_f32x16 a = (anneal_f32x16){0} + arow[i * a_stride];
    ANNEAL_UNROLL
    for (int v = 0; v < nv; v++) acc[i][v] = anneal_fma16(a, b[v], acc[i][v]);
  }
}
