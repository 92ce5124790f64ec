#include "anneal/tensor/gradient.h"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "anneal/rewrite/pass_trace.h"
#include "anneal/tensor/tensor.h"
#include "anneal/uop/graph.h"
#include "tensor_internal.h"

namespace anneal {
namespace {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kPi = 3.14159265358979323846;

using P = UPat;
Tensor T(const UOp& u) { return Tensor(u); }
UOp none() { return UOp::make(Ops::NOOP, dtypes::void_); }
UOp grads(std::initializer_list<UOp> gs) {
  std::vector<UOp> v;
  for (const UOp& g : gs) v.push_back(g ? g : none());
  return UOp::make(Ops::TUPLE, dtypes::void_, v);
}
Tensor G(const Match& m) { return T(m.ctx<UOp>()); }
// The matched node (every rule's pattern names it "x") and its i-th source.
UOp x(const Match& m) { return m["x"]; }
Tensor src(const Match& m, size_t i) { return T(m["x"].src(i)); }
const Arg::Tuple& targ(const UOp& u) { return *u.arg().as_tuple(); }

// The gradient of WINDOW(axis, k, s, d) (Tensor::windows) for input shape `in`: window element j of
// position o read x[o s + j d], so x's gradient is the sum over j of g[..., j] spread to those places —
// k shifted (and for s > 1 dilated) pads, each a gated read of g with plain index math.
Tensor window_gradient(const Tensor& g, const Shape& in, const Arg::Tuple& p) {
  const size_t axis = size_t(p[0]);
  const int64_t k = p[1], s = p[2], d = p[3], i = in[axis];
  const Shape& out = g.shape();
  const int64_t o = out[axis], span = (o - 1) * s + 1;
  // Each term keeps the (size 1) window axis until the end: the final reshape then sees indices in
  // range and lowers to nothing, while the pad's shift and gate stay next to the read of g.
  auto full = [](const Shape& shape) {
    std::vector<std::pair<Dim, Dim>> r;
    for (int64_t n : shape) r.push_back({0, n});
    return r;
  };
  Shape term = out;
  term.back() = 1;
  Tensor sum;
  for (int64_t j = 0; j < k; ++j) {
    std::vector<std::pair<Dim, Dim>> pick = full(out);
    pick.back() = {j, j + 1};
    Tensor t = g.shrink(pick);
    if (s > 1) {  // o values s apart: (o, 1) padded to (o, s), flattened, cut after the last value
      Shape split = term;
      split.insert(split.begin() + std::ptrdiff_t(axis) + 1, 1);
      std::vector<std::pair<Dim, Dim>> gap(split.size(), {0, 0});
      gap[axis + 1] = {0, s - 1};
      Shape spread = term;
      spread[axis] = o * s;
      std::vector<std::pair<Dim, Dim>> cut = full(spread);
      cut[axis] = {0, span};
      t = t.reshape(split).pad(gap).reshape(spread).shrink(cut);
    }
    std::vector<std::pair<Dim, Dim>> place(term.size(), {0, 0});
    place[axis] = {j * d, i - j * d - span};
    t = t.pad(place);
    sum = j == 0 ? t : sum + t;
  }
  return sum.reshape(in);
}

PatternMatcher build_rules() {
  PatternMatcher pm;
  const P any = P::any();
  auto op = [&](Ops o, size_t n) { return P::op({o}, std::vector<P>(n, any)).named("x"); };

  // ---- elementwise ----
  pm.add(op(Ops::ADD, 2), [](const Match& m) { return grads({m.ctx<UOp>(), m.ctx<UOp>()}); }, "d(a+b) = (g, g)");
  pm.add(op(Ops::MUL, 2), [](const Match& m) {
    return grads({(G(m) * src(m, 1)).uop(), (G(m) * src(m, 0)).uop()});
  }, "d(a*b) = (g*b, g*a)");
  pm.add(op(Ops::MAX, 2), [](const Match& m) {
    // Ties split the gradient evenly.
    const Tensor a = src(m, 0), b = src(m, 1);
    const Tensor share = a.gt(b).where(a.scalar_like(1.0), a.eq(b).where(a.scalar_like(0.5), a.scalar_like(0.0)));
    return grads({(G(m) * share).uop(), (G(m) * (1.0 - share)).uop()});
  }, "d max(a,b): to the larger, split on ties");
  pm.add(op(Ops::WHERE, 3), [](const Match& m) {
    const Tensor c = src(m, 0), g = G(m), zero = g.scalar_like(0.0);
    return grads({UOp(), c.where(g, zero).uop(), c.where(zero, g).uop()});
  }, "d where(c,a,b) = (-, c?g:0, c?0:g)");
  for (Ops cmp : {Ops::CMPLT, Ops::CMPNE, Ops::CMPEQ})
    pm.add(op(cmp, 2), [](const Match&) { return grads({UOp(), UOp()}); }, "comparisons have no gradient");
  pm.add(op(Ops::EXP2, 1), [](const Match& m) { return grads({(G(m) * T(x(m)) * kLn2).uop()}); }, "d exp2(x) = g*exp2(x)*ln2");
  pm.add(op(Ops::LOG2, 1), [](const Match& m) { return grads({(G(m) / (src(m, 0) * kLn2)).uop()}); }, "d log2(x) = g/(x ln2)");
  pm.add(op(Ops::SIN, 1), [](const Match& m) { return grads({(G(m) * (kPi / 2 - src(m, 0)).sin()).uop()}); },
         "d sin(x) = g*cos(x)");
  pm.add(op(Ops::SQRT, 1), [](const Match& m) { return grads({(G(m) / (T(x(m)) * 2.0)).uop()}); }, "d sqrt(x) = g/(2 sqrt(x))");
  pm.add(op(Ops::RECIPROCAL, 1), [](const Match& m) { return grads({(-G(m) * T(x(m)) * T(x(m))).uop()}); },
         "d (1/x) = -g/x^2");
  pm.add(op(Ops::POW, 2), [](const Match& m) {
    const Tensor a = src(m, 0), b = src(m, 1), out = T(x(m)), g = G(m);
    const Tensor da = g * b * a.pow(b - 1.0);
    const Tensor db = a.gt(a.scalar_like(0.0)).where(g * out * a.log(), g.scalar_like(0.0));
    return grads({da.uop(), db.uop()});
  }, "d a^b = (g*b*a^(b-1), g*a^b*log a)");
  pm.add(op(Ops::CAST, 1), [](const Match& m) {
    const DType from = m["x"].src(0).dtype();
    return grads({from.is_float() ? G(m).cast(from).uop() : UOp()});
  }, "d cast = cast back (floats only)");
  pm.add(op(Ops::CONTIGUOUS, 1), [](const Match& m) { return grads({m.ctx<UOp>()}); }, "d contiguous = g");
  pm.add(op(Ops::DETACH, 1), [](const Match&) { return grads({UOp()}); }, "detach stops the gradient");

  // ---- movement: the inverse movement ----
  pm.add(op(Ops::RESHAPE, 1), [](const Match& m) { return grads({G(m).reshape(shape_of(m["x"].src(0))).uop()}); },
         "d reshape = reshape back");
  pm.add(op(Ops::EXPAND, 1), [](const Match& m) {
    const Shape& in = shape_of(m["x"].src(0));
    const Shape& out = shape_of(m["x"]);
    std::vector<int64_t> axes;
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i] == 1 && out[i] != 1) axes.push_back(int64_t(i));
    return grads({G(m).sum(axes, true).uop()});
  }, "d expand = sum over the expanded axes");
  pm.add(op(Ops::PERMUTE, 1), [](const Match& m) {
    const auto& order = targ(m["x"]);
    std::vector<int64_t> inverse(order.size());
    for (size_t i = 0; i < order.size(); ++i) inverse[size_t(order[i])] = int64_t(i);
    return grads({G(m).permute(inverse).uop()});
  }, "d permute = inverse permute");
  pm.add(op(Ops::PAD, 1), [](const Match& m) {
    const std::vector<Dim> p = movement_dims(m["x"]);
    const Shape& in = shape_of(m["x"].src(0));
    std::vector<std::pair<Dim, Dim>> keep;
    for (size_t i = 0; i < in.size(); ++i) keep.push_back({p[2 * i], p[2 * i] + in[i]});
    return grads({G(m).shrink(keep).uop()});
  }, "d pad = shrink");
  pm.add(op(Ops::SHRINK, 1), [](const Match& m) {
    const std::vector<Dim> p = movement_dims(m["x"]);
    const Shape& in = shape_of(m["x"].src(0));
    std::vector<std::pair<Dim, Dim>> padding;
    for (size_t i = 0; i < in.size(); ++i) padding.push_back({p[2 * i], in[i] - p[2 * i + 1]});
    return grads({G(m).pad(padding).uop()});
  }, "d shrink = pad");
  pm.add(op(Ops::WINDOW, 1), [](const Match& m) {
    return grads({window_gradient(G(m), shape_of(m["x"].src(0)), targ(m["x"])).uop()});
  }, "d window = the sum of its elements' gradients, each padded back into place");
  pm.add(op(Ops::FLIP, 1), [](const Match& m) {
    std::vector<int64_t> axes;
    const auto& flags = targ(m["x"]);
    for (size_t i = 0; i < flags.size(); ++i)
      if (flags[i]) axes.push_back(int64_t(i));
    return grads({G(m).flip(axes).uop()});
  }, "d flip = flip");

