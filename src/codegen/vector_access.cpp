#include "vector_access.h"

#include <algorithm>
#include <map>

#include "anneal/rewrite/symbolic.h"

namespace anneal {

bool ungated(const UOp& access) {
  return access.num_srcs() <= 2 || (access.src(2).is_const() && access.src(2).const_value().as_bool());
}

std::vector<std::array<size_t, 4>> aligned_quads(const std::vector<std::pair<UOp, UOp>>& accesses) {
  struct Base {
    UOp buffer, rest;
    std::map<int64_t, size_t> offsets;
  };
  std::vector<Base> bases;
  for (size_t i = 0; i < accesses.size(); ++i) {
    const auto split = sym_helpers::pop_const(accesses[i].second);  // not a structured binding: clang 14 cannot capture one
    const UOp& rest = split.first;
    const int64_t c = split.second;
    auto it = std::find_if(bases.begin(), bases.end(), [&](const Base& b) { return b.buffer == accesses[i].first && b.rest == rest; });
    if (it == bases.end()) it = bases.insert(bases.end(), Base{accesses[i].first, rest, {}});
    it->offsets.emplace(c, i);
  }
  std::vector<std::array<size_t, 4>> out;
  for (const Base& b : bases) {
    if (b.offsets.size() < 4 || !sym_helpers::divides(b.rest, 4)) continue;
    for (const auto& [c, first] : b.offsets) {
      if (c % 4 != 0) continue;
      std::array<size_t, 4> q{first, 0, 0, 0};
      bool whole = true;
      for (int j = 1; j < 4 && whole; ++j) {
        const auto it = b.offsets.find(c + j);
        whole = it != b.offsets.end();
        if (whole) q[size_t(j)] = it->second;
      }
      if (whole) out.push_back(q);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace anneal
