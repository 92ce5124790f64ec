#include "intern_table.h"

#include <new>

namespace anneal {
namespace {

bool same_node(const detail::UOpNode* n, Ops op, DType dtype, std::span<const UOp> srcs, const Arg& arg,
               uint32_t tag) {
  if (n->op_ != op || n->dtype_ != dtype || n->tag_ != tag || n->nsrc_ != srcs.size()) return false;
  const UOp* own = n->src_storage();
  for (size_t i = 0; i < srcs.size(); ++i)
    if (own[i] != srcs[i]) return false;
  return n->arg_ == arg;
}

// Takes a reference unless the node is already dying (count reached zero and it awaits erase).
bool try_retain(const detail::UOpNode* n) {
  uint32_t c = n->refs_.load(std::memory_order_relaxed);
  while (c != 0)
    if (n->refs_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) return true;
  return false;
}

}  // namespace

InternTable& InternTable::instance() {
  static InternTable* table = new InternTable();  // never destroyed: nodes may outlive static destructors
  return *table;
}

UOp InternTable::intern(Ops op, DType dtype, std::span<const UOp> srcs, Arg&& arg, uint32_t tag, const Key128& key) {
  const uint64_t h = key.lo;
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = h & mask();
  for (; slots_[i].node; i = (i + 1) & mask()) {
    const Slot& s = slots_[i];
    if (s.hash == h && same_node(s.node, op, dtype, srcs, arg, tag)) {
      if (try_retain(s.node)) return UOp(s.node);
      break;  // a dying twin: replace its slot with the new node below
    }
  }
  void* mem = ::operator new(sizeof(detail::UOpNode) + srcs.size() * sizeof(UOp),
                             std::align_val_t(alignof(detail::UOpNode)));
  auto* node = new (mem) detail::UOpNode(op, dtype, std::move(arg), tag, uint32_t(srcs.size()), key);
  UOp* own = node->src_storage();
  for (size_t k = 0; k < srcs.size(); ++k) new (own + k) UOp(srcs[k]);
  const bool reuse = slots_[i].node != nullptr;
  slots_[i] = Slot{h, node};
  if (!reuse && ++count_ * 2 > slots_.size()) resize(slots_.size() * 2);
  return UOp(node);
}

void InternTable::erase(const detail::UOpNode* node) {
  const uint64_t h = node->key_.lo;
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = h & mask();
  for (; slots_[i].node != node; i = (i + 1) & mask())
    if (!slots_[i].node) return;  // already replaced by a newer twin
  // Backward-shift deletion keeps linear probing free of tombstones.
  size_t hole = i;
  for (size_t j = (i + 1) & mask(); slots_[j].node; j = (j + 1) & mask()) {
    size_t ideal = slots_[j].hash & mask();
    bool movable = hole <= j ? (ideal <= hole || ideal > j) : (ideal <= hole && ideal > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --count_;
  if (slots_.size() > kMinCapacity && count_ * 8 < slots_.size()) resize(slots_.size() / 2);
}

void InternTable::resize(size_t new_capacity) {
  std::vector<Slot> old(new_capacity);
  old.swap(slots_);
  for (const Slot& s : old) {
    if (!s.node) continue;
    size_t i = s.hash & mask();
    while (slots_[i].node) i = (i + 1) & mask();
    slots_[i] = s;
  }
}

size_t InternTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}
size_t InternTable::capacity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.size();
}

size_t live_uop_count() { return InternTable::instance().size(); }

namespace detail {

void retain(const UOpNode* n) noexcept { n->refs_.fetch_add(1, std::memory_order_relaxed); }

void release(const UOpNode* n) noexcept {
  if (n->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // Destroy iteratively: while a node is being destroyed, sources that die with it are queued on the
  // work list of the outermost release() of this thread instead of recursing, so dropping an
  // arbitrarily deep graph uses constant stack. The list lives on that call's stack: the thread_local
  // is a plain pointer, with no destructor to run at thread exit (static destructors may still
  // release nodes after this thread's thread_local objects are gone) and nothing left behind.
  thread_local std::vector<const UOpNode*>* pending = nullptr;
  if (pending) {
    pending->push_back(n);
    return;
  }
  std::vector<const UOpNode*> list;
  pending = &list;
  for (const UOpNode* dead = n; dead;) {
    InternTable::instance().erase(dead);
    auto* node = const_cast<UOpNode*>(dead);
    UOp* own = node->src_storage();
    for (uint32_t k = 0; k < node->nsrc_; ++k) own[k].~UOp();
    node->~UOpNode();
    ::operator delete(node, std::align_val_t(alignof(UOpNode)));
    dead = nullptr;
    if (!list.empty()) {
      dead = list.back();
      list.pop_back();
    }
  }
  pending = nullptr;
}

}  // namespace detail
}  // namespace anneal
