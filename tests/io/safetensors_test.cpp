// safetensors: round trips, a file written byte by byte from the format description, and damage.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <limits>

#include "anneal/io/safetensors.h"
#include "anneal/tensor/random.h"

using namespace anneal;

namespace {

std::string temp(const std::string& name) { return ::testing::TempDir() + "anneal_st_" + name; }

// A file from its parts: header text (padded by nothing) and raw data.
std::string write_raw(const std::string& name, const std::string& header, const std::vector<uint8_t>& data,
                      uint64_t claimed_len = UINT64_MAX) {
  const std::string path = temp(name);
  std::ofstream f(path, std::ios::binary);
  const uint64_t n = claimed_len == UINT64_MAX ? header.size() : claimed_len;
  for (int i = 0; i < 8; ++i) f.put(char(n >> (8 * i)));
  f << header;
  f.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  return path;
}

std::vector<uint8_t> floats(std::initializer_list<float> v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), std::data(v), out.size());
  return out;
}

std::string error_of(const std::string& path) {
  try {
    io::load_safetensors(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST(Safetensors, ReadsAFileBuiltFromTheFormatDescription) {
  const std::string path =
      write_raw("spec", R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
                        R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                floats({1.5f, -2.0f, 7.25f}));
  const io::NamedTensors t = io::load_safetensors(path);
  ASSERT_EQ(t.size(), 2u);
  for (auto [name, tensor] : t) {
    if (name == "a") EXPECT_EQ(tensor.to_vector<float>(), (std::vector<float>{1.5f, -2.0f}));
    else EXPECT_EQ(tensor.to_vector<float>(), (std::vector<float>{7.25f}));
  }
}

TEST(Safetensors, RoundTripsDtypesAndShapes) {
  manual_seed(4);
  const io::NamedTensors in = {{"f32", Tensor::randn({3, 4})},
                               {"f64", Tensor::from_vector(std::vector<double>{1e-300, -2.5}, {2})},
                               {"i32", Tensor::randint({5}, -100, 100)},
                               {"u8", Tensor::from_vector(std::vector<uint8_t>{0, 255, 7}, {3, 1})},
                               {"view", Tensor::randn({2, 3}).transpose()}};
  const std::string path = temp("roundtrip.safetensors");
  io::save_safetensors(path, in, {{"note", "test"}});
  const io::NamedTensors out = io::load_safetensors(path);
  ASSERT_EQ(out.size(), in.size());
  for (const auto& entry : in) {
    const std::string& name = entry.first;
    const Tensor& t = entry.second;
    auto it = std::find_if(out.begin(), out.end(), [&name](const auto& p) { return p.first == name; });
    ASSERT_NE(it, out.end()) << name;
    Tensor back = it->second;
    EXPECT_EQ(back.shape(), t.shape()) << name;
    EXPECT_EQ(back.dtype(), t.dtype()) << name;
    EXPECT_EQ(back.to_vector<double>(), t.to_vector<double>()) << name;
  }
}

TEST(Safetensors, MalformedFilesAreClearErrors) {
  std::ofstream(temp("tiny"), std::ios::binary) << "abc";
  EXPECT_EQ(error_of(temp("tiny")), "safetensors: " + temp("tiny") + ": file is shorter than the 8-byte header length");
  const std::string past = write_raw("past", "{}", {}, 1000);
  EXPECT_EQ(error_of(past), "safetensors: " + past + ": header length 1000 runs past the end of the file");
  const std::string json = write_raw("json", "{not json", {});
  EXPECT_NE(error_of(json).find("header is not valid JSON"), std::string::npos);
  const std::string dtype = write_raw("dtype", R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}})", floats({1}));
  EXPECT_EQ(error_of(dtype), "safetensors: " + dtype + ": tensor 'a': unknown dtype 'F7'");
  const std::string range = write_raw("range", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", floats({1}));
  EXPECT_EQ(error_of(range), "safetensors: " + range + ": tensor 'a': data_offsets [0, 8) are outside the 4-byte data section");
  const std::string size = write_raw("size", R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2}));
  EXPECT_EQ(error_of(size), "safetensors: " + size + ": tensor 'a': holds 8 bytes but shape (3,) of F32 needs 12");
  const std::string overlap = write_raw(
      "overlap", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
      floats({1, 2}));
  EXPECT_EQ(error_of(overlap), "safetensors: " + overlap + ": tensors overlap in the data section");
  EXPECT_NE(error_of(temp("missing")).find("cannot open"), std::string::npos);
}

TEST(Safetensors, SavingNeverLeavesAHalfWrittenFile) {
  const std::string path = ::testing::TempDir() + "no-such-dir/x.safetensors";
  EXPECT_THROW(io::save_safetensors(path, {{"a", Tensor::zeros({2})}}), Error);
  EXPECT_FALSE(std::ifstream(path).good());
}

