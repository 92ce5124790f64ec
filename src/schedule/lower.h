// Lowering one realized value to a kernel AST: movement ops become index arithmetic.
//
// The value is computed at output index vector `idx` (one UOp per dimension) under a validity `valid`.
// Each op maps the index vector to its source's index vector: RESHAPE relinearises, PERMUTE reorders,
// EXPAND pins broadcast dims to 0, SHRINK offsets, FLIP mirrors, PAD offsets and adds a validity
// clause (the value is 0 outside), REDUCE introduces fresh RANGEs for the reduced axes. A source that
// is a buffer, or another realized value, becomes a LOAD gated by the validity. Each op's step is a
// named lowering rule (anneal/schedule/lowering_rules.h), defined in lower.cpp.
#pragma once
#include <map>
#include <unordered_map>
#include <vector>

#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"

namespace anneal {

class KernelLowerer {
 public:
  // `realized` maps realized tensor nodes to their BUFFERs; `root` is the value this kernel computes.
  KernelLowerer(const std::unordered_map<const void*, UOp>& realized, UOp root)
      : realized_(realized), root_(std::move(root)) {}

  // The kernel AST and the BUFFER for each PARAM slot (slot 0 = the output buffer `out`).
  UOp lower_kernel(const UOp& out, std::vector<UOp>& buffers);
  // The tensor nodes lowered into this kernel, in first-lowered order.
  const std::vector<UOp>& fused() const { return fused_; }

  // The steps a lowering rule (anneal/schedule/lowering_rules.h) takes:
  // a source's value at its index vector (memoised; a buffer or a realized value becomes a load),
  UOp lower(const UOp& node, const std::vector<UOp>& idx, const UOp& valid);
  // a read of `buffer` seen with `shape` at `idx`, gated by `valid`,
  UOp load(const UOp& buffer, const Shape& shape, const std::vector<UOp>& idx, const UOp& valid);
  // and a fresh loop of `size` iterations.
  UOp new_range(const Dim& size);

 private:
  // Dispatches `node` to the lowering rule of its op.
  UOp lower_op(const UOp& node, const std::vector<UOp>& idx, const UOp& valid);
  UOp param_for(const UOp& buffer);

  const std::unordered_map<const void*, UOp>& realized_;
  UOp root_;
  std::vector<UOp> buffers_;
  std::unordered_map<const void*, UOp> params_;
  std::map<std::vector<const void*>, UOp> memo_;
  std::vector<UOp> keep_alive_;
  std::vector<UOp> fused_;
  std::unordered_map<const void*, bool> fused_seen_;  // memo keys are addresses: hold their nodes
  int64_t next_range_ = 0;
};

// Row-major flat index of `idx` in `shape`.
UOp flat_index(const std::vector<UOp>& idx, const Shape& shape);

}  // namespace anneal
