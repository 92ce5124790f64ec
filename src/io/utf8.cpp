#include "utf8.h"

#include <unicode/utf8.h>

#include <algorithm>

namespace anneal::io::utf8 {
namespace {

// ICU's U8_NEXT consumes a well-formed character, or the maximal subpart of an ill-formed one (c < 0).
// It reads at most 4 bytes, so it is given a window of at most 4: no int32 limit on the text's length.
struct Step {
  char32_t cp;
  size_t length;
  bool ill_formed;
};
Step next(std::string_view bytes, size_t at) {
  const int32_t window = int32_t(std::min<size_t>(4, bytes.size() - at));
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data() + at);
  int32_t i = 0;
  UChar32 c = 0;
  U8_NEXT(s, i, window, c);
  return c < 0 ? Step{kReplacement, size_t(i), true} : Step{char32_t(c), size_t(i), false};
}

}  // namespace

void append(std::string& out, char32_t cp) {
  char buf[4];
  int32_t n = 0;
  U8_APPEND_UNSAFE(buf, n, UChar32(cp));
  out.append(buf, size_t(n));
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
  // An unfinished character starts at one of the last 3 bytes with a lead byte of a longer sequence,
  // and everything after it so far is a valid continuation: U8_NEXT then runs into the end.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    const size_t at = n - back;
    const auto lead = uint8_t(bytes[at]);
    if (lead < 0xC2 || lead > 0xF4) continue;  // not a lead byte of a multi-byte character
    const Step s = next(bytes, at);
    return s.ill_formed && at + s.length == n ? at : n;
  }
  return n;
}

}  // namespace anneal::io::utf8
