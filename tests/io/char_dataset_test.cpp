#include <gtest/gtest.h>

#include <fstream>

#include "anneal/io/char_dataset.h"
#include "anneal/support/error.h"

namespace anneal::io {
namespace {

TEST(CharDataset, VocabularyEncodingAndSplits) {
  const std::string text = "In the beginning God created the heaven and the earth.\n";
  const CharDataset d(text, 0.75);
  EXPECT_EQ(d.vocab(), "\n .GIabcdeghinortv");  // sorted by byte value
  EXPECT_EQ(d.decode(d.encode(text)), text);
  EXPECT_EQ(d.train_tokens() + d.val_tokens(), text.size());
  EXPECT_EQ(d.train_tokens(), size_t(double(text.size()) * 0.75));
  EXPECT_THROW(d.encode("Zebra"), Error);
  EXPECT_THROW(d.decode({99}), Error);
}

TEST(CharDataset, BatchesAreWindowsAndTheirSuccessors) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "abcdefghij";
  const CharDataset d(text);
  std::mt19937_64 rng(1);
  const auto [x, y] = d.batch(true, 4, 8, rng);
  EXPECT_EQ(x.shape(), (Shape{4, 8}));
  const std::vector<int32_t> xs = x.to_vector<int32_t>(), ys = y.to_vector<int32_t>();
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(ys[i], (xs[i] + 1) % 10) << i;  // the next letter
  EXPECT_THROW(d.batch(false, 1, 100, rng), Error);  // the validation split has 50 tokens
}

TEST(CharDataset, FilesAndTheirErrors) {
  const std::string path = ::testing::TempDir() + "/anneal_chars.txt";
  std::ofstream(path) << "hello world";
  EXPECT_EQ(CharDataset::from_file(path).vocab_size(), 8);
  std::ofstream(path, std::ios::trunc).flush();
  EXPECT_THROW(CharDataset::from_file(path), Error);
  EXPECT_THROW(CharDataset::from_file("/nonexistent/text.txt"), Error);
}

}  // namespace
}  // namespace anneal::io
