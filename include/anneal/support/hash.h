// A small, fast, platform-independent 128-bit hasher for structural keys.
//
// Structural keys must be identical in every process on every machine (they key on-disk caches),
// so the hasher consumes explicit little-endian 64-bit words, never raw struct bytes or pointers.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace anneal {

struct Key128 {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const Key128&, const Key128&) = default;
  friend bool operator<(const Key128& a, const Key128& b) { return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo; }
};

// 32 lowercase hex digits, hi then lo: how keys appear in file names and reports.
inline std::string to_hex(const Key128& k) {
  static const char* digits = "0123456789abcdef";
  std::string s(32, '0');
  for (int i = 0; i < 16; ++i) {
    s[size_t(15 - i)] = digits[(k.hi >> (4 * i)) & 15];
    s[size_t(31 - i)] = digits[(k.lo >> (4 * i)) & 15];
  }
  return s;
}

class Hasher {
 public:
  void word(uint64_t v) {
    // Two independent multiply-xorshift lanes; each word perturbs both.
    a_ = mix(a_ ^ (v * 0x9E3779B97F4A7C15ULL));
    b_ = mix(b_ + (v ^ 0xC2B2AE3D27D4EB4FULL)) * 0x165667B19E3779F9ULL;
    ++count_;
  }
  void bytes(std::string_view s) {
    word(s.size());
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t v = 0;
      for (int k = 0; k < 8; ++k) v |= uint64_t(uint8_t(s[i + size_t(k)])) << (8 * k);
      word(v);
    }
    uint64_t tail = 0;
    for (int k = 0; i < s.size(); ++i, ++k) tail |= uint64_t(uint8_t(s[i])) << (8 * k);
    word(tail);
  }
  void key(const Key128& k) { word(k.hi); word(k.lo); }
  Key128 finish() const {
    uint64_t h1 = mix(a_ ^ count_), h2 = mix(b_ ^ (count_ * 0xFF51AFD7ED558CCDULL));
    return Key128{mix(h1 + h2), mix(h2 ^ (h1 >> 7))};
  }

 private:
  static uint64_t mix(uint64_t z) {  // splitmix64 finaliser
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t a_ = 0x243F6A8885A308D3ULL, b_ = 0x13198A2E03707344ULL, count_ = 0;
};

}  // namespace anneal
