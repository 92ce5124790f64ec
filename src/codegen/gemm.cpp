#include "anneal/codegen/gemm.h"
#include "anneal/uop/axis.h"

#include <unordered_map>
#include <unordered_set>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/support/error.h"
#include "anneal/uop/graph.h"

namespace anneal {
namespace {

UOp strip_casts(UOp u) {
  while (u.is(Ops::CAST)) u = u.src(0);
  return u;
}

std::unordered_set<const void*> ranges_in(const UOp& u) {
  std::unordered_set<const void*> out;
  for (const UOp& x : toposort(u))
    if (x.is(Ops::RANGE)) out.insert(x.get());
  return out;
}

// Adds scale * u to (coefficients per RANGE, offset); false when u is not a sum of constant multiples
// of loops and constants.
bool collect_affine(const UOp& u, int64_t scale, std::unordered_map<const void*, int64_t>& coef, int64_t& offset) {
  switch (u.op()) {
    case Ops::CONST: offset += scale * u.ival(); return true;
    case Ops::RANGE: coef[u.get()] += scale; return true;
    case Ops::ADD: return collect_affine(u.src(0), scale, coef, offset) && collect_affine(u.src(1), scale, coef, offset);
    case Ops::MUL:
      if (u.src(1).is_const()) return collect_affine(u.src(0), scale * u.src(1).ival(), coef, offset);
      if (u.src(0).is_const()) return collect_affine(u.src(1), scale * u.src(0).ival(), coef, offset);
      return false;
    default: return false;
  }
}

GemmOperand operand(const UOp& load, const UOp& end, const std::vector<UOp>& ranges_k) {
  GemmOperand op;
  op.load = load;
  const UOp& index = load.src(0);
  op.slot = index.src(0).arg().as<ParamArg>()->slot;
  std::unordered_map<const void*, int64_t> coef;
  op.affine = index.src(1).dtype() == dtypes::weakint && collect_affine(index.src(1), 1, coef, op.offset);
  op.stride.assign(end.num_srcs() - 1, 0);
  size_t known = 0;
  for (const UOp& r : ranges_k) {
    op.strides_k.push_back(coef.count(r.get()) ? coef[r.get()] : 0);
    if (coef.count(r.get())) ++known;
  }
  op.stride_k = op.strides_k[0];
  for (size_t i = 1; i < end.num_srcs(); ++i)
    if (coef.count(end.src(i).get())) op.stride[i - 1] = coef[end.src(i).get()], ++known;
  if (known != coef.size()) op.affine = false;  // a loop that is neither k nor an output loop
  return op;
}

}  // namespace

std::optional<GemmPlan> match_gemm(const ScheduledKernel& k) {
  const UOp& end = k.ast.src(0);
  const UOp& store = end.src(0);
  if (!store.is(Ops::STORE) || store.num_srcs() != 2) return std::nullopt;  // no PADTO gate
  for (size_t i = 1; i < end.num_srcs(); ++i)
    if (!end.src(i).src(0).is_const()) return std::nullopt;  // tiles are planned for constant output sizes
  GemmPlan p;
  int reduces = 0;
  for (const UOp& u : toposort(store))
    if (u.is(Ops::REDUCE)) {
      ++reduces;
      p.reduce = u;
    }
  if (reduces != 1 || *p.reduce.arg().as_int() != int64_t(Ops::ADD) || p.reduce.num_srcs() < 2 ||
      p.reduce.dtype() != dtypes::float32)
    return std::nullopt;
  p.ranges_k.assign(p.reduce.srcs().begin() + 1, p.reduce.srcs().end());
  p.range_k = p.ranges_k[0];
  const UOp& mul = strip_casts(p.reduce.src(0));
  if (!mul.is(Ops::MUL)) return std::nullopt;
  UOp load_a = strip_casts(mul.src(0)), load_b = strip_casts(mul.src(1));
  p.bare = p.reduce.src(0).is(Ops::MUL) && mul.src(0).is(Ops::LOAD) && mul.src(1).is(Ops::LOAD);
  for (const UOp* l : {&load_a, &load_b})
    if (!l->is(Ops::LOAD) || l->num_srcs() != 1) return std::nullopt;
  p.dtype = load_a.dtype();
  if (load_b.dtype() != p.dtype) return std::nullopt;
  auto a = ranges_in(load_a.src(0)), b = ranges_in(load_b.src(0));
  if (!a.count(p.range_k.get()) || !b.count(p.range_k.get())) return std::nullopt;
  // m: read by A only, n: read by B only (others are batch loops): the innermost such loops whose
  // sizes suit a tile (a multiple of 4 rows, of 16 columns), else the innermost (a convolution's
  // weight gradient has output channels, input channels and a 5 x 5 window to choose from). The factors
  // may come in either order.
  for (int attempt = 0; attempt < 2; ++attempt) {
    int m = -1, n = -1;
    bool m_fits = false, n_fits = false;
    for (int i = 0; i + 1 < int(end.num_srcs()); ++i) {
      const UOp& r = end.src(size_t(i) + 1);
      const int64_t size = r.src(0).ival();
      if (a.count(r.get()) && !b.count(r.get()) && (!m_fits || size % 4 == 0)) m = i, m_fits = size % 4 == 0;
      if (b.count(r.get()) && !a.count(r.get()) && (!n_fits || size % 16 == 0)) n = i, n_fits = size % 16 == 0;
    }
    if (m >= 0 && n >= 0) {
      p.axis_m = m;
      p.axis_n = n;
      p.m = end.src(size_t(m) + 1).src(0).ival();
      p.n = end.src(size_t(n) + 1).src(0).ival();
      p.k = 1;
      for (const UOp& r : p.ranges_k) {
        p.k *= int64_t(r.src(0).vmax());
        p.symbolic_k |= !r.src(0).is_const();
      }
      p.a = operand(load_a, end, p.ranges_k);
      p.b = operand(load_b, end, p.ranges_k);
      return p;
    }
    std::swap(load_a, load_b);
    std::swap(a, b);
  }
  return std::nullopt;
}

Staging staging_of(const GemmOperand& op, int axis, int64_t vector) {
  Staging s;
  if (!op.affine || op.strides_k.size() != 1 || op.offset % vector != 0) return s;
  if (op.stride_k == 1) s.k_contiguous = true;
  else if (op.stride[size_t(axis)] != 1) return s;
  for (size_t i = 0; i < op.stride.size(); ++i) {
    if (!s.k_contiguous && int(i) == axis) continue;  // the contiguous axis
    if (op.stride[i] % vector != 0) return s;
  }
  if (!s.k_contiguous && op.stride_k % vector != 0) return s;
  s.ok = true;
  return s;
}

bool stage_fits(const GemmPlan& p, int64_t tile) {
  return p.dtype == dtypes::float32 && p.bare && !p.symbolic_k && (tile == 64 || tile == 128) && p.m % tile == 0 && p.n % tile == 0 &&
         p.k % 8 == 0 && staging_of(p.a, p.axis_m, 4).ok && staging_of(p.b, p.axis_n, 4).ok;
}

int64_t simd_rows(int64_t m) {
  for (int64_t rows : {8, 6, 5, 4})
    if (m % rows == 0) return rows;
  return 0;
}

bool simd_fits(const GemmPlan& p, int64_t cols) {
  return p.dtype == dtypes::float32 && p.bare && (cols == 16 || cols == 32) && simd_rows(p.m) > 0 &&
         p.n % cols == 0 && p.a.affine && p.b.affine;
}

namespace {

void append_operand(std::vector<int64_t>& w, const GemmOperand& op) {
  w.insert(w.end(), {op.slot, op.affine, op.offset, op.stride_k, int64_t(op.strides_k.size())});
  w.insert(w.end(), op.strides_k.begin(), op.strides_k.end());
  w.push_back(int64_t(op.stride.size()));
  w.insert(w.end(), op.stride.begin(), op.stride.end());
}

const char* form_name(GemmForm f) {
  switch (f) {
    case GemmForm::SimdTile: return "simd";
    case GemmForm::StagedTile: return "stage";
    case GemmForm::MmaDirect: return "mma";
    case GemmForm::MmaStaged: return "mma-staged";
    case GemmForm::Warpgroup: return "wgmma";
  }
  return "?";
}

}  // namespace

std::vector<int64_t> GemmArg::words() const {
  std::vector<int64_t> w{int64_t(form), tile, tiles_m, tiles_n, plan.axis_m, plan.axis_n, plan.m, plan.n, plan.k,
                         int64_t(plan.dtype.scalar()), plan.bare, plan.symbolic_k};
  append_operand(w, plan.a);
  append_operand(w, plan.b);
  return w;
}

bool GemmArg::equals(const ArgObject& other) const {
  const auto* o = dynamic_cast<const GemmArg*>(&other);
  return o && words() == o->words();
}

void GemmArg::hash(Hasher& h) const {
  h.bytes("GemmArg");
  for (int64_t v : words()) h.word(uint64_t(v));
}

std::string GemmArg::str() const {
  return std::string(form_name(form)) + " " + std::to_string(tile) + " m" + std::to_string(plan.m) + " n" +
         std::to_string(plan.n) + " k" + std::to_string(plan.k);
}

UOp claim_gemm(const UOp& ast, const GemmPlan& plan, GemmForm form, int64_t tile, int tiles_m, int tiles_n) {
  auto arg = std::make_shared<GemmArg>();
  arg->form = form;
  arg->tile = tile;
  arg->tiles_m = tiles_m;
  arg->tiles_n = tiles_n;
  arg->plan = plan;
  arg->plan.reduce = arg->plan.range_k = arg->plan.a.load = arg->plan.b.load = UOp();
  arg->plan.ranges_k.clear();
  std::vector<UOp> srcs{plan.a.load, plan.b.load};
  srcs.insert(srcs.end(), plan.ranges_k.begin(), plan.ranges_k.end());
  const UOp wmma = UOp::make(Ops::WMMA, plan.reduce.dtype(), srcs, Arg(Arg::Object(std::move(arg))));
  return substitute(ast, {{plan.reduce, wmma}});
}

UOp find_wmma(const UOp& ast) {
  for (const UOp& u : toposort(ast))
    if (u.is(Ops::WMMA)) return u;
  return UOp();
}

GemmPlan gemm_plan(const UOp& wmma) {
  const GemmArg* arg = wmma.arg().as<GemmArg>();
  check(arg != nullptr && wmma.num_srcs() >= 3, "gemm_plan: not a claimed matmul's WMMA node");
  GemmPlan p = arg->plan;
  p.reduce = wmma;
  p.a.load = wmma.src(0);
  p.b.load = wmma.src(1);
  p.ranges_k.assign(wmma.srcs().begin() + 2, wmma.srcs().end());
  p.range_k = p.ranges_k[0];
  return p;
}

}  // namespace anneal
