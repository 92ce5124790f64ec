// GPT-2's tokenizer on arbitrary bytes: encoding never fails, decoding the ids gives back the input
// with each ill-formed UTF-8 subsequence replaced by U+FFFD (exactly, byte for byte), and streaming
// the tokens' bytes through Utf8Stream prints the same text. Any difference is a finding.
#include <cstdlib>
#include <string>

#include "../src/io/utf8.h"
#include "anneal/io/gpt2_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const anneal::io::Gpt2Tokenizer tok = anneal::io::Gpt2Tokenizer::load();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::vector<int32_t> ids = tok.encode(input);
  const std::string expected = anneal::io::utf8::well_formed(input);
  if (tok.decode_bytes(ids) != expected || tok.decode(ids) != expected) std::abort();
  anneal::io::Utf8Stream stream;
  std::string streamed;
  for (int32_t id : ids) streamed += stream.push(tok.token_bytes(id));
  streamed += stream.finish();
  if (streamed != expected) std::abort();
  return 0;
}
