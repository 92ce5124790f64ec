// GPT-2's byte-level BPE, token for token what Hugging Face's GPT2Tokenizer produces.
//
// Text is split by GPT-2's pre-tokenizer pattern (contractions, letter runs, number runs, other runs,
// white space: Unicode categories from utf8proc), each piece's UTF-8 bytes become the 256 byte tokens, and
// the ranked merges of vocab.bpe join neighbours, lowest rank first. "<|endoftext|>" in the text is the
// special token 50256, as in HF. Input that is not valid UTF-8 is read as HF reads the string Python
// would make of it: each ill-formed subsequence becomes U+FFFD (bytes.decode("utf-8", "replace")).
// The vocabulary is OpenAI's published encoder.json + vocab.bpe (`make npm-deps` fetches them).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace anneal::io {

class Gpt2Tokenizer {
 public:
  static constexpr int32_t kEndOfText = 50256;

  // Reads `dir`/encoder.json and `dir`/vocab.bpe. Missing or malformed files raise anneal::Error naming
  // the file (and, when missing, how to fetch it).
  static Gpt2Tokenizer load(const std::string& dir = default_vocab_dir());
  // $ANNEAL_GPT2_VOCAB when set, else the folder `make npm-deps` fills in this source tree.
  static std::string default_vocab_dir();

  std::vector<int32_t> encode(std::string_view text) const;
  // The tokens' bytes, concatenated: may end (or be) inside a UTF-8 character.
  std::string decode_bytes(const std::vector<int32_t>& ids) const;
  // decode_bytes with every ill-formed UTF-8 subsequence replaced by U+FFFD: HF's decode.
  std::string decode(const std::vector<int32_t>& ids) const;
  const std::string& token_bytes(int32_t id) const;  // throws for an id outside the vocabulary
  int32_t vocab_size() const { return int32_t(tokens_.size()); }

 private:
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;
  std::vector<std::string> tokens_;                      // id -> bytes
  std::unordered_map<std::string, int32_t> ids_;         // bytes -> id
  int32_t byte_ids_[256] = {};                           // the token of each single byte
  struct Merge {
    int32_t rank, merged;
  };
  std::unordered_map<uint64_t, Merge> merges_;           // (left id, right id) -> rank, result id
};

// Turns a stream of bytes into text that never ends inside a character: push() returns what is
// complete and keeps an unfinished UTF-8 sequence for the next push (ill-formed bytes become U+FFFD,
// as decode does); finish() flushes what is left.
class Utf8Stream {
 public:
  std::string push(std::string_view bytes);
  std::string finish();

 private:
  std::string pending_;
};

}  // namespace anneal::io
