// IDX parsing: round trips of files written here, and every kind of damage reported clearly.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "anneal/io/idx.h"

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
