#include "anneal/uop/ops.h"

#include <array>

namespace anneal {

namespace {
struct OpInfo {
  std::string_view name, levels, description;
};
constexpr std::array<OpInfo, kNumOps> kOpInfo{
#define ANNEAL_OP_INFO(name, levels, description) OpInfo{#name, levels, description},
    ANNEAL_OPS(ANNEAL_OP_INFO)
#undef ANNEAL_OP_INFO
};
}  // namespace

std::string_view op_name(Ops op) { return kOpInfo[size_t(op)].name; }
std::string_view op_description(Ops op) { return kOpInfo[size_t(op)].description; }
std::string_view op_levels(Ops op) { return kOpInfo[size_t(op)].levels; }

namespace groups {
using enum Ops;
const OpSet& unary() {
  static const OpSet s{EXP2, LOG2, SIN, SQRT, RECIPROCAL, NEG, TRUNC};
  return s;
}
const OpSet& binary() {
  static const OpSet s{ADD, MUL, CDIV, MAX, CMOD, CMPLT, CMPNE, CMPEQ, XOR, SHL, SHR, OR, AND, THREEFRY, SUB,
                       FDIV, POW, FLOORDIV, FLOORMOD};
  return s;
}
const OpSet& ternary() {
  static const OpSet s{WHERE, MULACC};
  return s;
}
const OpSet& alu() {
  static const OpSet s = unary() | binary() | ternary();
  return s;
}
const OpSet& elementwise() {
  static const OpSet s = alu() | OpSet{CAST, BITCAST};
  return s;
}
const OpSet& movement() {
  static const OpSet s{RESHAPE, EXPAND, PERMUTE, PAD, SHRINK, FLIP, WINDOW};
  return s;
}
const OpSet& commutative() {
  static const OpSet s{ADD, MUL, MAX, CMPNE, CMPEQ, XOR, AND, OR};
  return s;
}
const OpSet& associative() {
  static const OpSet s{ADD, MUL, AND, OR, MAX};
  return s;
}
const OpSet& idempotent() {
  static const OpSet s{OR, AND, MAX};
  return s;
}
const OpSet& comparison() {
  static const OpSet s{CMPLT, CMPNE, CMPEQ};
  return s;
}
const OpSet& irreducible() {
  static const OpSet s{CONST, SPECIAL, RANGE, PARAM};
  return s;
}
}  // namespace groups

}  // namespace anneal
