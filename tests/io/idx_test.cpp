// IDX parsing: round trips of files written here, and every kind of damage reported clearly.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "anneal/io/idx.h"
#include "anneal/models/classifier.h"

using namespace anneal;

namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "anneal_idx_" + name; }

std::vector<uint8_t> idx_bytes(uint8_t type, std::vector<uint32_t> dims, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> b = {0, 0, type, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

std::string write(const std::string& name, const std::vector<uint8_t>& bytes, bool gz) {
  const std::string path = temp_path(name);
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  return path;
}

std::string error_of(const std::string& path) {
  try {
    io::read_idx(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST(Idx, ReadsPlainAndGzipUint8AndBigEndianInt32) {
  const std::vector<uint8_t> pixels = {1, 2, 3, 4, 5, 6};
  for (bool gz : {false, true}) {
    const io::IdxArray a = io::read_idx(write(gz ? "u8.gz" : "u8", idx_bytes(0x08, {2, 3}, pixels), gz));
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.dtype, dtypes::uint8);
    EXPECT_EQ(a.data, pixels);
  }
  const io::IdxArray b = io::read_idx(write("i32", idx_bytes(0x0C, {2}, {0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE}), false));
  int32_t v[2];
  std::memcpy(v, b.data.data(), 8);
  EXPECT_EQ(v[0], 258);
  EXPECT_EQ(v[1], -2);
}

TEST(Idx, DamageIsReportedWithThePath) {
  const std::string missing = temp_path("does-not-exist");
  EXPECT_NE(error_of(missing).find("idx: cannot open " + missing), std::string::npos);
  const std::string bad_magic = write("magic", {1, 2, 8, 1, 0, 0, 0, 1, 7}, false);
  EXPECT_EQ(error_of(bad_magic), "idx: " + bad_magic + ": not an IDX file (bad magic number)");
  const std::string short_data = write("short", idx_bytes(0x08, {2, 3}, {1, 2, 3}), false);
  EXPECT_EQ(error_of(short_data), "idx: " + short_data + ": expected 6 data bytes for shape (2, 3), found 3");
  const std::string header = write("header", {0, 0, 8, 3, 0, 0}, false);
  EXPECT_EQ(error_of(header), "idx: " + header + ": header ends early");
  const std::string type = write("type", idx_bytes(0x07, {1}, {0}), false);
  EXPECT_NE(error_of(type).find("unknown element type"), std::string::npos);
  // A gzip file cut in the middle.
  std::vector<uint8_t> big(4096);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 7);
  const std::string full = write("full.gz", idx_bytes(0x08, {4096}, big), true);
  std::ifstream in(full, std::ios::binary);
  std::vector<char> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = temp_path("cut.gz");
  std::ofstream(cut, std::ios::binary).write(gz.data(), std::streamsize(gz.size() / 2));
  EXPECT_NE(error_of(cut).find("idx: " + cut + ": "), std::string::npos);
  EXPECT_NE(error_of(cut).find("gzip"), std::string::npos);
}

// ---- hostile files (issue 24): every case is refused with the file named, nothing crashes --------------

namespace {

// An MNIST-format directory of gzip'd IDX files: `n_train` and `n_test` images of rows x cols pixels,
// every label `label` unless `labels` says otherwise.
struct MnistSpec {
  uint32_t n_train = 3, n_test = 2, rows = 28, cols = 28;
  uint8_t label = 1;
  std::vector<uint8_t> train_labels = {};  // overrides `label` for the training set when not empty
};

std::string write_mnist(const std::string& name, const MnistSpec& s) {
  std::filesystem::create_directories(temp_path(name));
  auto images = [&](uint32_t n) {
    return idx_bytes(0x08, {n, s.rows, s.cols}, std::vector<uint8_t>(size_t(n) * s.rows * s.cols, 128));
  };
  const std::vector<uint8_t> train_labels = s.train_labels.empty() ? std::vector<uint8_t>(s.n_train, s.label) : s.train_labels;
  write(name + "/train-images-idx3-ubyte.gz", images(s.n_train), true);
  write(name + "/train-labels-idx1-ubyte.gz", idx_bytes(0x08, {uint32_t(train_labels.size())}, train_labels), true);
  write(name + "/t10k-images-idx3-ubyte.gz", images(s.n_test), true);
  write(name + "/t10k-labels-idx1-ubyte.gz", idx_bytes(0x08, {s.n_test}, std::vector<uint8_t>(s.n_test, s.label)), true);
  return temp_path(name);
}

std::string mnist_error_of(const std::string& dir) {
  try {
    io::load_mnist(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Appends `bytes` to `path` as one more gzip member.
void append_gzip_member(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "ab");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

void append_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

TEST(HostileIdx, ZeroRowsOrColumnsAreRefused) {
  const std::string rows = write_mnist("zero_rows", {.rows = 0});
  EXPECT_EQ(mnist_error_of(rows), "mnist: " + rows + "/train-images-idx3-ubyte.gz: images are 0x28 pixels; rows and columns must be positive");
  const std::string cols = write_mnist("zero_cols", {.cols = 0});
  EXPECT_EQ(mnist_error_of(cols), "mnist: " + cols + "/train-images-idx3-ubyte.gz: images are 28x0 pixels; rows and columns must be positive");
}

TEST(HostileIdx, EmptyImageSetsAreRefused) {
  const std::string train = write_mnist("no_train", {.n_train = 0});
  EXPECT_EQ(mnist_error_of(train), "mnist: " + train + "/train-images-idx3-ubyte.gz: holds no images");
  const std::string test = write_mnist("no_test", {.n_test = 0});  // would print test_accuracy=-nan
  EXPECT_EQ(mnist_error_of(test), "mnist: " + test + "/t10k-images-idx3-ubyte.gz: holds no images");
}

TEST(HostileIdx, LabelsOutsideTheClassesAreRefused) {
  const std::string dir = write_mnist("label255", {.train_labels = {3, 255, 4}});  // would train to loss -0.0
  EXPECT_EQ(mnist_error_of(dir), "mnist: " + dir + "/train-labels-idx1-ubyte.gz: label 255 at index 1 is outside [0, 10)");
  const std::string ten = write_mnist("label10", {.label = 10});
  EXPECT_EQ(mnist_error_of(ten), "mnist: " + ten + "/train-labels-idx1-ubyte.gz: label 10 at index 0 is outside [0, 10)");
  EXPECT_EQ(mnist_error_of(write_mnist("label9", {.label = 9})), "<no error>");
}

TEST(HostileIdx, ConcatenatedGzipMembersAreOneStream) {
  // As gunzip reads it: the header in one member, the data split over two more.
  const std::vector<uint8_t> whole = idx_bytes(0x08, {2, 3}, {1, 2, 3, 4, 5, 6});
  const std::string path = write("members.gz", std::vector<uint8_t>(whole.begin(), whole.begin() + 12), true);
  append_gzip_member(path, std::vector<uint8_t>(whole.begin() + 12, whole.begin() + 15));
  append_gzip_member(path, std::vector<uint8_t>(whole.begin() + 15, whole.end()));
  const io::IdxArray a = io::read_idx(path);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(HostileIdx, DataBeyondTheHeaderShapeIsAnError) {
  const std::vector<uint8_t> whole = idx_bytes(0x08, {2, 3}, {1, 2, 3, 4, 5, 6});
  // A second member whose bytes the shape has no room for.
  const std::string member = write("extra_member.gz", whole, true);
  append_gzip_member(member, {7, 8});
  EXPECT_EQ(error_of(member), "idx: " + member + ": expected 6 data bytes for shape (2, 3), found trailing data after them");
  // Bytes after the last member that are not gzip at all.
  const std::string garbage = write("garbage.gz", whole, true);
  std::ifstream in(garbage, std::ios::binary | std::ios::ate);
  const auto gz_size = std::to_string(in.tellg());
  append_raw(garbage, {'j', 'u', 'n', 'k'});
  EXPECT_EQ(error_of(garbage), "idx: " + garbage + ": 4 bytes of trailing data after the gzip stream (offset " + gz_size + ")");
  // The same without gzip.
  const std::string plain = write("extra_plain", idx_bytes(0x08, {2, 3}, {1, 2, 3, 4, 5, 6, 7}), false);
  EXPECT_EQ(error_of(plain), "idx: " + plain + ": expected 6 data bytes for shape (2, 3), found trailing data after them");
}

TEST(HostileIdx, OverflowingDimensionsAreRefused) {
  // 2^20 * 2^20 * 2^24 = 2^64: an unchecked uint64 product wraps to 0 and matched an empty payload.
  const std::string wrap = write("wrap", idx_bytes(0x08, {1u << 20, 1u << 20, 1u << 24}, {}), false);
  EXPECT_EQ(error_of(wrap), "idx: " + wrap + ": dimensions (1048576, 1048576, 16777216) are implausibly large (more than 2^40 elements)");
  const std::string wrap_gz = write("wrap.gz", idx_bytes(0x0E, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}), true);
  EXPECT_EQ(error_of(wrap_gz), "idx: " + wrap_gz + ": dimensions (4294967295, 4294967295, 4294967295) are implausibly large (more than 2^40 elements)");
}

TEST(HostileIdx, ThreeImagesCannotFillABatchOfFour) {
  const io::Mnist data = io::load_mnist(write_mnist("three", {.n_train = 3}));
  ASSERT_EQ(data.train_count(), 3);
  TrainOptions o;
  o.steps = 1;
  o.batch = 4;
  try {
    train_classifier(o, data, [](const TrainLog&) {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "train: batch 4 is larger than the training set (3 images)");
  }
  o.batch = 3;  // the whole set is one batch
  EXPECT_EQ(train_classifier(o, data, [](const TrainLog&) {}).losses.size(), 1u);
}

TEST(HostileIdx, InMemoryDataSetsAreCheckedToo) {
  // A data set built by hand rather than read by load_mnist meets the same rules.
  io::Mnist d;
  d.rows = d.cols = 28;
  d.train_images.assign(2 * 784, 0.5f);
  d.train_labels = {1, 255};
  d.test_images.assign(784, 0.5f);
  d.test_labels = {0};
  TrainOptions o;
  o.steps = 1;
  o.batch = 1;
  auto error = [&](auto&& run) -> std::string {
    try {
      run();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  };
  auto train = [&] { train_classifier(o, d, [](const TrainLog&) {}); };
  EXPECT_EQ(error(train), "train: training label 255 at index 1 is outside [0, 10)");
  d.train_labels = {1, -1};
  EXPECT_EQ(error(train), "train: training label -1 at index 1 is outside [0, 10)");
  d.train_labels = {1, 2, 3};
  EXPECT_EQ(error(train), "train: the training set has 3 labels but 1568 pixel values for images of 784 pixels");
  d.train_labels = {1, 2};
  d.test_images.clear();
  d.test_labels.clear();
  EXPECT_EQ(error(train), "train: the test set is empty");
  auto model = make_classifier("mlp");
  EXPECT_EQ(error([&] { test_accuracy(*model, "mlp", d); }), "train: the test set is empty");
  d.rows = 0;
  EXPECT_EQ(error(train), "train: images are 0x28 pixels; rows and columns must be positive");
}
