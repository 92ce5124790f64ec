#include "anneal/uop/axis.h"

#include "anneal/support/error.h"
#include "anneal/uop/graph.h"

namespace anneal {

std::string_view axis_type_name(AxisType t) {
  switch (t) {
    case AxisType::Loop: return "loop";
    case AxisType::Local: return "local";
    case AxisType::Thread: return "thread";
    case AxisType::Unroll: return "unroll";
    case AxisType::GroupStrided: return "group";
    case AxisType::GroupChunked: return "grouptop";
  }
  return "?";
}

UOp make_range(int64_t size, int64_t id, AxisType type, int64_t amount) {
  return make_range(UOp::int_const(size), id, type, amount);
}

UOp make_range(const UOp& end, int64_t id, AxisType type, int64_t amount) {
  const Arg arg = type == AxisType::Loop ? Arg(id) : Arg(Arg::Tuple{id, int64_t(type), amount});
  return UOp::make(Ops::RANGE, dtypes::weakint, {end}, arg);
}

UOp with_axis(const UOp& range, AxisType type, int64_t amount) {
  return make_range(range.src(0), range_id(range), type, amount);
}

std::optional<int64_t> const_range_size(const UOp& range) {
  if (range.src(0).is_const()) return range.src(0).ival();
  return std::nullopt;
}

bool has_symbolic_loop(const UOp& ast) {
  for (const UOp& u : toposort(ast))
    if (u.is(Ops::RANGE) && !u.src(0).is_const()) return true;
  return false;
}

RangeInfo range_info(const UOp& range) {
  check(range.is(Ops::RANGE), "range_info: not a RANGE");
  if (const int64_t* id = range.arg().as_int()) return {*id, AxisType::Loop, 0};
  const Arg::Tuple* t = range.arg().as_tuple();
  check(t && t->size() == 3 && (*t)[1] >= 0 && (*t)[1] <= int64_t(AxisType::GroupChunked),
        "range_info: a RANGE's arg must be its id or (id, axis type, amount)");
  return {(*t)[0], AxisType((*t)[1]), (*t)[2]};
}

}  // namespace anneal
