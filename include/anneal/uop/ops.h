// Ops: every operation of every IR level, in one enum.
//
// Levels: T = tensor graph, K = kernel AST after scheduling, P = linearised program.
// The order is meaningful: it is the first key of the canonical operand order (commutative
// operands, linearizer tie-breaks), so constants sort after everything else.
#pragma once
#include <bitset>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace anneal {

#define ANNEAL_OPS(X)                                                                                         \
  /* defines */ X(SPECIAL) X(DEFINE_REG) X(DEFINE_LOCAL) X(BUFFER)                                            \
  /* structure */ X(NOOP) X(REWRITE_ERROR) X(PARAM) X(BIND) X(FUNCTION) X(CALL) X(PROGRAM) X(LINEAR) X(SOURCE)         \
  X(BINARY) X(SINK) X(AFTER) X(GROUP) X(STACK) X(TUPLE) X(GETTUPLE)                                           \
  /* memory */ X(INDEX) X(SHRINK) X(LOAD) X(STORE)                                                            \
  /* tensor core */ X(WMMA)                                                                                   \
  /* unary */ X(CAST) X(BITCAST) X(EXP2) X(LOG2) X(SIN) X(SQRT) X(RECIPROCAL) X(NEG) X(TRUNC)                 \
  /* binary */ X(ADD) X(MUL) X(SHL) X(SHR) X(CDIV) X(MAX) X(CMOD) X(CMPLT) X(CMPNE) X(CMPEQ) X(XOR) X(OR)      \
  X(AND) X(THREEFRY) X(SUB) X(FDIV) X(POW) X(FLOORDIV) X(FLOORMOD)                                            \
  /* ternary */ X(WHERE) X(MULACC)                                                                            \
  /* control */ X(BARRIER) X(RANGE) X(IF) X(END) X(ENDIF)                                                     \
  /* leaves */ X(CONST) X(CUSTOM) X(CUSTOMI)                                                                  \
  /* scheduler only */ X(CONTIGUOUS) X(CONTIGUOUS_BACKWARD) X(DETACH) X(STAGE) X(COPY)                        \
  X(RESHAPE) X(PERMUTE) X(EXPAND) X(PAD) X(FLIP) X(REDUCE) X(WINDOW) X(ARANGE)

enum class Ops : uint8_t {
#define ANNEAL_OP_ENUM(name) name,
  ANNEAL_OPS(ANNEAL_OP_ENUM)
#undef ANNEAL_OP_ENUM
};

#define ANNEAL_OP_COUNT(name) +1
inline constexpr int kNumOps = 0 ANNEAL_OPS(ANNEAL_OP_COUNT);
#undef ANNEAL_OP_COUNT

std::string_view op_name(Ops op);

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
