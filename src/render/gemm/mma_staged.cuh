// TC(0, tile): the main loop of a 16-bit matmul on tensor cores with staged tiles (embedded at build
// time; cuda_mma_staged.cpp instantiates it and writes the epilogue from the kernel's IR).
//
// A block of 2 x 2 warps computes a TILE x TILE output tile; per k-step of 32 the block copies A's
// TILE x 32 and B's 32 x TILE pieces into shared memory with cp.async (16 bytes per copy, a 4-stage
// ring so three copies are in flight while the mmas run) and every warp loads its fragments with
// ldmatrix (.trans where the operand is contiguous along m or n rather than k). Shared rows are
// XOR-swizzled in 16-byte chunks so ldmatrix reads are free of bank conflicts. 2 x 2 warps, 4 stages
// of k-steps of 32: the best of the arrangements measured for a 4096 fp16 matmul on an H200 (2 x 4
// warps of 64 x 32, 128 x 256 tiles, 3 or 5 stages and k-steps of 64 were 5-25% slower).

// One operand's shared tile: rows along its non-contiguous axis, each of 8-element chunks. A
// k-contiguous operand stores rows of m (n) whose columns are k; otherwise rows of k, columns m (n).
// ROW_STRIDE: the operand's element stride between those rows in memory.
template <int TILE, bool K_CONTIGUOUS, long long ROW_STRIDE>
struct anneal_tc_operand {
  static constexpr int kBK = 32, kThreads = 128;
  static constexpr int kRowLen = K_CONTIGUOUS ? kBK : TILE, kChunks = kRowLen / 8;
  static constexpr int kPerThread = TILE * kBK / 8 / kThreads;

  // k-step kt into `dst`: chunk idx of the tile is row idx / chunks, chunk idx % chunks of that row.
  static __device__ __forceinline__ void copy(unsigned short* dst, const unsigned short* src, int tid, int kt) {
#pragma unroll
    for (int c = 0; c < kPerThread; c++) {
      const int idx = tid + c * kThreads, row = idx / kChunks, ch = idx % kChunks;
      const long long at = K_CONTIGUOUS ? (long long)row * ROW_STRIDE + kt * kBK + ch * 8
                                        : (long long)(kt * kBK + row) * ROW_STRIDE + ch * 8;
      anneal_cp16(&dst[row * kRowLen + (anneal_swizzle<kChunks>(row, ch) << 3)], src + at);
    }
  }

  // ldmatrix.x4 of the 16 x 16 piece at m (n) `start`, k 16 kk: lanes 8j..8j+7 give the rows of
  // matrix j, its halves along m (n) and k chosen by the caller. A k-contiguous tile is read as is,
  // else transposed.
  static __device__ __forceinline__ void fragment(unsigned* dst, const unsigned short* tile, int start, int mn_half,
                                                  int k_half, int kk, int r) {
    const int row = K_CONTIGUOUS ? start + mn_half * 8 + r : kk * 16 + k_half * 8 + r;
    const int ch = K_CONTIGUOUS ? kk * 2 + k_half : (start + mn_half * 8) >> 3;
    const unsigned short* p = &tile[row * kRowLen + (anneal_swizzle<kChunks>(row, ch) << 3)];
    if (K_CONTIGUOUS) anneal_ldsm4(dst, p);
    else anneal_ldsm4t(dst, p);
  }
};

// acc[tm][tn]: warp (wm, wn)'s mma tiles, rows wm * TILE / 2 + 16 tm, columns wn * TILE / 2 + 8 tn.
template <int TILE, int STEPS, bool BF16, class A, class B>
__device__ __forceinline__ void anneal_mma_staged(const unsigned short* pa, const unsigned short* pb,
                                                  float (&acc)[TILE / 32][TILE / 16][4]) {
  constexpr int BK = 32, STAGES = 4, WN = 2, WTM = TILE / 2, WTN = TILE / 2, TM = WTM / 16, TN = WTN / 8;
  extern __shared__ __align__(128) unsigned short anneal_shared_tc[];
  unsigned short(*sa)[TILE * BK] = (unsigned short(*)[TILE * BK])anneal_shared_tc;
  unsigned short(*sb)[TILE * BK] = (unsigned short(*)[TILE * BK])(anneal_shared_tc + STAGES * TILE * BK);
  const int tid = (int)threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp / WN, wn = warp % WN;
  // The warps read their fragments with ldmatrix, synchronously: stage kt - 1 is free past the barrier.
  anneal_copy_ring<STEPS, STAGES, STAGES - 1, false>(
      [&](int stage, int kt) {
        A::copy(sa[stage], pa, tid, kt);
        B::copy(sb[stage], pb, tid, kt);
      },
      [&](int kt) {
        const unsigned short* ta = sa[kt % STAGES];
        const unsigned short* tb = sb[kt % STAGES];
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++) {
          unsigned a[TM][4], b[TN][2];
          const int j = lane >> 3, r = lane & 7;
          // A's four matrices are (rows 0-7 | 8-15) x (k 0-7 | 8-15), row half j & 1; B's cover two
          // n-tiles, (n 0-7 | 8-15) x (k 0-7 | 8-15), n half j >> 1.
#pragma unroll
          for (int tm = 0; tm < TM; tm++) A::fragment(a[tm], ta, wm * WTM + tm * 16, j & 1, j >> 1, kk, r);
#pragma unroll
          for (int tn = 0; tn < TN; tn += 2) B::fragment(&b[tn][0], tb, wn * WTN + tn * 8, j >> 1, j & 1, kk, r);
#pragma unroll
          for (int tm = 0; tm < TM; tm++)
#pragma unroll
            for (int tn = 0; tn < TN; tn++) anneal_mma16816<BF16>(acc[tm][tn], a[tm], b[tn]);
        }
      });
}
