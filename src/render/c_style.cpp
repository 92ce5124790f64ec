#include "c_style.h"

#include <climits>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/support/error.h"
#include "anneal/uop/graph.h"

namespace anneal {

bool fits_int32(const UOp& u) { return u.vmin() >= INT32_MIN && u.vmax() <= INT32_MAX; }

namespace {
bool is_half(DType d) { return d == dtypes::float16; }
bool is_bf16(DType d) { return d == dtypes::bfloat16; }
// Rounds a float value to the 16-bit format `d` (kept as float).
std::string round_to(DType d, const std::string& x) {
  return is_half(d) ? "anneal_h2f(anneal_f2h(" + x + "))" : "anneal_bf2f(anneal_f2bf(" + x + "))";
}

}  // namespace

std::string CStyleEmitter::value_type(const UOp& u) const {
  if (u.dtype() == dtypes::weakint) return lang_.index(!fits_int32(u));
  return type_name(u.dtype());
}

std::string CStyleEmitter::literal(const UOp& c) const {
  const ConstValue& v = c.const_value();
  const DType d = c.dtype();
  if (d.is_float()) {
    const double x = v.as_float();
    if (std::isnan(x)) return lang_.nan(d);
    if (std::isinf(x)) return (x < 0 ? "-" : "") + lang_.infinity(d);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", x);  // exact
    return lang_.float_literal(buf, d);
  }
  if (d.is_bool()) return lang_.bool_literal(v.as_bool());
  if (d == dtypes::weakint) return lang_.index_literal(v.as_int(), !fits_int32(c));
  if (d.is_int() && !d.is_unsigned() && v.as_int() == std::numeric_limits<int64_t>::min() >> (64 - d.bits()))
    return lang_.min_int(type_name(d), int(d.bits()));  // its magnitude is no constant of the type
  return lang_.int_literal(v.as_int(), type_name(d));
}

std::string CStyleEmitter::print(const LinearKernel& program) {
  open_kernel(program);
  for (const UOp& s : program.program.srcs()) statement(s);
  out_ << "}\n";
  return out_.str();
}

void CStyleEmitter::statement(const UOp& s) {
  switch (s.op()) {
    case Ops::SPECIAL: return declare_special(s);
    case Ops::DEFINE_LOCAL: return declare_shared(s);
    case Ops::RANGE: return open_loop(s);
    case Ops::IF: line("if (" + val(s.src(0)) + ") {"); ++indent_; return;
    case Ops::END:
    case Ops::ENDIF: --indent_; line("}"); return;
    case Ops::BARRIER: line(lang_.gpu.barrier); return;
    case Ops::STORE: return store(s);
    case Ops::DEFINE_REG: {
      const std::string name = "acc" + std::to_string(*s.arg().as_int());
      line(lang_.var(type_name(s.dtype()), name, val(s.src(0))));
      return bind(s, name);
    }
    case Ops::LOAD:
      if (const int64_t* width = s.arg().as_int(); width && *width == 4) {
        const UOp& index = s.src(0);
        const std::string name = "v" + std::to_string(counter_++);
        line(lang_.vector_load(name, val(index.src(0)), val(index.src(1))));
        return bind(s, name);
      }
      return let(s);
    default: return let(s);
  }
}

void CStyleEmitter::let(const UOp& u) {
  const std::string name = "v" + std::to_string(counter_++);
  std::string value = expr(u);
  if (lang_.wrap && is_packed(u.dtype()) && u.dtype().is_int() && !u.is(Ops::LOAD)) value = lang_.wrap(value, u.dtype());
  line(lang_.let(value_type(u), name, value));
  bind(u, name);
}

bool CStyleEmitter::is_packed(DType d) const { return lang_.packed && lang_.packed(d); }

// Thread: this core's share [n*core/cores, n*(core+1)/cores) of the loop.
// GroupStrided: this thread's share lane, lane + group, lane + 2*group...
// GroupChunked: this thread's share [n*lane/group, n*(lane+1)/group).
void CStyleEmitter::open_loop(const UOp& r) {
  const RangeInfo info = range_info(r);
  if (info.type == AxisType::Unroll)
    if (const std::string hint = lang_.unroll(info.amount); !hint.empty()) directive(hint);
  const std::string name = range_name(r);
  // A symbolic trip count is an expression over the kernel's variable arguments.
  const bool fixed = r.src(0).is_const();
  const std::string n = fixed ? std::to_string(r.src(0).ival()) : "(" + emit_value(r.src(0)) + ")", t = value_type(r);
  const std::string cpu_n = fixed ? n + "LL" : "(long long)" + n;
  bind(r, name);
  switch (info.type) {
    case AxisType::Thread:
      line(lang_.loop(t, name, lang_.cast(t, "(" + cpu_n + " * core / cores)"),
                      name + " < " + lang_.cast(t, "(" + cpu_n + " * (core + 1) / cores)"), name + "++"));
      break;
    case AxisType::GroupChunked: {
      // n * lane needs 64 bits for long loops; without 64-bit integers it must fit in 32.
      const int64_t size = r.src(0).ival();
      check(lang_.int64 || size * info.amount <= INT32_MAX, [&] {
        return std::string(lang_.name) + " renderer: GROUPTOP over a loop of " + n + " needs 64-bit integers";
      });
      const std::string g = std::to_string(info.amount), lane = lang_.cast(lang_.index(lang_.int64), val(r.src(1)));
      const std::string wide_n = lang_.index_literal(size, lang_.int64);
      line(lang_.loop(t, name, lang_.cast(t, "(" + wide_n + " * " + lane + " / " + g + ")"),
                      name + " < " + lang_.cast(t, "(" + wide_n + " * (" + lane + " + 1) / " + g + ")"), name + "++"));
      break;
    }
    case AxisType::GroupStrided:
      line(lang_.loop(t, name, val(r.src(1)), name + " < " + n, name + " += " + std::to_string(info.amount)));
      break;
    default: line(lang_.loop(t, name, "0", name + " < " + n, name + "++"));
  }
  ++indent_;
}

// Into an accumulator, or into memory: float16 and bfloat16 buffers hold bit patterns, so a value is
// converted on its way to a kernel buffer (block-shared arrays hold the computing type).
void CStyleEmitter::store(const UOp& s) {
  const UOp& target = s.src(0);
  const UOp& value = s.src(1);
  if (target.is(Ops::DEFINE_REG)) {  // an accumulator's update is spelled inline: acc += v
    const std::string acc = val(target);
    if ((value.is(Ops::ADD) || value.is(Ops::MUL)) && value.src(0) == target)
      return line(acc + (value.is(Ops::ADD) ? " += " : " *= ") + val(value.src(1)) + ";");
    if (value.is(Ops::MAX) && value.src(1) == target && value.dtype().is_bool())  // WGSL orders no bools
      return line(acc + " = " + acc + " | " + val(value.src(0)) + ";");
    if (value.is(Ops::MAX) && value.src(1) == target)
      return line(acc + " = " + lang_.select(val(value.src(0)) + " > " + acc, val(value.src(0)), acc) + ";");
    return line(acc + " = " + (names_.count(value.get()) ? val(value) : expr(value)) + ";");
  }
  const UOp& buffer = target.src(0);
  if (value.is(Ops::STACK)) {
    std::string lanes;
    for (const UOp& v : value.srcs()) lanes += (lanes.empty() ? "" : ", ") + val(v);
    return line(lang_.vector_store(val(buffer), val(target.src(1)), lanes));
  }
  std::string v = val(value);
  if (buffer.is(Ops::PARAM) && is_packed(value.dtype())) {
    const std::string statement = lang_.packed_store(val(buffer), val(target.src(1)), v, value.dtype());
    return line(s.num_srcs() > 2 ? lang_.when(val(s.src(2)), statement) : statement);
  }
  if (buffer.is(Ops::PARAM) && value.dtype() == dtypes::float16) v = "anneal_f2h(" + v + ")";
  if (buffer.is(Ops::PARAM) && value.dtype() == dtypes::bfloat16) v = "anneal_f2bf(" + v + ")";
  const std::string statement = val(buffer) + "[" + val(target.src(1)) + "] = " + v + ";";
  line(s.num_srcs() > 2 ? lang_.when(val(s.src(2)), statement) : statement);
}

void CStyleEmitter::declare_special(const UOp&) {
  throw Error(std::string(lang_.name) + " renderer: kernel " + k_.name + " has GPU thread indices");
}

void CStyleEmitter::declare_shared(const UOp&) {
  throw Error(std::string(lang_.name) + " renderer: kernel " + k_.name + " has block-shared memory");
}

void CStyleEmitter::declare_range(const UOp& r, const std::string& value) {
  const std::string name = range_name(r), t = value_type(r);
  line(lang_.constant(t, name, lang_.cast(t, "(" + value + ")")));
  bind(r, name);
}

std::string CStyleEmitter::val(const UOp& u) const {
  if (const auto it = names_.find(u.get()); it != names_.end()) return it->second;
  switch (u.op()) {
    case Ops::CONST: return literal(u);
    case Ops::PARAM: return lang_.buffer(k_.name, u.arg().as<ParamArg>()->slot);
    case Ops::AFTER: return val(u.src(0));
    case Ops::GETTUPLE: return val(u.src(0)) + "." + "xyzw"[*u.arg().as_int()];
    default:
      throw Error(std::string(lang_.name) + " renderer: kernel " + k_.name + " uses a " + std::string(op_name(u.op())) +
                  " before computing it");
  }
}

std::string CStyleEmitter::expr(const UOp& u) {
  auto s = [&](size_t i) { return val(u.src(i)); };
  switch (u.op()) {
    case Ops::ADD: return s(0) + " + " + s(1);
    case Ops::MUL: return s(0) + " * " + s(1);
    case Ops::SUB: return s(0) + " - " + s(1);
    case Ops::MAX:
      if (u.dtype().is_bool()) return "(" + s(0) + " | " + s(1) + ")";  // the max of bools is their or
      return "(" + lang_.select(s(0) + " > " + s(1), s(0), s(1)) + ")";
    case Ops::CMPLT: return s(0) + " < " + s(1);
    case Ops::CMPNE: return s(0) + " != " + s(1);
    case Ops::CMPEQ: return s(0) + " == " + s(1);
    case Ops::AND: return s(0) + " & " + s(1);
    case Ops::OR: return s(0) + " | " + s(1);
    case Ops::XOR: return s(0) + " ^ " + s(1);
    case Ops::SHL: return s(0) + " << " + lang_.shift_amount(s(1));
    case Ops::SHR: return s(0) + " >> " + lang_.shift_amount(s(1));
    case Ops::CDIV: return s(0) + " / " + s(1);
    case Ops::CMOD: return s(0) + " % " + s(1);
    // Floor division of a value known to be non-negative by a positive divisor is C's truncating
    // division (no branches: the index math of convolution gradients is full of these).
    case Ops::FLOORDIV:
      if (u.src(0).vmin() >= 0 && u.src(1).vmin() > 0) return s(0) + " / " + s(1);
      return "anneal_floordiv(" + s(0) + ", " + s(1) + ")";
    case Ops::FLOORMOD:
      if (u.src(0).vmin() >= 0 && u.src(1).vmin() > 0) return s(0) + " % " + s(1);
      return "anneal_floormod(" + s(0) + ", " + s(1) + ")";
    case Ops::WHERE: return lang_.select(s(0), s(1), s(2));
    case Ops::NEG: return "-" + s(0);
    case Ops::EXP2:
    case Ops::LOG2:
    case Ops::SIN:
    case Ops::SQRT:
    case Ops::TRUNC: return lang_.math(u.op(), u.dtype()) + "(" + s(0) + ")";
    case Ops::POW: return lang_.pow(u.dtype()) + "(" + s(0) + ", " + s(1) + ")";
    case Ops::RECIPROCAL: return lang_.cast(type_name(u.dtype()), "1") + " / " + s(0);
    case Ops::CAST:
      if (is_half(u.dtype()) || is_bf16(u.dtype())) return round_to(u.dtype(), lang_.cast(lang_.type(dtypes::float32), s(0)));
      return lang_.cast(type_name(u.dtype()), s(0));
    case Ops::MULACC: return lang_.fma(u.dtype()) + "(" + s(0) + ", " + s(1) + ", " + s(2) + ")";
    // Kernel buffers of float16 and bfloat16 hold bit patterns; block-shared arrays the computing type.
    case Ops::LOAD: {
      const UOp& index = u.src(0);
      const UOp& buffer = index.src(0);
      const bool gated = u.num_srcs() >= 3 && !(u.src(2).is_const() && u.src(2).const_value().as_bool());
      const std::string at = gated && lang_.gated_loads_read_element_0 ? lang_.select(s(2), val(index.src(1)), "0")
                                                                         : val(index.src(1));
      std::string access = val(buffer) + "[" + at + "]";
      if (buffer.is(Ops::PARAM) && is_packed(u.dtype()))
        access = lang_.packed_load(val(buffer), val(index.src(1)), u.dtype(), buffer.arg().as<ParamArg>()->slot == 0);
      const bool bits = buffer.is(Ops::PARAM) && !is_packed(u.dtype());
      if (bits && is_half(u.dtype())) access = "anneal_h2f(" + access + ")";
      if (bits && is_bf16(u.dtype())) access = "anneal_bf2f(" + access + ")";
      if (!gated) return access;
      return lang_.select(s(2), access, s(1));
    }
    default: throw Error("renderer: cannot render " + std::string(op_name(u.op())));
  }
}

void CStyleEmitter::emit(const UOp& u) {
  if (names_.count(u.get()) || u.is_const() || u.is(Ops::PARAM)) return;
  for (const UOp& s : u.srcs()) emit(s);
  if (u.is(Ops::INDEX)) return bind(u, "");  // spelled inside its LOAD or STORE
  let(u);
}

std::string CStyleEmitter::operand_pointer(const GemmPlan& p, const GemmOperand& op, int axis, const std::string& tile) const {
  const UOp& end = k_.ast.src(0);
  std::string e = std::to_string(op.offset) + "LL";
  for (size_t i = 0; i < op.stride.size(); ++i)
    if (int(i) != p.axis_m && int(i) != p.axis_n && op.stride[i] != 0)
      e += " + " + std::to_string(op.stride[i]) + "LL * " + range_name(end.src(i + 1));
  e += " + " + std::to_string(op.stride[size_t(axis)]) + "LL * (" + tile + ")";
  return "data" + std::to_string(op.slot) + " + (" + e + ")";
}

void CStyleEmitter::declare_tile_pointers(const GemmPlan& p, int64_t rows, int64_t cols) {
  const std::string t = buffer_type(p.dtype);
  line("const " + t + "* pa = " + operand_pointer(p, p.a, p.axis_m, "bm * " + std::to_string(rows)) + ";");
  line("const " + t + "* pb = " + operand_pointer(p, p.b, p.axis_n, "bn * " + std::to_string(cols)) + ";");
}

void CStyleEmitter::gemm_epilogue(const GemmPlan& p, const UOp& row, const UOp& col, int width,
                                  const std::function<std::string(int)>& acc, bool vector_stores) {
  const UOp& end = k_.ast.src(0);
  const UOp& store = end.src(0);
  const size_t scope = mark();
  std::vector<std::string> values;
  std::vector<UOp> indices;
  for (int c = 0; c < width; ++c) {
    auto arg = std::make_shared<ParamArg>();
    arg->name = "acc" + std::to_string(c);
    arg->addrspace = AddrSpace::Alu;
    const UOp acc_value = UOp::make(Ops::PARAM, p.reduce.dtype(), {}, Arg(Arg::Object(std::move(arg))));
    bind(acc_value, acc(c));
    const std::unordered_map<UOp, UOp> at{
        {p.reduce, acc_value}, {end.src(size_t(p.axis_m) + 1), row}, {end.src(size_t(p.axis_n) + 1), col + c}};
    values.push_back(emit_value(substitute(store.src(1), at)));
    indices.push_back(sym_rewrite(substitute(store.src(0).src(1), at)));
  }
  const DType out = k_.buffers[0].dtype();
  const bool half = out == dtypes::float16 || out == dtypes::bfloat16;
  for (std::string& v : values)
    if (half) v = (out == dtypes::float16 ? "anneal_f2h(" : "anneal_f2bf(") + v + ")";
  // One vector store when the columns are consecutive elements and the first is aligned to the vector.
  bool vector = vector_stores && (width == 2 || width == 4) && (out == dtypes::float32 || half);
  for (int c = 1; vector && c < width; ++c) {
    const UOp step = sym_rewrite(indices[size_t(c)] - indices[0]);
    vector = step.is_const() && step.ival() == c;
  }
  if (vector) {
    const UOp misalign = sym_rewrite(indices[0] % width);
    vector = misalign.is_const() && misalign.ival() == 0;
  }
  const std::string first = emit_value(indices[0]);
  if (vector && !half) {
    std::string args;
    for (const std::string& v : values) args += (args.empty() ? "" : ", ") + v;
    line("*(float" + std::to_string(width) + "*)&data0[" + first + "] = make_float" + std::to_string(width) + "(" + args + ");");
  } else if (vector) {
    std::vector<std::string> words;
    for (int c = 0; c < width; c += 2)
      words.push_back("(unsigned int)" + values[size_t(c)] + " | ((unsigned int)" + values[size_t(c) + 1] + " << 16)");
    if (width == 2) line("*(unsigned int*)&data0[" + first + "] = " + words[0] + ";");
    else line("*(uint2*)&data0[" + first + "] = make_uint2(" + words[0] + ", " + words[1] + ");");
  } else {
    for (int c = 0; c < width; ++c) line("data0[" + emit_value(indices[size_t(c)]) + "] = " + values[size_t(c)] + ";");
  }
  forget_since(scope);
}

}  // namespace anneal
