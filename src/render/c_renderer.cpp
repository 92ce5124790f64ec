// Renders a kernel AST to C. Values become numbered locals in dependency order; a reduction becomes
// an accumulator loop, with everything that does not depend on its loop variables hoisted above it.
#include "anneal/render/c_renderer.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "anneal/support/error.h"
#include "anneal/uop/graph.h"

namespace anneal {
namespace {

std::string c_type(DType d) {
  switch (d.scalar()) {
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
    default: throw Error("C renderer: dtype " + std::string(d.name()) + " is not supported");
  }
}

// Index arithmetic is int where the node's bounds fit 32 bits, else long long.
bool fits_int32(const UOp& u) { return u.vmin() >= INT32_MIN && u.vmax() <= INT32_MAX; }
std::string value_type(const UOp& u) {
  if (u.dtype() == dtypes::weakint) return fits_int32(u) ? "int" : "long long";
  return c_type(u.dtype());
}

std::string literal(const UOp& c) {
  const ConstValue& v = c.const_value();
  const DType d = c.dtype();
  if (d.is_float()) {
    const double x = v.as_float();
    const char* suffix = d == dtypes::float64 ? "" : "f";
    if (std::isnan(x)) return d == dtypes::float64 ? "__builtin_nan(\"\")" : "__builtin_nanf(\"\")";
    if (std::isinf(x)) return std::string(x < 0 ? "-" : "") + (d == dtypes::float64 ? "__builtin_inf()" : "__builtin_inff()");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", x);  // exact
    return "(" + std::string(buf) + suffix + ")";
  }
  if (d.is_bool()) return v.as_bool() ? "1" : "0";
  if (d == dtypes::weakint) return std::to_string(v.as_int()) + (fits_int32(c) ? "" : "LL");
  return "((" + c_type(d) + ")" + std::to_string(v.as_int()) + "LL)";
}

std::string reduce_identity(Ops op, DType d) {
  if (op == Ops::ADD) return "0";
  if (op == Ops::MUL) return "1";
  if (d.is_float()) return d == dtypes::float64 ? "-__builtin_inf()" : "-__builtin_inff()";
  if (d.is_bool() || d.is_unsigned()) return "0";
  return "((" + c_type(d) + ")(1ULL << " + std::to_string(d.bits() - 1) + "))";  // the minimum
}

class CEmitter {
 public:
  explicit CEmitter(const ScheduledKernel& k) : k_(k) {}

  std::string run() {
    const UOp& end = k_.ast.src(0);
    const UOp& store = end.src(0);
    compute_deps();
    // Cores split the outermost output loop; every output element is computed by the same code on
    // whichever core owns it, so results do not depend on the number of cores.
    out_ << "void " << k_.name << "(void** bufs, int core, int cores) {\n";
    if (end.num_srcs() < 2) out_ << "  if (core != 0) return;\n  (void)cores;\n";
    for (size_t i = 0; i < k_.buffers.size(); ++i) {
      const std::string t = c_type(k_.buffers[i].dtype());
      out_ << "  " << (i ? "const " : "") << t << "* restrict data" << i << " = (" << (i ? "const " : "") << t
           << "*)bufs[" << i << "];\n";
    }
    indent_ = 1;
    for (size_t i = 1; i < end.num_srcs(); ++i) open_loop(end.src(i), i == 1);
    emit(store.src(1));
    emit(store.src(0).src(1));
    line("data0[" + val(store.src(0).src(1)) + "] = " + val(store.src(1)) + ";");
    for (size_t i = end.num_srcs(); i-- > 1;) close_loop(end.src(i));
    out_ << "}\n";
    return out_.str();
  }

 private:
  // The loop variables each node depends on (reductions close their own).
  void compute_deps() {
    for (const UOp& u : toposort(k_.ast)) {
      std::unordered_set<const void*> d;
      if (u.is(Ops::RANGE)) d.insert(u.get());
      for (const UOp& s : u.srcs()) d.insert(deps_[s.get()].begin(), deps_[s.get()].end());
      if (u.is(Ops::REDUCE))
        for (size_t i = 1; i < u.num_srcs(); ++i) d.erase(u.src(i).get());
      deps_[u.get()] = std::move(d);
    }
  }

  void line(const std::string& s) { out_ << std::string(size_t(indent_) * 2, ' ') << s << "\n"; }
  // `split`: this core's share [n*core/cores, n*(core+1)/cores) of the loop.
  void open_loop(const UOp& r, bool split = false) {
    const std::string name = "r" + std::to_string(*r.arg().as_int());
    const std::string n = std::to_string(r.src(0).ival()), t = value_type(r);
    names_[r.get()] = name;
    open_.insert(r.get());
    if (split)
      line("for (" + t + " " + name + " = (" + t + ")(" + n + "LL * core / cores); " + name + " < (" + t + ")(" + n +
           "LL * (core + 1) / cores); " + name + "++) {");
    else
      line("for (" + t + " " + name + " = 0; " + name + " < " + n + "; " + name + "++) {");
    ++indent_;
  }
  void close_loop(const UOp& r) {
    open_.erase(r.get());
    --indent_;
    line("}");
  }

