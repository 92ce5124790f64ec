#include "anneal/uop/uop.h"

#include "anneal/support/error.h"
#include "intern_table.h"

namespace anneal {

UOp UOp::make(Ops op, DType dtype, std::span<const UOp> srcs, Arg arg, uint32_t tag) {
  Hasher h;
  h.word(uint64_t(op));
  h.word(uint64_t(dtype.scalar()));
  arg.hash(h);
  h.word(tag);
  h.word(srcs.size());
  for (const UOp& s : srcs) {
    check(bool(s), [&] { return "UOp::make: null source of " + std::string(op_name(op)); });
    h.key(s.key());
  }
  return InternTable::instance().intern(op, dtype, srcs, std::move(arg), tag, h.finish());
}

UOp UOp::replace_srcs(std::span<const UOp> new_srcs) const {
  return make(op(), dtype(), new_srcs, arg(), tag());
}

UOp UOp::with_tag(uint32_t new_tag) const {
  if (new_tag == tag()) return *this;
  return make(op(), dtype(), srcs(), arg(), new_tag);
}

}  // namespace anneal
