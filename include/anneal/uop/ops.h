// Ops: every operation of every IR level, in one enum.
//
// The order is meaningful: it is the first key of the canonical operand order (commutative
// operands, linearizer tie-breaks), so constants sort after everything else.
#pragma once
#include <bitset>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace anneal {

// Each op with the IR levels it appears at and a one-line description (what `anneal explain`, the
// visualizer and the traces show). Levels: T = tensor graph, K = kernel AST after scheduling, P =
// linearised program; "" = reserved: kept for the reference's numbering and matched by some rules, but
// nothing in anneal builds it yet.
#define ANNEAL_OPS(X)                                                                                                \
  /* defines */                                                                                                      \
  X(SPECIAL, "KP", "a GPU index (thread, block, lane) named by its arg; src 0 bounds it")                            \
  X(DEFINE_REG, "P", "an accumulator register of a reduction; src 0 is its initial value")                           \
  X(DEFINE_LOCAL, "P", "a block-shared array of src 0 elements (GPU group reductions)")                              \
  X(BUFFER, "T", "device memory of `size` elements: a tensor's data, or a value the scheduler realized")             \
  /* structure */                                                                                                    \
  X(NOOP, "T", "\"no gradient\" for a source, in the TUPLE a gradient rule returns")                                 \
  X(REWRITE_ERROR, "", "reserved: a rewrite that failed (the reference's; anneal raises anneal::Error instead)")     \
  X(PARAM, "TKP", "a named variable (a symbolic size or index) or a kernel's buffer argument (slot in its arg)")     \
  X(BIND, "T", "a variable bound to a value (src 0 the variable, src 1 the value); the scheduler unbinds it")        \
  X(FUNCTION, "", "reserved: a function body (the reference's callify)")                                             \
  X(CALL, "", "reserved: a call of a FUNCTION (the reference's callify)")                                            \
  X(PROGRAM, "", "reserved: a compiled program (the reference's)")                                                   \
  X(LINEAR, "P", "a kernel as its statements in execution order (the linearizer's output)")                          \
  X(SOURCE, "", "reserved: rendered source code (the reference's)")                                                  \
  X(BINARY, "", "reserved: a compiled binary (the reference's)")                                                     \
  X(SINK, "TKP", "the root that holds several values: a graph's outputs, a kernel's END")                            \
  X(AFTER, "P", "src 0 once the statements named by its other srcs ran (an accumulator read after its loop)")        \
  X(GROUP, "K", "several STOREs of one loop nest (an upcast kernel's copies)")                                       \
  X(STACK, "P", "four values packed into one vector (a 4-wide store)")                                               \
  X(TUPLE, "T", "several values as one node: a gradient rule's gradient for each source")                            \
  X(GETTUPLE, "P", "lane `arg` of a vector value (a 4-wide load)")                                                   \
  /* memory */                                                                                                       \
  X(INDEX, "KP", "the address of element src 1 of buffer src 0")                                                     \
  X(SHRINK, "T", "a view of the [start, end) range of each axis")                                                    \
  X(LOAD, "KP", "reads an INDEX; with a gate, the alternative value where the gate is false")                        \
  X(STORE, "KP", "writes src 1 to the INDEX src 0 (src 2 gates it)")                                                 \
  /* tensor core */                                                                                                  \
  X(WMMA, "K", "a claimed matmul: its sum as one tile operation (SIMD on CPUs, STAGE and TC on GPUs)")               \
  /* unary */                                                                                                        \
  X(CAST, "TKP", "converts the value to the node's dtype")                                                           \
  X(BITCAST, "", "reserved: reinterprets the bits as the node's dtype (symbolic rules fold constants)")              \
  X(EXP2, "TKP", "2 to the power x; exp(x) is exp2(x / ln 2)")                                                       \
  X(LOG2, "TKP", "the base-2 logarithm; log(x) is log2(x) * ln 2")                                                   \
  X(SIN, "TKP", "the sine; cos(x) is sin(pi/2 - x)")                                                                 \
  X(SQRT, "TKP", "the square root")                                                                                  \
  X(RECIPROCAL, "TKP", "1 / x; a / b is a * (1 / b)")                                                                \
  X(NEG, "KP", "-x (the tensor layer writes x * -1)")                                                                \
  X(TRUNC, "KP", "rounds toward zero")                                                                               \
  /* binary */                                                                                                       \
  X(ADD, "TKP", "a + b; a - b is a + b * -1")                                                                        \
  X(MUL, "TKP", "a * b")                                                                                             \
  X(SHL, "KP", "a << b")                                                                                             \
  X(SHR, "KP", "a >> b")                                                                                             \
  X(CDIV, "KP", "integer division truncating toward zero (C's /)")                                                   \
  X(MAX, "TKP", "the larger of a and b; relu(x) is max(x, 0)")                                                       \
  X(CMOD, "KP", "the remainder of CDIV (C's %: the sign of a)")                                                      \
  X(CMPLT, "TKP", "a < b, a bool")                                                                                   \
  X(CMPNE, "TKP", "a != b, a bool; not x is x != True")                                                              \
  X(CMPEQ, "KP", "a == b, a bool (the tensor layer writes not(a != b))")                                             \
  X(XOR, "TKP", "a ^ b, bitwise; logical_not of a bool tensor is x ^ True")                                          \
  X(OR, "KP", "a | b, bitwise; or of bools")                                                                         \
  X(AND, "KP", "a & b, bitwise; and of bools (validity clauses)")                                                    \
  X(THREEFRY, "", "reserved: the Threefry-2x32 hash (anneal draws random numbers on the host)")                      \
  X(SUB, "KP", "a - b")                                                                                              \
  X(FDIV, "", "reserved: float division (anneal multiplies by the reciprocal)")                                      \
  X(POW, "TKP", "a to the power b")                                                                                  \
  X(FLOORDIV, "KP", "a // b rounding toward minus infinity (index math)")                                            \
  X(FLOORMOD, "KP", "a % b with the sign of b (index math)")                                                         \
  /* ternary */                                                                                                      \
  X(WHERE, "TKP", "src 1 where the bool src 0 holds, else src 2")                                                    \
  X(MULACC, "P", "a * b + c: one step of a sum of products")                                                         \
  /* control */                                                                                                      \
  X(BARRIER, "P", "every thread of a GPU block waits here")                                                          \
  X(RANGE, "KP", "a loop variable over [0, src 0); its arg numbers the loop and gives its axis type")                \
  X(IF, "P", "the statements up to ENDIF run only where src 0 holds")                                                \
  X(END, "KP", "closes loops: END(body, loops...) in a kernel AST, END(RANGE) in a program")                         \
  X(ENDIF, "P", "closes an IF")                                                                                      \
  /* leaves */                                                                                                       \
  X(CONST, "TKP", "a constant scalar (tensor constants are broadcast by RESHAPE and EXPAND)")                        \
  X(CUSTOM, "", "reserved: a statement of custom source (the reference's)")                                          \
  X(CUSTOMI, "", "reserved: an inline expression of custom source (the reference's)")                                \
  /* scheduler only */                                                                                               \
  X(CONTIGUOUS, "T", "the same value, realized in its own buffer (a schedule boundary)")                             \
  X(CONTIGUOUS_BACKWARD, "", "reserved: contiguous for the gradient only (the reference's)")                         \
  X(DETACH, "T", "the same value, through which no gradient flows")                                                  \
  X(STAGE, "", "reserved: a staged value (the reference's)")                                                         \
  X(COPY, "", "reserved: a copy between devices (anneal copies buffers on the host: Tensor::to)")                    \
  X(RESHAPE, "T", "a view with another shape of the same elements in row-major order")                               \
  X(PERMUTE, "T", "a view with the axes reordered (arg: the source axis of each output axis)")                       \
  X(EXPAND, "T", "a view that repeats size-1 axes to a larger size (broadcasting)")                                  \
  X(PAD, "T", "a view with (before, after) elements added on each axis, 0 there")                                    \
  X(FLIP, "T", "a view with the flagged axes reversed")                                                              \
  X(REDUCE, "TK", "a sum or max (arg: op, axes...) over axes, kept as size 1; in kernels, over RANGEs")              \
  X(WINDOW, "T", "sliding windows: the axis becomes the positions, a new last axis their elements (axis, k, s, d)")  \
  X(ARANGE, "T", "0, 1, ..., n-1 (arg n): the loop index in a kernel, no memory")

