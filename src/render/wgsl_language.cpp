// The WGSL table (WebGPU's shading language): C's statements with `let`/`var` declarations, T(x)
// casts, select() for ?:, u32 shift amounts; f32, i32, u32 and bool only (no 64-bit integers, no
// 16-bit floats without an extension); buffers are module-scope bindings named after their kernel,
// and workgroup (shared) arrays live at module scope too. The grid is 2-D past 65535 blocks.
#include <string>

#include "anneal/support/error.h"
#include "language.h"
#include "wgsl_renderer.h"

namespace anneal {
namespace {

using Text = std::string;

Text wgsl_type(DType d) {
  switch (d.scalar()) {
    case ScalarType::Float32: return "f32";
    case ScalarType::Int32: return "i32";
    case ScalarType::UInt32: return "u32";
    case ScalarType::Bool: return "bool";
    default:
      throw Error("WGSL renderer: dtype " + std::string(d.name()) + " is not supported (WGSL computes in f32, i32, u32 and bool)");
  }
}

LanguageTable wgsl() {
  LanguageTable l;
  l.name = "WGSL";
  l.type = wgsl_type;
  l.memory_type = [](DType d) {
    if (d == dtypes::bool_) throw Error("WGSL renderer: bool buffers are not supported (WGSL storage holds 32-bit words)");
    return wgsl_type(d);
  };
  l.int64 = false;
  l.index = [](bool wide) -> Text {
    if (wide) throw Error("WGSL renderer: index arithmetic needs 64 bits, which WGSL does not have");
    return "i32";
  };
  l.let = [](const Text& t, const Text& n, const Text& v) { return "let " + n + ": " + t + " = " + v + ";"; };
  l.constant = l.let;
  l.var = [](const Text& t, const Text& n, const Text& v) { return "var " + n + ": " + t + " = " + v + ";"; };
  l.loop = [](const Text& t, const Text& n, const Text& init, const Text& cond, const Text& step) {
    return "for (var " + n + ": " + t + " = " + init + "; " + cond + "; " + step + ") {";
  };
  l.when = [](const Text& c, const Text& s) { return "if (" + c + ") { " + s + " }"; };
  l.unroll = [](int64_t) { return Text(); };
  l.cast = [](const Text& t, const Text& x) { return t + "(" + x + ")"; };
  l.select = [](const Text& c, const Text& a, const Text& b) { return "select(" + b + ", " + a + ", " + c + ")"; };
  l.shift_amount = [](const Text& x) { return "u32(" + x + ")"; };
  // Through a function: infinite and NaN constants are errors in WGSL's constant expressions.
  l.infinity = [](DType) { return Text("anneal_f32_bits(0x7f800000u)"); };
  l.nan = [](DType) { return Text("anneal_f32_bits(0x7fc00000u)"); };
  l.math = [](Ops op, DType) {
    switch (op) {
      case Ops::EXP2: return Text("exp2");
      case Ops::LOG2: return Text("log2");
      case Ops::SIN: return Text("sin");
      case Ops::SQRT: return Text("sqrt");
      default: return Text("trunc");
    }
  };
  l.pow = [](DType) { return Text("pow"); };
  l.fma = [](DType) { return Text("fma"); };
  l.bool_literal = [](bool b) { return Text(b ? "true" : "false"); };
  l.index_literal = [](int64_t v, bool wide) {
    if (wide) throw Error("WGSL renderer: an index constant needs 64 bits, which WGSL does not have");
    return std::to_string(v);
  };
  l.int_literal = [](int64_t v, const Text& t) { return t + "(" + std::to_string(v) + ")"; };
  l.float_literal = [](const Text& hex, DType) { return "(" + hex + "f)"; };
  l.min_int = [](const Text& t, int bits) { return t + "(" + std::to_string(-(int64_t(1) << (bits - 1))) + ")"; };
  l.buffer = [](const Text& kernel, int64_t slot) { return kernel + "_data" + std::to_string(slot); };
  l.gpu.signature = [](const Text& kernel, int64_t threads, const std::vector<LanguageTable::Buffer>& buffers) {
    Text s;
    for (size_t i = 0; i < buffers.size(); ++i)
      s += "@group(0) @binding(" + std::to_string(i) + ") var<storage, " + (buffers[i].written ? "read_write" : "read") +
           "> " + kernel + "_data" + std::to_string(i) + ": array<" + buffers[i].memory_type + ">;\n";
    return s + "@compute @workgroup_size(" + std::to_string(threads) + ")\nfn " + kernel +
           "(@builtin(workgroup_id) anneal_wid: vec3<u32>, @builtin(local_invocation_id) anneal_lid: vec3<u32>) {";
  };
  l.gpu.block = "(anneal_wid.x + anneal_wid.y * 65535u)";
  l.gpu.thread = "anneal_lid.x";
  l.gpu.barrier = "workgroupBarrier();";
  l.gpu.max_grid_x = 65535;
  l.gpu.shared = [](const Text& t, const Text& n, int64_t size) {
    return "var<workgroup> " + n + ": array<" + t + ", " + std::to_string(size) + ">;";
  };
  l.gpu.shared_at_module_scope = true;
  return l;
}

}  // namespace

const LanguageTable& wgsl_language() {
  static const LanguageTable l = wgsl();
  return l;
}

const std::string& wgsl_prelude() {
  // src/render/preludes/, embedded at build time.
  static const std::string prelude =
#include "wgsl_prelude.wgsl.inc"
      ;
  return prelude;
}

}  // namespace anneal
