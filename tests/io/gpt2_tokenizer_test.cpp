// GPT-2's tokenizer against Hugging Face's GPT2Tokenizer: the ids and decoded text of 590 strings
// (fixtures/gpt2/gpt2_tokenizer_cases.json), the Unicode classes of its pre-tokenizer against the Python
// `regex` module's (gpt2_unicode_classes.json), streaming decode and bad vocabulary files.
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../../src/io/gpt2_pretokenize.h"
#include "anneal/io/gpt2_tokenizer.h"
#include "anneal/support/error.h"

using namespace anneal;
using io::Gpt2Tokenizer;

namespace {

const std::string kFixtures = std::string(ANNEAL_FIXTURE_DIR) + "/gpt2/";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return nlohmann::json::parse(in);
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(char(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

const Gpt2Tokenizer& tokenizer() {
  static const Gpt2Tokenizer tok = Gpt2Tokenizer::load();
  return tok;
}

std::string load_error(const std::string& dir) {
  try {
    Gpt2Tokenizer::load(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Gpt2Tokenizer, PublishedIds) {
  EXPECT_EQ(tokenizer().vocab_size(), 50257);
  EXPECT_EQ(tokenizer().encode("Hello world"), (std::vector<int32_t>{15496, 995}));
  EXPECT_EQ(tokenizer().encode("<|endoftext|>"), (std::vector<int32_t>{Gpt2Tokenizer::kEndOfText}));
  EXPECT_EQ(tokenizer().encode(""), std::vector<int32_t>{});
}

TEST(Gpt2Tokenizer, MatchesHuggingFaceOnEveryFixtureString) {
  const nlohmann::json cases = read_json(kFixtures + "gpt2_tokenizer_cases.json");
  ASSERT_GE(cases.size(), 500u);
  size_t invalid_inputs = 0, multi_token = 0;
  for (const auto& c : cases) {
    const std::string input = from_hex(c["hex"].get<std::string>());
    const auto expected = c["ids"].get<std::vector<int32_t>>();
    const std::vector<int32_t> ids = tokenizer().encode(input);
    ASSERT_EQ(ids, expected) << "input hex " << c["hex"];
    EXPECT_EQ(tokenizer().decode(ids), c["decoded"].get<std::string>()) << "input hex " << c["hex"];
    const bool valid = io::Utf8Stream().push(input) == input;
    invalid_inputs += !valid;
    multi_token += ids.size() > 1;
    // Valid text comes back byte for byte; invalid bytes come back as the U+FFFD that replaced them.
    if (valid) {
      EXPECT_EQ(tokenizer().decode_bytes(ids), input) << "input hex " << c["hex"];
    }
  }
  EXPECT_GE(invalid_inputs, 20u);  // the fixture does exercise ill-formed input
  EXPECT_GE(multi_token, 400u);
}

TEST(Gpt2Tokenizer, UnicodeClassesMatchPythonRegex) {
  const nlohmann::json classes = read_json(kFixtures + "gpt2_unicode_classes.json");
  std::vector<uint8_t> expected(0x110000, uint8_t(io::CharClass::Other));
  // Letters and numbers are disjoint categories; White_Space holds neither.
  for (const auto& [key, cls] : {std::pair{"s", io::CharClass::Space}, std::pair{"N", io::CharClass::Number},
                                 std::pair{"L", io::CharClass::Letter}})
    for (const auto& span : classes[key])
      for (uint32_t cp = span[0].get<uint32_t>(); cp <= span[1].get<uint32_t>(); ++cp) expected[cp] = uint8_t(cls);
  size_t newer = 0, checked = 0;
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;  // surrogates are not characters
    const io::CharClass got = io::char_class(cp);
    if (uint8_t(got) != expected[cp] && utf8proc_category(utf8proc_int32_t(cp)) == UTF8PROC_CATEGORY_CN) {
      ++newer;  // assigned after the Unicode version of this machine's utf8proc: regex knows it, utf8proc not yet
      continue;
    }
    ASSERT_EQ(uint8_t(got), expected[cp]) << "code point U+" << std::hex << cp;
    ++checked;
  }
  EXPECT_GT(checked, 1100000u);
  EXPECT_LT(newer, 12000u) << "utf8proc's Unicode is far behind the fixture's";
}

TEST(Gpt2Tokenizer, StreamingNeverPrintsHalfACharacter) {
  const std::string text = "caf\xc3\xa9 \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd \xe4\xbd\xa0\xe5\xa5\xbd \xed\x95\x9c";
  const std::vector<int32_t> ids = tokenizer().encode(text);
  io::Utf8Stream stream;
  std::string out;
  size_t held_back = 0;
  for (int32_t id : ids) {
    const std::string& bytes = tokenizer().token_bytes(id);
    const std::string piece = stream.push(bytes);
    EXPECT_EQ(io::Utf8Stream().push(piece), piece) << "a pushed piece is not whole characters";
    held_back += piece.size() != bytes.size();
    out += piece;
  }
  out += stream.finish();
  EXPECT_EQ(out, text);
  EXPECT_GT(held_back, 0u) << "no token ended inside a character: the test proves nothing";
  // A stream that ends inside a character prints U+FFFD for it, as HF's decode does.
  io::Utf8Stream cut;
  EXPECT_EQ(cut.push("ok \xf0\x9f\x98"), "ok ");
  EXPECT_EQ(cut.finish(), "\xef\xbf\xbd");
  EXPECT_EQ(tokenizer().decode({tokenizer().encode("\xf0\x9f\x98\x80")[0]}), "\xef\xbf\xbd");
}

TEST(Gpt2Tokenizer, BadVocabularyFilesAreClearErrors) {
  const std::string dir = ::testing::TempDir() + "anneal_gpt2_vocab";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_NE(load_error(dir).find("make npm-deps"), std::string::npos) << load_error(dir);
  std::ofstream(dir + "/encoder.json") << "{\"a\": 0, ";
  std::ofstream(dir + "/vocab.bpe") << "#version: 0.2\n";
  EXPECT_NE(load_error(dir).find("not valid JSON"), std::string::npos) << load_error(dir);
  std::ofstream(dir + "/encoder.json") << "{\"a\": 0, \"b\": 0}";
  EXPECT_NE(load_error(dir).find("repeated or out-of-range id"), std::string::npos) << load_error(dir);
  std::ofstream(dir + "/encoder.json") << "{\"\\u0000\": 0}";
  EXPECT_NE(load_error(dir).find("not a GPT-2 byte string"), std::string::npos) << load_error(dir);
  EXPECT_THROW(tokenizer().decode({50257}), Error);
  EXPECT_THROW(tokenizer().decode({-1}), Error);
}
