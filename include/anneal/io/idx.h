// IDX files (the MNIST format), plain or gzip'd, and the Fashion-MNIST data set built on them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal::io {

struct IdxArray {
  std::vector<int64_t> shape;
  DType dtype;                 // uint8, int8, int16, int32, float32 or float64
  std::vector<uint8_t> data;   // host byte order, row-major
};

// Reads an IDX file (gzip'd or not: detected by its magic bytes; concatenated gzip members are one
// stream, as for gunzip). A missing, truncated or corrupt file, a shape whose element count overflows
// or is implausibly large, or data longer or shorter than the shape needs raises anneal::Error naming
// the path and the problem; nothing is returned half-read.
IdxArray read_idx(const std::string& path);

// Labels of an MNIST-format data set are class numbers in [0, kMnistClasses).
inline constexpr int kMnistClasses = 10;

// Host copies: batches are gathered on the host and uploaded per step.
struct Mnist {
  int64_t rows = 0, cols = 0;
  std::vector<float> train_images, test_images;  // (N, rows*cols) row-major, in [0, 1]
  std::vector<int32_t> train_labels, test_labels;
  int64_t train_count() const { return int64_t(train_labels.size()); }
  int64_t test_count() const { return int64_t(test_labels.size()); }
};

// Loads an MNIST-format data set from `dir` (train-/t10k- images and labels, .gz). Refuses, naming the
// file: an empty image set, images of zero rows or columns, and labels outside [0, kMnistClasses).
Mnist load_mnist(const std::string& dir = "/usr/share/datasets/fashion-mnist");

}  // namespace anneal::io
