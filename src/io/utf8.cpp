#include "utf8.h"

#include <cstdint>

namespace anneal::io::utf8 {
namespace {

// One step of decoding at `at`: a well-formed character, or the maximal subpart of an ill-formed one
// (the longest prefix of a valid sequence; at least one byte). Unicode's table of well-formed UTF-8
// (3-7 in chapter 3) narrows the second byte's range after E0, ED, F0 and F4.
struct Step {
  char32_t cp;
  size_t length;
  bool ill_formed, reached_end;  // reached_end: ill-formed only because the bytes ran out
};
Step next(std::string_view bytes, size_t at) {
  const auto b0 = uint8_t(bytes[at]);
  if (b0 < 0x80) return {b0, 1, false, false};
  size_t length = 0;
  char32_t cp = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {kReplacement, 1, true, false};  // a continuation byte or a byte that never starts a character
  }
  for (size_t i = 1; i < length; ++i) {
    if (at + i >= bytes.size()) return {kReplacement, i, true, true};
    const auto b = uint8_t(bytes[at + i]);
    if (b < lo || b > hi) return {kReplacement, i, true, false};
    lo = 0x80, hi = 0xBF;
    cp = cp << 6 | (b & 0x3F);
  }
  return {cp, length, false, false};
}

}  // namespace

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out += {char(0xC0 | cp >> 6), char(0x80 | (cp & 0x3F))};
  } else if (cp < 0x10000) {
    out += {char(0xE0 | cp >> 12), char(0x80 | (cp >> 6 & 0x3F)), char(0x80 | (cp & 0x3F))};
  } else {
    out += {char(0xF0 | cp >> 18), char(0x80 | (cp >> 12 & 0x3F)), char(0x80 | (cp >> 6 & 0x3F)), char(0x80 | (cp & 0x3F))};
  }
}

std::vector<CodePoint> decode_lossy(std::string_view bytes, std::string& text) {
  std::vector<CodePoint> out;
  text.clear();
  text.reserve(bytes.size());
  for (size_t at = 0; at < bytes.size();) {
    const Step s = next(bytes, at);
    const size_t begin = text.size();
    if (s.ill_formed) append(text, kReplacement);
    else text.append(bytes.substr(at, s.length));
    out.push_back({s.cp, begin, text.size()});
    at += s.length;
  }
  return out;
}

std::string well_formed(std::string_view bytes) {
  std::string text;
  decode_lossy(bytes, text);
  return text;
}

size_t complete_prefix(std::string_view bytes) {
  // An unfinished character starts at one of the last 3 bytes, and decoding from there runs out of bytes
  // before anything is wrong.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const Step s = next(bytes, n - back);
    if (s.reached_end) return n - back;
  }
  return n;
}

}  // namespace anneal::io::utf8
