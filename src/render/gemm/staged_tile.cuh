// STAGE(0, tile): the main loop of a float32 matmul staged through shared memory (embedded at build
// time; cuda_staged_tile.cpp instantiates it and writes the epilogue from the kernel's IR).
//
// 256 threads as 16 x 16; thread (ty, tx) owns rows g * 64 + ty * 4 + i and columns h * 64 + tx * 4 + j
// of the block's BM x BN tile (g < BM / 64, h < BN / 64; i, j < 4), so its reads of a shared row are
// float4s and a warp's reads broadcast (A) or cover consecutive addresses (B). Per k-step of 8 the
// block reads A's BM x 8 and B's 8 x BN pieces with float4 loads into registers (the next step's,
// while this step computes) and stores them into the other of two shared buffers, transposed where
// the operand is contiguous along k. Each output accumulates with fmaf in k order: the same bits as
// the unoptimized loop.

// One operand's k-step of 8: TILE rows (m for A, n for B) in float4 pieces, a few per thread.
// K_CONTIGUOUS: a piece is 4 consecutive k of one row (stored transposed); else 4 consecutive rows of
// one k. STRIDE_TILE / STRIDE_K: the operand's element strides along its row and along k.
template <int TILE, bool K_CONTIGUOUS, long long STRIDE_TILE, long long STRIDE_K>
struct anneal_stage_operand {
  static constexpr int kPieces = TILE * 8 / 4;
  static constexpr int kPerThread = (kPieces + 255) / 256;

  static __device__ __forceinline__ void load(float4 (&r)[kPerThread], const float* p, int tid, int kt) {
#pragma unroll
    for (int c = 0; c < kPerThread; c++) {
      const int idx = tid + c * 256;
      if (kPieces < (c + 1) * 256 && idx >= kPieces) continue;
      const long long at = K_CONTIGUOUS ? (long long)(idx >> 1) * STRIDE_TILE + kt * 8 + (idx & 1) * 4
                                        : (long long)(kt * 8 + idx / (TILE / 4)) * STRIDE_K + (idx % (TILE / 4)) * 4;
      r[c] = *(const float4*)(p + at);
    }
  }

  static __device__ __forceinline__ void store(float (*s)[TILE], const float4 (&r)[kPerThread], int tid) {
#pragma unroll
    for (int c = 0; c < kPerThread; c++) {
      const int idx = tid + c * 256;
      if (kPieces < (c + 1) * 256 && idx >= kPieces) continue;
      if (K_CONTIGUOUS) {
        float* d = &s[(idx & 1) * 4][idx >> 1];
        d[0] = r[c].x; d[TILE] = r[c].y; d[2 * TILE] = r[c].z; d[3 * TILE] = r[c].w;
      } else {
        *(float4*)&s[idx / (TILE / 4)][(idx % (TILE / 4)) * 4] = r[c];
      }
    }
  }
};

// acc[i][j]: thread (ty, tx)'s outputs, row g * 4 + i' and column h * 4 + j' as above. KT k-steps.
template <int BM, int BN, int KT, class A, class B>
__device__ __forceinline__ void anneal_staged_tile(const float* pa, const float* pb, float (&acc)[BM / 16][BN / 16]) {
  constexpr int GM = BM / 64, GN = BN / 64;
  __shared__ __align__(16) float sa[2][8][BM];
  __shared__ __align__(16) float sb[2][8][BN];
  const int tid = (int)threadIdx.x, tx = tid & 15, ty = tid >> 4;
  float4 ra[A::kPerThread], rb[B::kPerThread];
  A::load(ra, pa, tid, 0);
  B::load(rb, pb, tid, 0);
  A::store(sa[0], ra, tid);
  B::store(sb[0], rb, tid);
  __syncthreads();
  for (int kt = 0; kt < KT; kt++) {
    const int buf = kt & 1;
    if (kt + 1 < KT) {
      A::load(ra, pa, tid, kt + 1);
      B::load(rb, pb, tid, kt + 1);
    }
#pragma unroll
    for (int k = 0; k < 8; k++) {
      float a[4 * GM], b[4 * GN];
#pragma unroll
      for (int g = 0; g < GM; g++) *(float4*)&a[4 * g] = *(const float4*)&sa[buf][k][64 * g + ty * 4];
#pragma unroll
      for (int h = 0; h < GN; h++) *(float4*)&b[4 * h] = *(const float4*)&sb[buf][k][64 * h + tx * 4];
#pragma unroll
      for (int i = 0; i < 4 * GM; i++)
#pragma unroll
        for (int j = 0; j < 4 * GN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (kt + 1 < KT) {
      A::store(sa[buf ^ 1], ra, tid);
      B::store(sb[buf ^ 1], rb, tid);
    }
    __syncthreads();
  }
}
