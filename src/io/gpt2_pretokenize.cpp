#include "gpt2_pretokenize.h"

#include <utf8proc.h>

namespace anneal::io {

CharClass char_class(char32_t cp) {
  switch (utf8proc_category(utf8proc_int32_t(cp))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return CharClass::Letter;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return CharClass::Number;
    // Unicode's White_Space property: the separators (Z*) and the controls TAB..CR and NEL.
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
      return CharClass::Space;
    default:
      return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 ? CharClass::Space : CharClass::Other;
  }
}

std::vector<std::string_view> pretokenize(std::string_view text, const std::vector<utf8::CodePoint>& cps) {
  const size_t n = cps.size();
  std::vector<CharClass> cls(n);
  for (size_t i = 0; i < n; ++i) cls[i] = char_class(cps[i].value);
  auto is = [&](size_t i, CharClass c) { return i < n && cls[i] == c; };
  auto ascii = [&](size_t i, char ch) { return i < n && cps[i].value == char32_t(ch); };
  // The end of the run of class `c` that starts at i.
  auto run_end = [&](size_t i, CharClass c) {
    while (is(i, c)) ++i;
    return i;
  };
  // The length of a contraction ('s 't 're 've 'm 'll 'd: lower case only, as GPT-2's pattern) at i.
  auto contraction = [&](size_t i) -> size_t {
    if (!ascii(i, '\'')) return 0;
    for (const char* suffix : {"s", "t", "re", "ve", "m", "ll", "d"}) {
      size_t k = 0;
      while (suffix[k] && ascii(i + 1 + k, suffix[k])) ++k;
      if (!suffix[k]) return 1 + k;
    }
    return 0;
  };

  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < n;) {
    size_t end = i + contraction(i);
    if (end == i) {
      // " ?X+" for X in letters, numbers, other: an optional ASCII space, then a run of one class.
      const size_t body = ascii(i, ' ') && i + 1 < n && cls[i + 1] != CharClass::Space ? i + 1 : i;
      if (!is(body, CharClass::Space)) {
        end = run_end(body, cls[body]);
      } else {
        // White space: the whole run when it ends the text; otherwise all but its last character,
        // which then leads the next piece (\s+(?!\S)); a single one stands alone (\s+).
        const size_t run = run_end(i, CharClass::Space);
        end = run == n || run - i == 1 ? run : run - 1;
      }
    }
    pieces.push_back(text.substr(cps[i].begin, cps[end - 1].end - cps[i].begin));
    i = end;
  }
  return pieces;
}

}  // namespace anneal::io