  // ---- reductions ----
  pm.add(op(Ops::REDUCE, 1), [](const Match& m) {
    const Shape& in = shape_of(m["x"].src(0));
    const Ops rop = Ops(targ(m["x"])[0]);
    const Tensor g = G(m).expand(in);
    if (rop == Ops::ADD) return grads({g.uop()});
    if (rop != Ops::MAX) throw Error("gradient: no rule for REDUCE " + std::string(op_name(rop)));
    // The maximum's gradient goes to the positions equal to it, shared among ties.
    std::vector<int64_t> axes(targ(m["x"]).begin() + 1, targ(m["x"]).end());
    const Tensor is_max = src(m, 0).eq(T(m["x"]).expand(in)).cast(g.dtype());
    return grads({(g * is_max / is_max.sum(axes, true).expand(in)).uop()});
  }, "d sum = broadcast; d max = broadcast to the maxima");
  return pm;
}

}  // namespace

const PatternMatcher& gradient_rules() {
  static const PatternMatcher pm = build_rules();
  return pm;
}

std::vector<UOp> compute_gradient(const UOp& root, const UOp& root_grad, const std::vector<UOp>& targets) {
  PassScope stage("autodiff");
  stage.input(root);
  std::vector<uint64_t> fired(stage.recording() ? gradient_rules().size() : 0);
  const std::vector<UOp> order = toposort(root);
  std::unordered_set<const void*> wanted;
  for (const UOp& t : targets) wanted.insert(t.get());
  // Nodes through which a target is reached; DETACH blocks the way.
  std::unordered_set<const void*> on_path;
  for (const UOp& u : order) {
    bool p = wanted.count(u.get()) > 0;
    if (!u.is(Ops::DETACH))
      for (const UOp& s : u.srcs()) p |= on_path.count(s.get()) > 0;
    if (p) on_path.insert(u.get());
  }
  std::unordered_map<const void*, UOp> grad{{root.get(), root_grad}};
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const UOp& u = *it;
    auto g = grad.find(u.get());
    if (g == grad.end() || !on_path.count(u.get()) || u.num_srcs() == 0) continue;
    UOp gout = g->second;
    size_t which = 0;
    const UOp rule = gradient_rules().rewrite(u, &gout, &which);
    check(bool(rule), [&] { return "gradient: no rule for " + std::string(op_name(u.op())); });
    if (!fired.empty()) ++fired[which];
    for (size_t i = 0; i < u.num_srcs(); ++i) {
      const UOp& s = u.src(i);
      const UOp& gi = rule.src(i);
      if (gi.is(Ops::NOOP) || !on_path.count(s.get())) continue;
      check(shape_of(gi) == shape_of(s), [&] {
        return "gradient: rule for " + std::string(op_name(u.op())) + " gave shape " + shape_str(shape_of(gi)) +
               " for a source of shape " + shape_str(shape_of(s));
      });
      auto [acc, fresh] = grad.emplace(s.get(), gi);
      if (!fresh) acc->second = acc->second.alu(Ops::ADD, gi);  // several consumers: gradients add up
    }
  }
  std::vector<UOp> out;
  for (const UOp& t : targets) {
    auto g = grad.find(t.get());
    out.push_back(g != grad.end() ? g->second : broadcast_const(t.dtype(), 0.0, shape_of(t)));
  }
  if (stage.recording()) {  // the graph after: the loss with its gradients
    for (size_t i = 0; i < fired.size(); ++i)
      if (fired[i]) stage.rule_fired(gradient_rules().rule(i).name, fired[i]);
    std::vector<UOp> all{root};
    all.insert(all.end(), out.begin(), out.end());
    stage.count("gradients", out.size());
    stage.result(UOp::make(Ops::SINK, dtypes::void_, all));
  }
  return out;
}

}  // namespace anneal