TEST(Safetensors, StateDictsRoundTripAndMismatchesChangeNothing) {
  manual_seed(9);
  nn::Sequential a, b;
  a.add<nn::Linear>(4, 3).add<nn::ReLU>().add<nn::Linear>(3, 2);
  b.add<nn::Linear>(4, 3).add<nn::ReLU>().add<nn::Linear>(3, 2);
  const Tensor x = Tensor::randn({5, 4});
  const std::string path = temp("model.safetensors");
  io::save_safetensors(path, a.named_parameters());
  io::load_state_dict(b, io::load_safetensors(path));
  EXPECT_EQ(b(x).to_vector<float>(), a(x).to_vector<float>());

  nn::Sequential c;
  c.add<nn::Linear>(4, 3).add<nn::ReLU>().add<nn::Linear>(3, 5);  // last layer differs
  const std::vector<float> before = c(x).to_vector<float>();
  try {
    io::load_state_dict(c, io::load_safetensors(path));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "load_state_dict: '2.weight' is (2, 3) float32 in the file but (5, 3) float32 in the model");
  }
  EXPECT_EQ(c(x).to_vector<float>(), before);  // the first layer was not overwritten either
}

TEST(Safetensors, ReadsAFileWrittenByThePythonLibrary) {
  // Written by safetensors 0.8.0 (tests/fixtures/safetensors_interop.py, which also checked that the
  // library reads a file anneal wrote with the same closed-form values).
  const io::NamedTensors t = io::load_safetensors(std::string(ANNEAL_FIXTURE_DIR) + "/python_written.safetensors");
  auto get = [&](const std::string& name) {
    for (const auto& [n, v] : t)
      if (n == name) return v;
    throw Error("missing " + name);
  };
  std::vector<double> f32;
  for (int i = 0; i < 12; ++i) f32.push_back((float(i) - 5.5f) / 4);
  EXPECT_EQ(get("f32").shape(), (Shape{3, 4}));
  EXPECT_EQ(get("f32").dtype(), dtypes::float32);
  EXPECT_EQ(get("f32").to_vector<double>(), f32);
  EXPECT_EQ(get("f64").to_vector<double>(), (std::vector<double>{1e-300, -2.5, 3.0e10}));
  EXPECT_EQ(get("i32").to_vector<int>(), (std::vector<int>{-3, -2, -1, 0, 1, 2}));
  EXPECT_EQ(get("i64").dtype(), dtypes::int64);
  EXPECT_EQ(get("i64").to_vector<double>(), (std::vector<double>{double(int64_t(1) << 40), -7}));
  EXPECT_EQ(get("u8").shape(), (Shape{3, 1}));
  EXPECT_EQ(get("u8").to_vector<int>(), (std::vector<int>{0, 255, 7}));
}

// ---- hostile files (issue 24) --------------------------------------------------------------------------

TEST(HostileSafetensors, ShapesWhoseElementCountOverflowsAreRefused) {
  // 2^24 * 2^40 = 2^64: unchecked, this reached numel's signed multiply before any check.
  const std::string big = write_raw("overflow", R"({"a":{"dtype":"F32","shape":[16777216,1099511627776],"data_offsets":[0,0]}})", {});
  EXPECT_EQ(error_of(big), "safetensors: " + big + ": tensor 'a': shape (16777216, 1099511627776) is implausibly large (more than 2^40 elements)");
  // 2^32 * 2^32 wrapped to 0 in uint64, so an 87-byte file "held" a tensor of 2^64 elements.
  const std::string wrap = write_raw("wrap", R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", {});
  EXPECT_EQ(error_of(wrap), "safetensors: " + wrap + ": tensor 'a': shape (4294967296, 4294967296) is implausibly large (more than 2^40 elements)");
  // A zero extent does not excuse an overflow among the others: the strides would still overflow.
  const std::string zero = write_raw("zero", R"({"a":{"dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})", {});
  EXPECT_EQ(error_of(zero), "safetensors: " + zero + ": tensor 'a': shape (0, 4294967296, 4294967296) is implausibly large (more than 2^40 elements)");
  // Beyond int64: the value would turn negative as a dimension.
  const std::string huge = write_raw("huge", R"({"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]}})", {});
  EXPECT_EQ(error_of(huge), "safetensors: " + huge + ": tensor 'a': dimension 18446744073709551615 is implausibly large");
  // An empty tensor with modest extents is still fine.
  const std::string empty = write_raw("empty", R"({"a":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}})", {});
  EXPECT_EQ(error_of(empty), "<no error>");
}

TEST(HostileSafetensors, HeaderLengthBeyondTheFileIsRefused) {
  const std::string path = write_raw("len64", "{}", {}, UINT64_MAX - 1);
  EXPECT_EQ(error_of(path), "safetensors: " + path + ": header length 18446744073709551614 runs past the end of the file");
}

TEST(HostileSafetensors, NumelIsOverflowChecked) {
  // The last line of defence for shapes from any input: an anneal::Error, not signed overflow.
  try {
    numel({128, std::numeric_limits<int64_t>::max()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "shape (128, 9223372036854775807) has more elements than an int64 can count");
  }
  EXPECT_THROW(Tensor::zeros({int64_t(1) << 32, int64_t(1) << 32}).numel(), Error);
  EXPECT_EQ(numel({0, int64_t(1) << 40}), 0);
  EXPECT_EQ(numel({}), 1);
}
