// What every WGSL module of kernels starts with (embedded at build time; wgsl_language.cpp).
fn anneal_floordiv(a: i32, b: i32) -> i32 {
  let q = a / b;
  return select(q, q - 1, a % b != 0 && ((a < 0) != (b < 0)));
}
fn anneal_floormod(a: i32, b: i32) -> i32 { return a - anneal_floordiv(a, b) * b; }
// Infinite and NaN constants are errors in WGSL's constant expressions: made at run time instead.
fn anneal_f32_bits(bits: u32) -> f32 { return bitcast<f32>(bits); }
