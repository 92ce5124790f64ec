// The C and CUDA tables: CUDA is C with its own bool, float functions, special values and vectors.
#include <string>

#include "anneal/support/error.h"
#include "language.h"

namespace anneal {
namespace {

std::string c_type(DType d) {
  switch (d.scalar()) {
    case ScalarType::Float16:
    case ScalarType::BFloat16: return "float";
    case ScalarType::Bool: return "_Bool";
    case ScalarType::Int8: return "signed char";
    case ScalarType::Int16: return "short";
    case ScalarType::Int32: return "int";
    case ScalarType::Int64: return "long long";
    case ScalarType::UInt8: return "unsigned char";
    case ScalarType::UInt16: return "unsigned short";
    case ScalarType::UInt32: return "unsigned int";
    case ScalarType::UInt64: return "unsigned long long";
    case ScalarType::Float32: return "float";
    case ScalarType::Float64: return "double";
    default: throw Error("renderer: dtype " + std::string(d.name()) + " is not supported");
  }
}

bool is_16bit_float(DType d) { return d == dtypes::float16 || d == dtypes::bfloat16; }

LanguageTable c_family() {
  LanguageTable l;
  l.name = "C";
  l.type = c_type;
  l.memory_type = [](DType d) { return is_16bit_float(d) ? std::string("unsigned short") : c_type(d); };
  l.index = [](bool wide) { return std::string(wide ? "long long" : "int"); };
  l.let = [](const std::string& t, const std::string& n, const std::string& v) { return t + " " + n + " = " + v + ";"; };
  l.var = l.let;
  l.constant = [](const std::string& t, const std::string& n, const std::string& v) { return "const " + t + " " + n + " = " + v + ";"; };
  l.loop = [](const std::string& t, const std::string& n, const std::string& init, const std::string& cond,
              const std::string& step) { return "for (" + t + " " + n + " = " + init + "; " + cond + "; " + step + ") {"; };
  l.when = [](const std::string& c, const std::string& s) { return "if (" + c + ") " + s; };
  // clang and gcc spell it differently; each ignores the other's.
  l.unroll = [](int64_t f) {
    const std::string n = std::to_string(f);
    return "#if defined(__clang__)\n#pragma unroll " + n + "\n#else\n#pragma GCC unroll " + n + "\n#endif";
  };
  l.cast = [](const std::string& t, const std::string& x) { return "(" + t + ")" + x; };
  l.select = [](const std::string& c, const std::string& a, const std::string& b) { return c + " ? " + a + " : " + b; };
  l.shift_amount = [](const std::string& x) { return x; };
  l.infinity = [](DType d) { return std::string(d == dtypes::float64 ? "__builtin_inf()" : "__builtin_inff()"); };
  l.nan = [](DType d) { return std::string(d == dtypes::float64 ? "__builtin_nan(\"\")" : "__builtin_nanf(\"\")"); };
  // <tgmath.h> picks the float or double function from the argument.
  l.math = [](Ops op, DType) {
    switch (op) {
      case Ops::EXP2: return std::string("exp2");
      case Ops::LOG2: return std::string("log2");
      case Ops::SIN: return std::string("sin");
      case Ops::SQRT: return std::string("sqrt");
      default: return std::string("trunc");
    }
  };
  l.pow = [](DType) { return std::string("pow"); };
  l.fma = [](DType) { return std::string("fma"); };
  l.bool_literal = [](bool b) { return std::string(b ? "1" : "0"); };
  l.index_literal = [](int64_t v, bool wide) { return std::to_string(v) + (wide ? "LL" : ""); };
  l.int_literal = [](int64_t v, const std::string& t) { return "((" + t + ")" + std::to_string(v) + "LL)"; };
  l.float_literal = [](const std::string& hex, DType d) { return "(" + hex + (d == dtypes::float64 ? "" : "f") + ")"; };
  l.min_int = [](const std::string& t, int bits) { return "((" + t + ")(1ULL << " + std::to_string(bits - 1) + "))"; };
  l.buffer = [](const std::string&, int64_t slot) { return "data" + std::to_string(slot); };
  return l;
}

LanguageTable cuda() {
  LanguageTable l = c_family();
  l.name = "CUDA";
  l.type = [](DType d) { return d == dtypes::bool_ ? std::string("bool") : c_type(d); };
  l.memory_type = [](DType d) { return is_16bit_float(d) ? std::string("unsigned short") : d == dtypes::bool_ ? std::string("bool") : c_type(d); };
  l.unroll = [](int64_t f) { return "#pragma unroll " + std::to_string(f); };
  l.infinity = [](DType d) {
    return std::string(d == dtypes::float64 ? "__longlong_as_double(0x7ff0000000000000LL)" : "__int_as_float(0x7f800000)");
  };
  l.nan = [](DType d) {
    return std::string(d == dtypes::float64 ? "__longlong_as_double(0x7ff8000000000000LL)" : "__int_as_float(0x7fc00000)");
  };
  l.math = [](Ops op, DType d) {
    const std::string f = d == dtypes::float64 ? "" : "f";
    switch (op) {
      case Ops::EXP2: return "exp2" + f;
      case Ops::LOG2: return "log2" + f;
      case Ops::SIN: return "sin" + f;
      case Ops::SQRT: return "sqrt" + f;
      default: return "trunc" + f;
    }
  };
  l.pow = [](DType d) { return std::string(d == dtypes::float64 ? "pow" : "powf"); };
  l.fma = [](DType d) { return std::string(d == dtypes::float64 ? "fma" : "fmaf"); };
  l.vector_load = [](const std::string& name, const std::string& buffer, const std::string& index) {
    return "const float4 " + name + " = *(const float4*)(" + buffer + " + " + index + ");";
  };
  l.vector_store = [](const std::string& buffer, const std::string& index, const std::string& values) {
    return "*(float4*)&" + buffer + "[" + index + "] = make_float4(" + values + ");";
  };
  l.gpu.signature = [](const std::string& kernel, int64_t threads, const std::vector<LanguageTable::Buffer>& buffers,
                       const std::vector<std::string>& vars) {
    std::string s = "extern \"C\" __global__ void __launch_bounds__(" + std::to_string(threads) + ") " + kernel + "(";
    for (size_t i = 0; i < buffers.size(); ++i)
      s += (i ? ", " : "") + std::string(buffers[i].written ? "" : "const ") + buffers[i].memory_type + "* __restrict__ data" +
           std::to_string(i);
    for (const std::string& v : vars) s += ", const long long " + v;
    return s + ") {";
  };
  l.gpu.block = "blockIdx.x";
  l.gpu.thread = "threadIdx.x";
  l.gpu.barrier = "__syncthreads();";
  l.gpu.max_grid_x = 2147483647;
  l.gpu.shared = [](const std::string& t, const std::string& n, int64_t size) {
    return "__shared__ " + t + " " + n + "[" + std::to_string(size) + "];";
  };
  return l;
}

}  // namespace

const LanguageTable& c_language() {
  static const LanguageTable l = [] {
    LanguageTable c = c_family();
    c.gated_loads_read_element_0 = true;  // runtime/cpu: every allocation has at least 64 bytes
    return c;
  }();
  return l;
}

const LanguageTable& cuda_language() {
  static const LanguageTable l = cuda();
  return l;
}

}  // namespace anneal