  std::string val(const UOp& u) {
    if (u.is_const()) return literal(u);
    return names_.at(u.get());
  }

  std::string expr(const UOp& u) {
    auto s = [&](size_t i) { return val(u.src(i)); };
    switch (u.op()) {
      case Ops::ADD: return s(0) + " + " + s(1);
      case Ops::MUL: return s(0) + " * " + s(1);
      case Ops::SUB: return s(0) + " - " + s(1);
      case Ops::MAX: return "(" + s(0) + " > " + s(1) + " ? " + s(0) + " : " + s(1) + ")";
      case Ops::CMPLT: return s(0) + " < " + s(1);
      case Ops::CMPNE: return s(0) + " != " + s(1);
      case Ops::CMPEQ: return s(0) + " == " + s(1);
      case Ops::AND: return s(0) + " & " + s(1);
      case Ops::OR: return s(0) + " | " + s(1);
      case Ops::XOR: return s(0) + " ^ " + s(1);
      case Ops::SHL: return s(0) + " << " + s(1);
      case Ops::SHR: return s(0) + " >> " + s(1);
      case Ops::CDIV: return s(0) + " / " + s(1);
      case Ops::CMOD: return s(0) + " % " + s(1);
      case Ops::FLOORDIV: return "anneal_floordiv(" + s(0) + ", " + s(1) + ")";
      case Ops::FLOORMOD: return "anneal_floormod(" + s(0) + ", " + s(1) + ")";
      case Ops::WHERE: return s(0) + " ? " + s(1) + " : " + s(2);
      case Ops::NEG: return "-" + s(0);
      case Ops::EXP2: return "exp2(" + s(0) + ")";
      case Ops::LOG2: return "log2(" + s(0) + ")";
      case Ops::SIN: return "sin(" + s(0) + ")";
      case Ops::SQRT: return "sqrt(" + s(0) + ")";
      case Ops::TRUNC: return "trunc(" + s(0) + ")";
      case Ops::POW: return "pow(" + s(0) + ", " + s(1) + ")";
      case Ops::RECIPROCAL: return "(" + c_type(u.dtype()) + ")1 / " + s(0);
      case Ops::CAST: return "(" + c_type(u.dtype()) + ")" + s(0);
      case Ops::LOAD: {
        const UOp& index = u.src(0);
        const std::string access = names_.at(index.src(0).get()) + "[" + val(index.src(1)) + "]";
        if (u.num_srcs() == 1) return access;
        return s(2) + " ? " + access + " : " + s(1);
      }
      default: throw Error("C renderer: cannot render " + std::string(op_name(u.op())));
    }
  }

  void emit(const UOp& u) {
    if (names_.count(u.get()) || u.is_const()) return;
    if (u.is(Ops::PARAM)) {
      names_[u.get()] = "data" + std::to_string(u.arg().as<ParamArg>()->slot);
      return;
    }
    if (u.is(Ops::REDUCE)) return emit_reduce(u);
    if (u.is(Ops::INDEX)) {  // rendered inside its LOAD/STORE
      for (const UOp& s : u.srcs()) emit(s);
      names_[u.get()] = "";
      return;
    }
    for (const UOp& s : u.srcs()) emit(s);
    const std::string name = "v" + std::to_string(counter_++);
    line(value_type(u) + " " + name + " = " + expr(u) + ";");
    names_[u.get()] = name;
  }

  void emit_reduce(const UOp& r) {
    // Hoist what the reduction's body computes with the loops already open (not its own, nor those
    // of reductions nested in it).
    for (const UOp& u : toposort(r.src(0))) {
      const auto& d = deps_[u.get()];
      if (std::all_of(d.begin(), d.end(), [&](const void* p) { return open_.count(p) > 0; })) emit(u);
    }
    const Ops op = Ops(*r.arg().as_int());
    const std::string acc = "acc" + std::to_string(counter_++);
    line(c_type(r.dtype()) + " " + acc + " = " + reduce_identity(op, r.dtype()) + ";");
    for (size_t i = 1; i < r.num_srcs(); ++i) open_loop(r.src(i));
    emit(r.src(0));
    const std::string x = val(r.src(0));
    if (op == Ops::ADD) line(acc + " += " + x + ";");
    else if (op == Ops::MUL) line(acc + " *= " + x + ";");
    else line(acc + " = " + x + " > " + acc + " ? " + x + " : " + acc + ";");
    for (size_t i = r.num_srcs(); i-- > 1;) close_loop(r.src(i));
    names_[r.get()] = acc;
  }

  const ScheduledKernel& k_;
  std::ostringstream out_;
  std::unordered_map<const void*, std::string> names_;
  std::unordered_map<const void*, std::unordered_set<const void*>> deps_;
  std::unordered_set<const void*> open_;  // loop variables in scope
  int indent_ = 0;
  int counter_ = 0;
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
