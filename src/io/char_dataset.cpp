#include "anneal/io/char_dataset.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "anneal/support/error.h"

namespace anneal::io {

CharDataset::CharDataset(const std::string& text, double train_fraction) {
  check(!text.empty(), "CharDataset: the text is empty");
  check(train_fraction > 0 && train_fraction < 1, "CharDataset: train_fraction must be in (0, 1)");
  bool seen[256] = {};
  for (unsigned char c : text) seen[c] = true;
  std::fill(std::begin(index_), std::end(index_), -1);
  for (int c = 0; c < 256; ++c)
    if (seen[c]) {
      index_[c] = int32_t(vocab_.size());
      vocab_ += char(c);
    }
  const std::vector<int32_t> all = encode(text);
  const size_t split = size_t(double(all.size()) * train_fraction);
  train_.assign(all.begin(), all.begin() + std::ptrdiff_t(split));
  val_.assign(all.begin() + std::ptrdiff_t(split), all.end());
}

CharDataset CharDataset::from_file(const std::string& path, double train_fraction) {
  std::ifstream f(path, std::ios::binary);
  check(bool(f), [&] { return "CharDataset: cannot open " + path; });
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  check(!text.empty(), [&] { return "CharDataset: " + path + " is empty"; });
  return CharDataset(text, train_fraction);
}

std::vector<int32_t> CharDataset::encode(const std::string& s) const {
  std::vector<int32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const int32_t id = index_[static_cast<unsigned char>(s[i])];
    check(id >= 0, [&] { return "CharDataset: character " + std::to_string(int(static_cast<unsigned char>(s[i]))) +
                                " at offset " + std::to_string(i) + " is not in the vocabulary"; });
    out.push_back(id);
  }
  return out;
}

std::string CharDataset::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) {
    check(id >= 0 && id < vocab_size(), [&] { return "CharDataset: token " + std::to_string(id) + " is out of range"; });
    out += vocab_[size_t(id)];
  }
  return out;
}

std::pair<Tensor, Tensor> CharDataset::batch(bool train, int64_t batch, int64_t context, std::mt19937_64& rng) const {
  const std::vector<int32_t>& data = train ? train_ : val_;
  check(batch > 0 && context > 0, "CharDataset: batch and context must be positive");
  check(data.size() > size_t(context), [&] {
    return std::string("CharDataset: the ") + (train ? "training" : "validation") + " split has " +
           std::to_string(data.size()) + " tokens, too few for windows of " + std::to_string(context) + " + 1";
  });
  std::uniform_int_distribution<size_t> start(0, data.size() - size_t(context) - 1);
  std::vector<int32_t> x, y;
  for (int64_t b = 0; b < batch; ++b) {
    const size_t s = start(rng);
    x.insert(x.end(), data.begin() + std::ptrdiff_t(s), data.begin() + std::ptrdiff_t(s) + context);
    y.insert(y.end(), data.begin() + std::ptrdiff_t(s) + 1, data.begin() + std::ptrdiff_t(s) + context + 1);
  }
  return {Tensor::from_vector(x, {batch, context}), Tensor::from_vector(y, {batch, context})};
}

}  // namespace anneal::io