enum class Ops : uint8_t {
#define ANNEAL_OP_ENUM(name, levels, description) name,
  ANNEAL_OPS(ANNEAL_OP_ENUM)
#undef ANNEAL_OP_ENUM
};

#define ANNEAL_OP_COUNT(name, levels, description) +1
inline constexpr int kNumOps = 0 ANNEAL_OPS(ANNEAL_OP_COUNT);
#undef ANNEAL_OP_COUNT

std::string_view op_name(Ops op);
// The one-line description given at the op's definition above.
std::string_view op_description(Ops op);
// The IR levels the op appears at ("T", "K", "P" in that order; "" for a reserved op).
std::string_view op_levels(Ops op);

// A set of ops, used by patterns and by the op groups below.
class OpSet {
 public:
  OpSet() = default;
  OpSet(std::initializer_list<Ops> ops) {
    for (Ops o : ops) bits_.set(size_t(o));
  }
  bool contains(Ops o) const { return bits_.test(size_t(o)); }
  bool empty() const { return bits_.none(); }
  OpSet operator|(const OpSet& o) const { return OpSet(bits_ | o.bits_); }
  OpSet operator-(const OpSet& o) const { return OpSet(bits_ & ~o.bits_); }
  template <class F>
  void for_each(F&& f) const {
    for (int i = 0; i < kNumOps; ++i)
      if (bits_.test(size_t(i))) f(Ops(i));
  }

 private:
  explicit OpSet(std::bitset<kNumOps> b) : bits_(b) {}
  std::bitset<kNumOps> bits_;
};

namespace groups {
const OpSet& unary();
const OpSet& binary();
const OpSet& ternary();
const OpSet& alu();          // unary | binary | ternary
const OpSet& elementwise();  // alu | CAST | BITCAST
const OpSet& movement();
const OpSet& commutative();
const OpSet& associative();
const OpSet& idempotent();
const OpSet& comparison();
const OpSet& irreducible();  // leaves of index math: CONST, SPECIAL, RANGE, PARAM
}  // namespace groups

inline bool is_alu(Ops op) { return groups::alu().contains(op); }
inline bool is_binary(Ops op) { return groups::binary().contains(op); }
inline bool is_commutative(Ops op) { return groups::commutative().contains(op); }
inline bool is_comparison(Ops op) { return groups::comparison().contains(op); }

}  // namespace anneal
