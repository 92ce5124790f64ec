// The C renderer: `void NAME(void** bufs, int core, int cores)`. The outermost output loop is split
// across cores; every output element is computed by the same code on whichever core owns it, so
// results do not depend on the number of cores.
#include "c_renderer.h"

#include "anneal/render/renderer.h"
#include "c_style.h"

namespace anneal {
namespace {

class CEmitter final : public CStyleEmitter {
 public:
  using CStyleEmitter::CStyleEmitter;

 private:
  void open_kernel(const UOp& end) override {
    out_ << "void " << k_.name << "(void** bufs, int core, int cores) {\n";
    if (end.num_srcs() < 2) out_ << "  if (core != 0) return;\n  (void)cores;\n";
    for (size_t i = 0; i < k_.buffers.size(); ++i) {
      const std::string t = buffer_type(k_.buffers[i].dtype()), c = i ? "const " : "";
      out_ << "  " << c << t << "* restrict data" << i << " = (" << c << t << "*)bufs[" << i << "];\n";
    }
    indent_ = 1;
    for (size_t i = 1; i < end.num_srcs(); ++i) open_loop(end.src(i), i == 1 ? Loop::SplitAcrossCores : Loop::Plain);
  }
  void close_kernel(const UOp& end) override {
    for (size_t i = end.num_srcs(); i-- > 1;) close_loop(end.src(i));
    out_ << "}\n";
  }
  // <tgmath.h> picks the float or double function from the argument.
  std::string infinity(DType d) const override { return d == dtypes::float64 ? "__builtin_inf()" : "__builtin_inff()"; }
  std::string nan(DType d) const override {
    return d == dtypes::float64 ? "__builtin_nan(\"\")" : "__builtin_nanf(\"\")";
  }
  std::string unary_math(Ops op, DType) const override {
    switch (op) {
      case Ops::EXP2: return "exp2";
      case Ops::LOG2: return "log2";
      case Ops::SIN: return "sin";
      case Ops::SQRT: return "sqrt";
      default: return "trunc";
    }
  }
  std::string pow_fn(DType) const override { return "pow"; }
  std::string fma_fn(DType) const override { return "fma"; }
};

}  // namespace

const std::string& c_prelude() {
  static const std::string prelude =
      "#include <tgmath.h>\n"
      "static inline long long anneal_floordiv(long long a, long long b) {\n"
      "  long long q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;\n}\n"
      "static inline long long anneal_floormod(long long a, long long b) { return a - anneal_floordiv(a, b) * b; }\n"
      // float16 / bfloat16 <-> float, rounding to nearest even (bit patterns through a union).
      "typedef union { float f; unsigned int u; } anneal_bits;\n"
      "static inline float anneal_h2f(unsigned short h) {\n"
      "  unsigned int s = (unsigned int)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;\n"
      "  anneal_bits b;\n"
      "  if (e == 0) { float f = (float)m * 0x1p-24f; return s ? -f : f; }\n"
      "  b.u = e == 31 ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13));\n"
      "  return b.f;\n}\n"
      "static inline unsigned short anneal_f2h(float f) {\n"
      "  anneal_bits b; b.f = f;\n"
      "  unsigned int sign = (b.u >> 16) & 0x8000u, a = b.u & 0x7fffffffu;\n"
      "  if (a > 0x7f800000u) return (unsigned short)(sign | 0x7e00u);\n"
      "  if (a >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);\n"
      "  if (a < 0x38800000u) { anneal_bits c; c.u = a; return (unsigned short)(sign | (unsigned int)nearbyintf(c.f * 0x1p24f)); }\n"
      "  unsigned int r = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x3ffu), rest = a & 0x1fffu;\n"
      "  if (rest > 0x1000u || (rest == 0x1000u && (r & 1u))) r++;\n"
      "  return (unsigned short)(sign | r);\n}\n"
      "static inline float anneal_bf2f(unsigned short h) { anneal_bits b; b.u = (unsigned int)h << 16; return b.f; }\n"
      "static inline unsigned short anneal_f2bf(float f) {\n"
      "  anneal_bits b; b.f = f;\n"
      "  if ((b.u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((b.u >> 16) | 0x40u);\n"
      "  return (unsigned short)((b.u + 0x7fffu + ((b.u >> 16) & 1u)) >> 16);\n}\n";
  return prelude;
}

std::string render_c(const ScheduledKernel& kernel) { return CEmitter(kernel).run(); }

}  // namespace anneal
