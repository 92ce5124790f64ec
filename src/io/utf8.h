// UTF-8 as the tokenizer needs it: decoding that never fails (Unicode's "maximal subpart" practice,
// which Python's bytes.decode("utf-8", "replace") follows: each ill-formed subsequence becomes one
// U+FFFD), and finding where an unfinished character starts at the end of a byte stream.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace anneal::io::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

struct CodePoint {
  char32_t value;
  size_t begin, end;  // its bytes in the well-formed text decode_lossy returns
};

// The code points of `bytes` and their well-formed UTF-8 text (`bytes` itself when it is valid).
std::vector<CodePoint> decode_lossy(std::string_view bytes, std::string& text);
void append(std::string& out, char32_t cp);
// `bytes` with each ill-formed subsequence replaced by U+FFFD.
std::string well_formed(std::string_view bytes);
// The length of the longest prefix of `bytes` that does not end inside a character whose remaining
// bytes may still come (a valid but unfinished sequence).
size_t complete_prefix(std::string_view bytes);

}  // namespace anneal::io::utf8
