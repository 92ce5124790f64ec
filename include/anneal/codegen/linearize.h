// The linearised program: a kernel as the statements a renderer prints, in the order they run. The
// passes here make every decision explicit that the kernel AST leaves open, so that a renderer only
// spells (render/c_style.h):
//
//   lower_gpu_dims  (GPU)  output loops become index expressions over SPECIAL thread and block indices;
//                          the launch shape (threads per block, blocks) is chosen
//   linearize              loop-invariant values are hoisted above the loops that do not need them;
//                          reductions become accumulators (DEFINE_REG) updated in their loops (fused
//                          multiply-adds for sums of products), sibling reductions over the same
//                          loops share one nest; a group axis's partial sums combine through a
//                          block-shared array (DEFINE_LOCAL, BARRIER); four neighbouring aligned
//                          loads or stores become one vector access where the target has them
//
// The program is a LINEAR node whose sources are its statements:
//   SPECIAL       a GPU index named by its arg: "gid" (this thread's output; threads past src 0, the
//                 output count, return at once), "bid" (the block), "lid" (the thread in its block)
//   RANGE / END   a loop opens / closes. The axis type says how it is walked (uop/axis.h): Thread
//                 splits it across CPU cores, GroupStrided / GroupChunked share it among the threads
//                 of a block (src 1 is the thread's lane), Unroll asks the compiler to unroll it
//   IF / ENDIF    statements under a condition (src 0)
//   DEFINE_REG    an accumulator, src 0 its initial value
//   DEFINE_LOCAL  a block-shared array of src 0 elements, named by its arg
//   BARRIER       every thread of the block waits here
//   STORE         src 1 into src 0: an INDEX of a buffer (src 2 a gate; a STACK of four values is one
//                 vector store) or an accumulator
//   LOAD arg 4    a 4-wide vector load; its lanes are GETTUPLE(load, lane)
//   anything else a value computed into a local
// Operands that are not statements are spelled inline: CONST, PARAM, INDEX, DEFINE_REG (its current
// value), AFTER (src 0, once the statements it names ran), GETTUPLE and the accumulator updates.
#pragma once
#include <cstdint>

#include "anneal/codegen/target.h"
#include "anneal/schedule/schedule.h"

namespace anneal {

struct LinearKernel {
  UOp program;          // LINEAR
  int64_t threads = 1;  // per block (GPU targets)
  int64_t blocks = 1;   // in the grid
};

// `k` must not claim a matmul form (codegen/gemm.h): those are rendered from their plan.
LinearKernel linearize(const ScheduledKernel& k, const Target& target);

}  // namespace anneal
