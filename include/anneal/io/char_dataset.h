// A character-level dataset from any text: the distinct bytes of the text are the vocabulary (sorted),
// the first part of the text is for training and the rest for validation; batches are random windows.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal::io {

class CharDataset {
 public:
  explicit CharDataset(const std::string& text, double train_fraction = 0.9);
  // The whole file; a missing or empty file is an anneal::Error.
  static CharDataset from_file(const std::string& path, double train_fraction = 0.9);

  const std::string& vocab() const { return vocab_; }
  int64_t vocab_size() const { return int64_t(vocab_.size()); }
  std::vector<int32_t> encode(const std::string& s) const;  // a character outside the vocabulary is an error
  std::string decode(const std::vector<int32_t>& ids) const;
  size_t train_tokens() const { return train_.size(); }
  size_t val_tokens() const { return val_.size(); }

  // `batch` windows of `context` tokens from one split (x), and the same windows one token later (y),
  // both int32 of shape (batch, context).
  std::pair<Tensor, Tensor> batch(bool train, int64_t batch, int64_t context, std::mt19937_64& rng) const;

 private:
  std::string vocab_;
  int32_t index_[256];
  std::vector<int32_t> train_, val_;
};

}  // namespace anneal::io
