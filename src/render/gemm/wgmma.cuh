// TC(1, n): the main loop of a 16-bit matmul on Hopper's warpgroup MMA (embedded at build time;
// cuda_wgmma.cpp instantiates it, with the wgmma instruction of its tile width, and writes the
// epilogue from the kernel's IR).
//
// Two warpgroups (256 threads) per block, each computing 64 x BN of the block's 128 x BN tile with
// one wgmma.m64nBNk16 per 16-step of k, its operands read by the tensor cores straight from shared
// memory. Per k-step of 64 the block copies A's 128 x 64 and B's 64 x BN pieces with cp.async into a
// 4-stage ring, in the layout of the descriptors' 128-byte swizzle: 8-row groups (1 KiB) of 128-byte
// rows, 16-byte chunk c of row r stored at chunk c ^ (r & 7). A k-contiguous tile has a row of 64 k
// per m (n); an m- (n-) contiguous one a row of 64 m (n) per k, in 8 KiB blocks of 64 m (n), which the
// instruction reads transposed. The wgmmas run asynchronously: a step's copies are issued while the
// previous step's products finish, and a stage is refilled two steps after it was read.

// One operand's k-step of 64 (ROWS rows of m or n). ROW_STRIDE: the element stride between rows in
// memory (along m (n) when k-contiguous, else along k).
template <int ROWS, bool K_CONTIGUOUS, long long ROW_STRIDE>
struct anneal_wgmma_operand {
  static constexpr int kPerThread = ROWS * 64 / 8 / 256;

  static __device__ __forceinline__ void copy(unsigned dst, const unsigned short* src, int tid, int kt) {
#pragma unroll
    for (int c = 0; c < kPerThread; c++) {
      const int idx = tid + c * 256;
      if (K_CONTIGUOUS) {
        const int row = idx >> 3, ch = idx & 7;
        anneal_cp16s(dst + row * 128 + ((ch ^ (row & 7)) << 4), src + (long long)row * ROW_STRIDE + kt * 64 + ch * 8);
      } else {
        const int kr = idx / (ROWS / 8), mc = idx % (ROWS / 8);
        anneal_cp16s(dst + (mc >> 3) * 8192 + kr * 128 + (((mc & 7) ^ (kr & 7)) << 4),
                     src + (long long)(kt * 64 + kr) * ROW_STRIDE + mc * 8);
      }
    }
  }

  // The descriptor of k-step kk (of 16) of the tile at `start`: 32 bytes into a k-contiguous row, or
  // 16 rows (2 KiB) down an m-contiguous tile.
  static __device__ __forceinline__ unsigned long long desc(unsigned start, int kk) {
    return K_CONTIGUOUS ? anneal_wgmma_desc(start + kk * 32, 16, 1024) : anneal_wgmma_desc(start + kk * 2048, 8192, 1024);
  }
};

// acc[0][j][s]: warpgroup wg's accumulators (PTX's D fragment). Mma::run(acc, da, db) is the wgmma
// of this tile width and dtype (its register list is spelled out by the renderer).
template <int BN, int STEPS, class A, class B, class Mma>
__device__ __forceinline__ void anneal_wgmma_tile(const unsigned short* pa, const unsigned short* pb, float (&acc)[1][BN / 8][4]) {
  constexpr int BM = 128, BK = 64, STAGES = 4, A_BYTES = BM * BK * 2, STAGE_BYTES = A_BYTES + BN * BK * 2;
  extern __shared__ __align__(1024) unsigned char anneal_shared_wg[];
  const unsigned base = (anneal_smem(anneal_shared_wg) + 1023u) & ~1023u;
  const int tid = (int)threadIdx.x, wg = tid >> 7;
  // The wgmmas of step kt - 1 may still be reading (wait_group 1 below); past the barrier every
  // warpgroup has finished step kt - 2, whose stage the copies refill.
  anneal_copy_ring<STEPS, STAGES, STAGES - 2, true>(
      [&](int slot, int kt) {
        A::copy(base + slot * STAGE_BYTES, pa, tid, kt);
        B::copy(base + slot * STAGE_BYTES + A_BYTES, pb, tid, kt);
      },
      [&](int kt) {
        const unsigned ta = base + (kt % STAGES) * STAGE_BYTES, tb = ta + A_BYTES;
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++) Mma::run(acc, A::desc(ta + wg * 8192, kk), B::desc(tb, kk));
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
      });
  asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
}
