// What every WGSL module of kernels starts with (embedded at build time; wgsl_language.cpp).
fn anneal_floordiv(a: i32, b: i32) -> i32 {
  let q = a / b;
  return select(q, q - 1, a % b != 0 && ((a < 0) != (b < 0)));
}
fn anneal_floormod(a: i32, b: i32) -> i32 { return a - anneal_floordiv(a, b) * b; }
// Infinite and NaN constants are errors in WGSL's constant expressions: made at run time instead.
fn anneal_f32_bits(bits: u32) -> f32 { return bitcast<f32>(bits); }
// float16 and bfloat16 buffers hold bit patterns; values compute in f32. The conversions round to
// nearest even and keep infinities, NaN and subnormals, as the C and CUDA preludes do.
fn anneal_h2f(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) {
    let f = f32(m) * 0x1p-24f;
    return select(f, -f, s != 0u);
  }
  if (e == 31u) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}
fn anneal_f2h(f: f32) -> u32 {
  let b = bitcast<u32>(f);
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }
  if (a < 0x38800000u) { return sign | u32(round(bitcast<f32>(a) * 0x1p24f)); }
  var r = (((a >> 23u) - 112u) << 10u) | ((a >> 13u) & 0x3ffu);
  let rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (r & 1u) != 0u)) { r = r + 1u; }
  return sign | r;
}
fn anneal_bf2f(h: u32) -> f32 { return bitcast<f32>(h << 16u); }
fn anneal_f2bf(f: f32) -> u32 {
  let b = bitcast<u32>(f);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return (b >> 16u) | 0x40u; }
  return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}
// Element i of a buffer of bytes or of 16-bit halves, four or two to a 32-bit word.
fn anneal_byte(word: u32, i: i32) -> u32 { return (word >> (u32(i & 3) * 8u)) & 0xffu; }
fn anneal_half(word: u32, i: i32) -> u32 { return (word >> (u32(i & 1) * 16u)) & 0xffffu; }
