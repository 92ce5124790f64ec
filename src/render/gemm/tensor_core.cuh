// What the tensor-core main loops share (embedded at build time after the CUDA prelude): the
// shared-memory swizzle, the mma.sync instruction, and the cp.async ring that keeps copies of later
// k-steps in flight while this one computes.

// The 16-byte chunk a row's logical chunk `ch` is stored at: XOR-swizzled so that the 8 rows an
// ldmatrix (or a column of float4 reads) touches fall in 8 different bank groups. A row of `CHUNKS`
// chunks: 4 chunks (64 bytes) -> two rows share 128 bytes, so rows pair up; 8 or more -> row & 7.
template <int CHUNKS>
__device__ __forceinline__ int anneal_swizzle(int row, int ch) {
  return CHUNKS >= 8 ? (ch ^ (row & 7)) : (ch ^ ((row >> 1) & 3));
}

// One mma.sync.m16n8k16 of 16-bit inputs (bfloat16 when BF16, else float16) into c[0..3].
template <bool BF16>
__device__ __forceinline__ void anneal_mma16816(float* c, const unsigned* a, const unsigned* b) {
  if (BF16)
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  else
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// The cp.async ring over STEPS k-steps: AHEAD steps are copied before the loop; step kt waits for its
// own copies (this thread's, then everyone's past the barrier), issues those of step kt + AHEAD into
// stage (kt + AHEAD) % STAGES, and runs body(kt). copy(stage, kt) issues one step's copies.
// ASYNC_PROXY: the tensor cores read shared memory themselves (wgmma), so copies are fenced into
// their proxy first.
template <int STEPS, int STAGES, int AHEAD, bool ASYNC_PROXY, class Copy, class Body>
__device__ __forceinline__ void anneal_copy_ring(Copy copy, Body body) {
#pragma unroll
  for (int s = 0; s < AHEAD; s++) {
    if (s < STEPS) copy(s, s);
    anneal_cp_commit();
  }
  for (int kt = 0; kt < STEPS; kt++) {
    anneal_cp_wait<AHEAD - 1>();
    if (ASYNC_PROXY) asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    __syncthreads();
    if (kt + AHEAD < STEPS) copy((kt + AHEAD) % STAGES, kt + AHEAD);
    anneal_cp_commit();
    body(kt);
  }
}
