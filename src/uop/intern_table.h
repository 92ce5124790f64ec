// The intern table: the one place UOp nodes are created and the only owner of "which node is this".
#pragma once
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

class InternTable {
 public:
  static InternTable& instance();

  // Returns the node equal to (op, dtype, srcs, arg, tag), creating it if needed.
  UOp intern(Ops op, DType dtype, std::span<const UOp> srcs, Arg&& arg, uint32_t tag, const Key128& key);
  // Removes `node` (whose last reference just went) from the table, if it is still there.
  void erase(const detail::UOpNode* node);
  size_t size() const;
  size_t capacity() const;

 private:
  struct Slot {
    uint64_t hash = 0;
    const detail::UOpNode* node = nullptr;
  };
  void resize(size_t new_capacity);
  size_t mask() const { return slots_.size() - 1; }

  mutable std::mutex mu_;
  std::vector<Slot> slots_ = std::vector<Slot>(kMinCapacity);
  size_t count_ = 0;
  static constexpr size_t kMinCapacity = 1024;
};

}  // namespace anneal
