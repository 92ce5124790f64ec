// bit_cast for toolchains whose library lacks std::bit_cast (libc++ 13 under emscripten).
#pragma once
#include <cstring>
#include <type_traits>

namespace anneal {

template <class To, class From>
To bit_cast(const From& from) {
  static_assert(sizeof(To) == sizeof(From) && std::is_trivially_copyable_v<From> && std::is_trivially_copyable_v<To>);
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

}  // namespace anneal
