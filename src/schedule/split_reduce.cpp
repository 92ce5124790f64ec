#include "split_reduce.h"

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/uop/shape.h"

namespace anneal {
namespace {

// Below this many outputs the CUDA renderer already spreads each output's reduction over a block.
constexpr int64_t kFewOutputs = 8192;
// A split pays when each output sums at least this many values...
constexpr int64_t kLongReduction = 2048;
// ...and aims for this many partial sums (enough threads for tiles on every SM), each at least
// kMinInner values long, with at most kMaxSplit partials per output.
constexpr int64_t kTargetPartials = int64_t(1) << 22, kMinInner = 1024, kMaxSplit = 64;

// The REDUCE's two stages, or a null UOp when it should stay one.
UOp split(const UOp& r) {
  const std::vector<int64_t>& arg = *r.arg().as_tuple();
  if (Ops(arg[0]) != Ops::ADD) return UOp();
  const UOp& x = r.src(0);
  const Shape& in = shape_of(x);
  if (is_symbolic(in)) return UOp();  // a symbolic length: one stage for every value
  const int64_t outputs = numel(shape_of(r)), per_output = numel(in) / std::max<int64_t>(1, outputs);
  if (outputs <= kFewOutputs || per_output < kLongReduction) return UOp();
  int64_t want = 1;
  while (want < kMaxSplit && outputs * want < kTargetPartials) want *= 2;
  // Split the first reduced axis into (s outer, n/s inner): s the largest power of two up to `want`
  // that divides it and leaves every partial sum long enough.
  const size_t a0 = size_t(arg[1]);
  const int64_t n0 = in[a0];
  int64_t s = want;
  while (s > 1 && (n0 % s != 0 || per_output / s < kMinInner)) s /= 2;
  if (s == 1) return UOp();
  Shape split_in(in.begin(), in.begin() + std::ptrdiff_t(a0));
  split_in.push_back(s);
  split_in.push_back(n0 / s);
  split_in.insert(split_in.end(), in.begin() + std::ptrdiff_t(a0) + 1, in.end());
  std::vector<int64_t> first{int64_t(Ops::ADD), int64_t(a0) + 1};
  for (size_t i = 2; i < arg.size(); ++i) first.push_back(arg[i] + 1);
  const UOp partial = UOp::make(Ops::REDUCE, r.dtype(), {x.view_as(split_in)}, Arg(Arg::Tuple(std::move(first))));
  Shape partial_shape = shape_of(r);  // the result's shape with s partials along the split axis
  partial_shape[a0] = s;
  const UOp stored = UOp::make(Ops::CONTIGUOUS, r.dtype(), {partial.view_as(partial_shape)});
  return UOp::make(Ops::REDUCE, r.dtype(), {stored}, Arg(Arg::Tuple({int64_t(Ops::ADD), int64_t(a0)})));
}

}  // namespace

bool split_long_reductions(std::vector<UOp>& outputs, const std::vector<UOp>& order,
                           const std::unordered_map<const void*, const std::string*>& device_of,
                           const std::string& default_device) {
  std::unordered_map<UOp, UOp> replace;
  for (const UOp& u : order) {
    if (!u.is(Ops::REDUCE)) continue;
    const std::string* d = device_of.at(u.get());
    if ((d ? *d : default_device) == "CPU") continue;
    if (UOp two = split(u)) replace.emplace(u, two);
  }
  if (replace.empty()) return false;
  const UOp sink = substitute(UOp::make(Ops::SINK, dtypes::void_, outputs), replace);
  outputs.assign(sink.srcs().begin(), sink.srcs().end());
  return true;
}

}  // namespace anneal
