// What every C translation unit of CPU kernels starts with (embedded at build time; c_renderer.cpp).
#include <stdlib.h>
#include <tgmath.h>
static inline long long anneal_floordiv(long long a, long long b) {
  long long q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline long long anneal_floormod(long long a, long long b) { return a - anneal_floordiv(a, b) * b; }
// float16 / bfloat16 <-> float, rounding to nearest even (bit patterns through a union).
typedef union { float f; unsigned int u; } anneal_bits;
static inline float anneal_h2f(unsigned short h) {
  unsigned int s = (unsigned int)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  anneal_bits b;
  if (e == 0) { float f = (float)m * 0x1p-24f; return s ? -f : f; }
  b.u = e == 31 ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13));
  return b.f;
}
static inline unsigned short anneal_f2h(float f) {
  anneal_bits b; b.f = f;
  unsigned int sign = (b.u >> 16) & 0x8000u, a = b.u & 0x7fffffffu;
  if (a > 0x7f800000u) return (unsigned short)(sign | 0x7e00u);
  if (a >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);
  if (a < 0x38800000u) { anneal_bits c; c.u = a; return (unsigned short)(sign | (unsigned int)nearbyintf(c.f * 0x1p24f)); }
  unsigned int r = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x3ffu), rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (r & 1u))) r++;
  return (unsigned short)(sign | r);
}
static inline float anneal_bf2f(unsigned short h) { anneal_bits b; b.u = (unsigned int)h << 16; return b.f; }
static inline unsigned short anneal_f2bf(float f) {
  anneal_bits b; b.f = f;
  if ((b.u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((b.u >> 16) | 0x40u);
  return (unsigned short)((b.u + 0x7fffu + ((b.u >> 16) & 1u)) >> 16);
}
// SIMD tiles: 16-float vectors (GCC/clang vector extensions), unaligned loads, and a fused
// multiply-add rounded once per lane like fmaf: AVX-512 or AVX2+FMA instructions, else fmaf per lane.
// The instructions are the compilers' builtins behind _mm512_fmadd_ps / _mm256_fmadd_ps (the same
// name in GCC and clang): <immintrin.h> costs 0.3 s of parsing per compile with -march=native, more
// than compiling a small program.
typedef float anneal_f32x16 __attribute__((vector_size(64)));
static inline anneal_f32x16 anneal_load16(const float* p) { anneal_f32x16 v; __builtin_memcpy(&v, p, 64); return v; }
static inline anneal_f32x16 anneal_fma16(anneal_f32x16 a, anneal_f32x16 b, anneal_f32x16 c) {
#if defined(__AVX512F__)
  return __builtin_ia32_vfmaddps512_mask(a, b, c, (unsigned short)0xffff, 4 /* _MM_FROUND_CUR_DIRECTION */);
#elif defined(__AVX2__) && defined(__FMA__)
  typedef float anneal_f32x8 __attribute__((vector_size(32)));
  anneal_f32x8 x[2], y[2], z[2];
  __builtin_memcpy(x, &a, 64); __builtin_memcpy(y, &b, 64); __builtin_memcpy(z, &c, 64);
  z[0] = __builtin_ia32_vfmaddps256(x[0], y[0], z[0]); z[1] = __builtin_ia32_vfmaddps256(x[1], y[1], z[1]);
  anneal_f32x16 r; __builtin_memcpy(&r, z, 64); return r;
#else
  anneal_f32x16 r; for (int i = 0; i < 16; i++) r[i] = fmaf(a[i], b[i], c[i]); return r;
#endif
}
