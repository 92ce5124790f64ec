// How a loop of a kernel runs. The kernel optimizer's decisions about a loop are not flags beside the
// kernel: they are the loop's axis type, carried by its RANGE node, so the kernel AST alone says how it
// is to be rendered and every pass that rebuilds the kernel keeps them.
//
//   Loop          an ordinary loop (output loops: one GPU thread per iteration; reductions: sequential)
//   Local         an output loop whose iterations a GPU block shares: `amount` threads along it, the
//                 block index walking tiles of that many (LOCAL)
//   Thread        the output loop split across at most `amount` CPU cores, instead of the outermost (THREAD)
//   Unroll        a reduction loop the compiler unrolls by `amount`, keeping the order of the sums (UNROLL)
//   GroupStrided  a reduction loop shared by the `amount` threads of a block, thread i taking iterations
//                 i, i + amount, ...; the partial results combine through shared memory (GROUP)
//   GroupChunked  the same, thread i taking the i-th contiguous chunk (GROUPTOP)
//
// A plain loop's RANGE has its id as arg (the form the scheduler creates); any other loop's arg is the
// tuple (id, type, amount). The id names the loop in generated code (r<id>) and stays when the type
// changes.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "anneal/uop/uop.h"

namespace anneal {

enum class AxisType : uint8_t { Loop, Local, Thread, Unroll, GroupStrided, GroupChunked };

std::string_view axis_type_name(AxisType t);  // "loop", "local", ...

struct RangeInfo {
  int64_t id = 0;
  AxisType type = AxisType::Loop;
  int64_t amount = 0;  // threads, cores or unroll factor; 0 for a plain loop
};

// A RANGE over [0, size) (an index-typed loop). The end may be symbolic (an expression over
// variables, which kernels take as arguments).
UOp make_range(int64_t size, int64_t id, AxisType type = AxisType::Loop, int64_t amount = 0);
UOp make_range(const UOp& end, int64_t id, AxisType type = AxisType::Loop, int64_t amount = 0);
// The loop's trip count when it is a constant; none for a symbolic loop (opts leave those alone).
std::optional<int64_t> const_range_size(const UOp& range);
// Whether any loop of `ast` runs a symbolic number of times.
bool has_symbolic_loop(const UOp& ast);
// The same loop (size, id) with another axis type.
UOp with_axis(const UOp& range, AxisType type, int64_t amount);
RangeInfo range_info(const UOp& range);
inline int64_t range_id(const UOp& range) { return range_info(range).id; }
inline AxisType axis_type(const UOp& range) { return range_info(range).type; }
inline bool is_group_axis(AxisType t) { return t == AxisType::GroupStrided || t == AxisType::GroupChunked; }

}  // namespace anneal
