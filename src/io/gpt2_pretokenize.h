// GPT-2's pre-tokenizer: the pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// matched left to right (the first alternative that matches wins; each run is greedy), written out as
// a scanner. \p{L} and \p{N} are Unicode's letter and number categories and \s its White_Space
// property, as the Python `regex` module that HF's tokenizer uses defines them.
#pragma once
#include <string_view>
#include <vector>

#include "utf8.h"

namespace anneal::io {

enum class CharClass { Letter, Number, Space, Other };
CharClass char_class(char32_t cp);

// The pieces of `text` (well-formed UTF-8 with its code points `cps`, as utf8::decode_lossy gives them).
std::vector<std::string_view> pretokenize(std::string_view text, const std::vector<utf8::CodePoint>& cps);

}  // namespace anneal::io
