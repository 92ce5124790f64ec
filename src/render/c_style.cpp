#include "c_style.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
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

// Whether a LOAD or STORE is unconditional: no gate (source 2), or one folded to true.
bool ungated(const UOp& access) {
  return access.num_srcs() <= 2 || (access.src(2).is_const() && access.src(2).const_value().as_bool());
}

// Runs of 4 neighbouring elements that start at a multiple of 4 among `accesses` (buffer, index):
// indices rest + 4q, + 1, + 2, + 3 with `rest` provably a multiple of 4. Positions into `accesses`, in
// order of first appearance.
std::vector<std::array<size_t, 4>> aligned_quads(const std::vector<std::pair<UOp, UOp>>& accesses) {
  struct Base {
    UOp buffer, rest;
    std::map<int64_t, size_t> offsets;
  };
  std::vector<Base> bases;
  for (size_t i = 0; i < accesses.size(); ++i) {
    const auto split = sym_helpers::pop_const(accesses[i].second);  // not a structured binding: clang 14 cannot capture one
    const UOp& rest = split.first;
    const int64_t c = split.second;
    auto it = std::find_if(bases.begin(), bases.end(), [&](const Base& b) { return b.buffer == accesses[i].first && b.rest == rest; });
    if (it == bases.end()) it = bases.insert(bases.end(), Base{accesses[i].first, rest, {}});
    it->offsets.emplace(c, i);
  }
  std::vector<std::array<size_t, 4>> out;
  for (const Base& b : bases) {
    if (b.offsets.size() < 4 || !sym_helpers::divides(b.rest, 4)) continue;
    for (const auto& [c, first] : b.offsets) {
      if (c % 4 != 0) continue;
      std::array<size_t, 4> q{first, 0, 0, 0};
      bool whole = true;
      for (int j = 1; j < 4 && whole; ++j) {
        const auto it = b.offsets.find(c + j);
        whole = it != b.offsets.end();
        if (whole) q[size_t(j)] = it->second;
      }
      if (whole) out.push_back(q);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
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
  return lang_.int_literal(v.as_int(), type_name(d));
}

std::string CStyleEmitter::reduce_identity(Ops op, DType d) const {
  if (op == Ops::ADD) return "0";
  if (op == Ops::MUL) return "1";
  if (d.is_float()) return "-" + lang_.infinity(d);
  if (d.is_bool() || d.is_unsigned()) return "0";
  return lang_.min_int(type_name(d), int(d.bits()));
}

std::string CStyleEmitter::run() {
  const UOp& end = k_.ast.src(0);
  // One STORE, or a GROUP of them (an upcast kernel).
  const UOp& body = end.src(0);
  const std::vector<UOp> stores = body.is(Ops::GROUP) ? std::vector<UOp>(body.srcs().begin(), body.srcs().end())
                                                      : std::vector<UOp>{body};
  compute_deps();
  for (const UOp& u : toposort(k_.ast))
    if (u.is(Ops::REDUCE)) reduces_.push_back(u);
  open_kernel(end);
  for (const UOp& store : stores) {
    emit(store.src(1));
    emit(store.src(0).src(1));
    if (store.num_srcs() > 2) emit(store.src(2));  // PADTO's gate
  }
  emit_stores(stores);
  close_kernel(end);
  return out_.str();
}

void CStyleEmitter::emit_stores(const std::vector<UOp>& stores) {
  const DType out = k_.buffers[0].dtype();
  std::vector<bool> done(stores.size(), false);
  const std::string data0 = lang_.buffer(k_.name, 0);
  auto write = [&](const std::string& statement) {
    line(store_condition().empty() ? statement : lang_.when(store_condition(), statement));
  };
  if (lang_.vector_memory && out == dtypes::float32) {
    std::vector<std::pair<UOp, UOp>> accesses;
    for (const UOp& store : stores) accesses.push_back({store.src(0).src(0), store.src(0).src(1)});
    for (const std::array<size_t, 4>& q : aligned_quads(accesses)) {
      if (!std::all_of(q.begin(), q.end(), [&](size_t i) { return ungated(stores[i]) && !done[i]; })) continue;
      std::string v;
      for (size_t i : q) v += (v.empty() ? "" : ", ") + val(stores[i].src(1));
      write("*(float4*)&" + data0 + "[" + val(stores[q[0]].src(0).src(1)) + "] = make_float4(" + v + ");");
      for (size_t i : q) done[i] = true;
    }
  }
  for (size_t i = 0; i < stores.size(); ++i) {
    if (done[i]) continue;
    const UOp& store = stores[i];
    std::string v = val(store.src(1));
    if (is_half(out)) v = "anneal_f2h(" + v + ")";
    if (is_bf16(out)) v = "anneal_f2bf(" + v + ")";
    const std::string statement = data0 + "[" + val(store.src(0).src(1)) + "] = " + v + ";";
    write(ungated(store) ? statement : lang_.when(val(store.src(2)), statement));
  }
}

// The loop variables each node depends on (reductions close their own).
void CStyleEmitter::compute_deps() {
  for (const UOp& u : toposort(k_.ast)) {
    std::unordered_set<const void*> d;
    if (u.is(Ops::RANGE)) d.insert(u.get());
    for (const UOp& s : u.srcs()) d.insert(deps_[s.get()].begin(), deps_[s.get()].end());
    if (u.is(Ops::REDUCE))
      for (size_t i = 1; i < u.num_srcs(); ++i) d.erase(u.src(i).get());
    deps_[u.get()] = std::move(d);
  }
}

// SplitAcrossCores: this core's share [n*core/cores, n*(core+1)/cores) of the loop.
// StridedOverGroup: this thread's share lane, lane + group, lane + 2*group...
// ChunkOfGroup: this thread's share [n*lane/group, n*(lane+1)/group).
void CStyleEmitter::open_loop(const UOp& r, Loop kind) {
  if (const RangeInfo info = range_info(r); info.type == AxisType::Unroll)
    if (const std::string hint = lang_.unroll(info.amount); !hint.empty()) directive(hint);
  const std::string name = range_name(r);
  const std::string n = std::to_string(r.src(0).ival()), t = value_type(r);
  bind(r, name);
  open_.insert(r.get());
  switch (kind) {
    case Loop::SplitAcrossCores:
      line(lang_.loop(t, name, lang_.cast(t, "(" + n + "LL * core / cores)"),
                      name + " < " + lang_.cast(t, "(" + n + "LL * (core + 1) / cores)"), name + "++"));
      break;
    case Loop::ChunkOfGroup: {
      // n * lane needs 64 bits for long loops; without 64-bit integers it must fit in 32.
      const int64_t size = r.src(0).ival();
      check(lang_.int64 || size * group_size() <= INT32_MAX, [&] {
        return std::string(lang_.name) + " renderer: GROUPTOP over a loop of " + n + " needs 64-bit integers";
      });
      const std::string g = std::to_string(group_size()), lane = lang_.cast(lang_.index(lang_.int64), thread_lane());
      const std::string wide_n = lang_.index_literal(size, lang_.int64);
      line(lang_.loop(t, name, lang_.cast(t, "(" + wide_n + " * " + lane + " / " + g + ")"),
                      name + " < " + lang_.cast(t, "(" + wide_n + " * (" + lane + " + 1) / " + g + ")"), name + "++"));
      break;
    }
    case Loop::StridedOverGroup:
      line(lang_.loop(t, name, thread_lane(), name + " < " + n, name + " += " + std::to_string(group_size())));
      break;
    case Loop::Plain: line(lang_.loop(t, name, "0", name + " < " + n, name + "++"));
  }
  ++indent_;
}

void CStyleEmitter::declare_range(const UOp& r, const std::string& value) {
  const std::string name = range_name(r), t = value_type(r);
  line(lang_.constant(t, name, lang_.cast(t, "(" + value + ")")));
  bind(r, name);
  open_.insert(r.get());
}

void CStyleEmitter::close_loop(const UOp& r) {
  open_.erase(r.get());
  --indent_;
  line("}");
}

std::string CStyleEmitter::val(const UOp& u) const {
  if (u.is_const()) return literal(u);
  return names_.at(u.get());
}

std::string CStyleEmitter::expr(const UOp& u) {
  auto s = [&](size_t i) { return val(u.src(i)); };
  switch (u.op()) {
    case Ops::ADD: return s(0) + " + " + s(1);
    case Ops::MUL: return s(0) + " * " + s(1);
    case Ops::SUB: return s(0) + " - " + s(1);
    case Ops::MAX: return "(" + lang_.select(s(0) + " > " + s(1), s(0), s(1)) + ")";
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
      if (is_half(u.dtype()) || is_bf16(u.dtype())) return round_to(u.dtype(), "(float)" + s(0));
      return lang_.cast(type_name(u.dtype()), s(0));
    case Ops::LOAD: {
      const UOp& index = u.src(0);
      std::string access = names_.at(index.src(0).get()) + "[" + val(index.src(1)) + "]";
      if (is_half(u.dtype())) access = "anneal_h2f(" + access + ")";
      if (is_bf16(u.dtype())) access = "anneal_bf2f(" + access + ")";
      if (ungated(u)) return access;  // ungated, or a gate folded to true
      return lang_.select(s(2), access, s(1));
    }
    default: throw Error("renderer: cannot render " + std::string(op_name(u.op())));
  }
}

void CStyleEmitter::emit(const UOp& u) {
  if (names_.count(u.get()) || u.is_const()) return;
  if (u.is(Ops::PARAM)) return bind(u, lang_.buffer(k_.name, u.arg().as<ParamArg>()->slot));
  if (u.is(Ops::REDUCE)) return emit_reduce(u);
  if (u.is(Ops::INDEX)) {  // rendered inside its LOAD/STORE
    for (const UOp& s : u.srcs()) emit(s);
    return bind(u, "");
  }
  for (const UOp& s : u.srcs()) emit(s);
  const std::string name = "v" + std::to_string(counter_++);
  line(lang_.let(value_type(u), name, expr(u)));
  bind(u, name);
}

bool CStyleEmitter::in_scope(const UOp& u) const {
  const auto it = deps_.find(u.get());
  return it == deps_.end() || std::all_of(it->second.begin(), it->second.end(), [&](const void* p) { return open_.count(p) > 0; });
}

// The float32 loads among `roots` that can be computed here, 4 neighbours at a time (vector_memory):
// one float4 load each, its lanes bound as the loads' values.
void CStyleEmitter::emit_vector_loads(const std::vector<UOp>& roots) {
  if (!lang_.vector_memory) return;
  std::vector<UOp> loads;
  std::unordered_set<const void*> seen;
  for (const UOp& root : roots)
    for (const UOp& u : toposort(root))
      if (u.is(Ops::LOAD) && u.dtype() == dtypes::float32 && ungated(u) && !names_.count(u.get()) && in_scope(u) &&
          seen.insert(u.get()).second)
        loads.push_back(u);
  if (loads.size() < 4) return;
  std::vector<std::pair<UOp, UOp>> accesses;
  for (const UOp& l : loads) accesses.push_back({l.src(0).src(0), l.src(0).src(1)});
  for (const std::array<size_t, 4>& q : aligned_quads(accesses)) {
    const UOp& index = loads[q[0]].src(0);
    emit(index);
    const std::string name = "v" + std::to_string(counter_++);
    line("const float4 " + name + " = *(const float4*)(" + val(index.src(0)) + " + " + val(index.src(1)) + ");");
    for (size_t j = 0; j < 4; ++j) bind(loads[q[j]], name + "." + "xyzw"[j]);
  }
}

// Emits `r` together with its siblings: the reductions over the same loops that can be computed here
// (an upcast kernel's copies). They share one loop nest, one accumulator each.
void CStyleEmitter::emit_reduce(const UOp& r) {
  std::vector<UOp> group;
  for (const UOp& q : reduces_)
    if (q == r || (!names_.count(q.get()) && q.arg() == r.arg() && q.num_srcs() == r.num_srcs() &&
                   std::equal(q.srcs().begin() + 1, q.srcs().end(), r.srcs().begin() + 1) && in_scope(q)))
      group.push_back(q);
  std::vector<UOp> bodies;
  for (const UOp& g : group) bodies.push_back(g.src(0));
  // Hoist what the bodies compute with the loops already open (not their own, nor those of
  // reductions nested in them).
  emit_vector_loads(bodies);
  for (const UOp& g : group)
    for (const UOp& u : toposort(g.src(0)))
      if (in_scope(u)) emit(u);
  const Ops op = Ops(*r.arg().as_int());
  std::vector<std::string> accs;
  for (const UOp& g : group) {
    accs.push_back("acc" + std::to_string(counter_++));
    line(lang_.var(type_name(g.dtype()), accs.back(), reduce_identity(op, g.dtype())));
  }
  // A grouped reduction (GROUP gave its largest loop a group axis) shares that loop among the block's
  // threads, as the outermost loop.
  std::vector<UOp> loops(r.srcs().begin() + 1, r.srcs().end());
  const bool grouped = cooperative_reductions() &&
                       std::any_of(loops.begin(), loops.end(), [](const UOp& l) { return is_group_axis(axis_type(l)); });
  if (grouped)
    std::stable_sort(loops.begin(), loops.end(), [](const UOp& a, const UOp& b) { return a.src(0).ival() > b.src(0).ival(); });
  const Loop shared =
      grouped && axis_type(loops[0]) == AxisType::GroupChunked ? Loop::ChunkOfGroup : Loop::StridedOverGroup;
  for (size_t i = 0; i < loops.size(); ++i) open_loop(loops[i], grouped && i == 0 ? shared : Loop::Plain);
  emit_vector_loads(bodies);
  for (size_t i = 0; i < group.size(); ++i) {
    const UOp& x = group[i].src(0);
    const std::string& acc = accs[i];
    // A sum of products accumulates with fused multiply-adds (explicit, so every kernel that computes
    // the same value rounds it the same way).
    if (op == Ops::ADD && x.is(Ops::MUL) && x.dtype().is_float()) {
      emit(x.src(0));
      emit(x.src(1));
      line(acc + " = " + lang_.fma(x.dtype()) + "(" + val(x.src(0)) + ", " + val(x.src(1)) + ", " + acc + ");");
      continue;
    }
    emit(x);
    if (op == Ops::ADD) line(acc + " += " + val(x) + ";");
    else if (op == Ops::MUL) line(acc + " *= " + val(x) + ";");
    else line(acc + " = " + lang_.select(val(x) + " > " + acc, val(x), acc) + ";");
  }
  for (size_t i = loops.size(); i-- > 0;) close_loop(loops[i]);
  for (size_t i = 0; i < group.size(); ++i) {
    if (grouped) combine(accs[i], op, group[i].dtype());
    bind(group[i], accs[i]);
  }
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
