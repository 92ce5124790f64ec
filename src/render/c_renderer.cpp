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
      const std::string t = type_name(k_.buffers[i].dtype()), c = i ? "const " : "";
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
      "static inline long long anneal_floormod(long long a, long long b) { return a - anneal_floordiv(a, b) * b; }\n";
  return prelude;
}

std::string render_c(const ScheduledKernel& kernel) { return CEmitter(kernel).run(); }

}  // namespace anneal
