// The WGSL table (WebGPU's shading language): C's statements with `let`/`var` declarations, T(x)
// casts, select() for ?:, u32 shift amounts; f32, i32, u32 and bool registers (no 64-bit types;
// float16/bfloat16 compute in f32, 8/16-bit integers in 32 bits, and their buffers pack elements
// into 32-bit words); buffers are module-scope bindings named after their kernel,
// and workgroup (shared) arrays live at module scope too. The grid is 2-D past 65535 blocks.
#include <string>

#include "anneal/support/error.h"
#include "language.h"
#include "wgsl_renderer.h"

namespace anneal {
namespace {

using Text = std::string;

// Registers: 8- and 16-bit integers compute in i32/u32 (narrowed after arithmetic), float16 and
// bfloat16 in f32 (rounded where a value is cast to them, as the C renderers do).
Text wgsl_type(DType d) {
  switch (d.scalar()) {
    case ScalarType::Float32:
    case ScalarType::Float16:
    case ScalarType::BFloat16: return "f32";
    case ScalarType::Int8:
    case ScalarType::Int16:
    case ScalarType::Int32: return "i32";
    case ScalarType::UInt8:
    case ScalarType::UInt16:
    case ScalarType::UInt32: return "u32";
    case ScalarType::Bool: return "bool";
    default:
      throw Error("WGSL renderer: dtype " + std::string(d.name()) +
                  " is not supported (WebGPU has no 64-bit types; use float32 or int32)");
  }
}

// Memory is 32-bit words: narrower dtypes are packed, four bytes or two halves to a word.
bool packed(DType d) { return d.itemsize() < 4; }

// An element of a packed buffer as a value of its register type. A written buffer is atomic.
Text packed_load(const Text& buffer, const Text& index, DType d, bool written) {
  const Text word = written ? "atomicLoad(&" + buffer + "[(" + index + ") >> 2u])" : buffer + "[(" + index + ") >> 2u]";
  const Text half_word = written ? "atomicLoad(&" + buffer + "[(" + index + ") >> 1u])" : buffer + "[(" + index + ") >> 1u]";
  switch (d.scalar()) {
    case ScalarType::Bool: return "(anneal_byte(" + word + ", " + index + ") != 0u)";
    case ScalarType::UInt8: return "anneal_byte(" + word + ", " + index + ")";
    case ScalarType::Int8: return "(bitcast<i32>(anneal_byte(" + word + ", " + index + ") << 24u) >> 24u)";
    case ScalarType::UInt16: return "anneal_half(" + half_word + ", " + index + ")";
    case ScalarType::Int16: return "(bitcast<i32>(anneal_half(" + half_word + ", " + index + ") << 16u) >> 16u)";
    case ScalarType::Float16: return "anneal_h2f(anneal_half(" + half_word + ", " + index + "))";
    case ScalarType::BFloat16: return "anneal_bf2f(anneal_half(" + half_word + ", " + index + "))";
    default: throw Error("WGSL renderer: " + std::string(d.name()) + " is not a packed dtype");
  }
}

// Clears the element's bits, then sets them: two atomics on the shared word, each touching only this
// element's bits, so neighbours storing at the same time do not disturb one another.
Text packed_store(const Text& buffer, const Text& index, const Text& value, DType d) {
  const bool byte = d.itemsize() == 1;
  Text bits;
  switch (d.scalar()) {
    case ScalarType::Bool: bits = "select(0u, 1u, " + value + ")"; break;
    case ScalarType::Float16: bits = "anneal_f2h(" + value + ")"; break;
    case ScalarType::BFloat16: bits = "anneal_f2bf(" + value + ")"; break;
    default: bits = "(bitcast<u32>(" + value + ") & " + (byte ? "0xffu" : "0xffffu") + ")";
  }
  const Text word = "&" + buffer + "[(" + index + ") >> " + (byte ? "2u" : "1u") + "]";
  const Text shift = "(u32((" + index + ") & " + (byte ? "3" : "1") + ") * " + (byte ? "8u" : "16u") + ")";
  return "atomicAnd(" + word + ", ~(" + (byte ? "0xffu" : "0xffffu") + " << " + shift + ")); atomicOr(" + word + ", " +
         bits + " << " + shift + ");";
}

// Arithmetic on a narrow integer in a 32-bit register: wraps as the narrow type would.
Text wrap(const Text& value, DType d) {
  const Text bits = std::to_string(32 - 8 * int(d.itemsize()));
  if (d.is_unsigned()) return "((" + value + ") & " + (d.itemsize() == 1 ? "0xffu" : "0xffffu") + ")";
  return "(((" + value + ") << " + bits + "u) >> " + bits + "u)";
}

LanguageTable wgsl() {
  LanguageTable l;
  l.name = "WGSL";
  l.type = wgsl_type;
  l.memory_type = [](DType d) { return packed(d) ? Text("u32") : wgsl_type(d); };
  l.packed = packed;
  l.packed_load = packed_load;
  l.packed_store = packed_store;
  l.wrap = wrap;
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
  l.gpu.signature = [](const Text& kernel, int64_t threads, const std::vector<LanguageTable::Buffer>& buffers,
                       const std::vector<Text>& vars) {
    Text s;
    for (size_t i = 0; i < buffers.size(); ++i)
      s += "@group(0) @binding(" + std::to_string(i) + ") var<storage, " + (buffers[i].written ? "read_write" : "read") +
           "> " + kernel + "_data" + std::to_string(i) + ": array<" +
           (buffers[i].written && packed(buffers[i].dtype) ? "atomic<u32>" : buffers[i].memory_type) + ">;\n";
    // Variables (symbolic sizes) come in one more read-only binding after the buffers, as i32s.
    if (!vars.empty())
      s += "@group(0) @binding(" + std::to_string(buffers.size()) + ") var<storage, read> " + kernel + "_vars: array<i32>;\n";
    s += "@compute @workgroup_size(" + std::to_string(threads) + ")\nfn " + kernel +
         "(@builtin(workgroup_id) anneal_wid: vec3<u32>, @builtin(local_invocation_id) anneal_lid: vec3<u32>) {";
    for (size_t j = 0; j < vars.size(); ++j) s += "\n  let " + vars[j] + ": i32 = " + kernel + "_vars[" + std::to_string(j) + "];";
    return s;
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
