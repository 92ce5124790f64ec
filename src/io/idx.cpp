#include "anneal/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace anneal::io {
namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("idx: cannot open " + path + ": " + std::strerror(errno));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw Error("idx: " + path + ": cannot start gzip decoder");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = uInt(in.size());
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw Error("idx: " + path + ": corrupt or truncated gzip data" + (zs.msg ? std::string(" (") + zs.msg + ")" : ""));
    }
    out.insert(out.end(), chunk, chunk + (sizeof chunk - zs.avail_out));
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      throw Error("idx: " + path + ": gzip data ends early");
    }
  }
  inflateEnd(&zs);
  return out;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::vector<uint8_t> raw = read_file(path);
  if (raw.size() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) raw = gunzip(raw, path);
  if (raw.size() < 4 || raw[0] != 0 || raw[1] != 0)
    throw Error("idx: " + path + ": not an IDX file (bad magic number)");
  IdxArray a;
  switch (raw[2]) {
    case 0x08: a.dtype = dtypes::uint8; break;
    case 0x09: a.dtype = dtypes::int8; break;
    case 0x0B: a.dtype = dtypes::int16; break;
    case 0x0C: a.dtype = dtypes::int32; break;
    case 0x0D: a.dtype = dtypes::float32; break;
    case 0x0E: a.dtype = dtypes::float64; break;
    default: throw Error("idx: " + path + ": unknown element type 0x" + std::to_string(raw[2]));
  }
  const size_t ndim = raw[3];
  if (raw.size() < 4 + 4 * ndim) throw Error("idx: " + path + ": header ends early");
  uint64_t count = 1;
  for (size_t i = 0; i < ndim; ++i) {
    const uint32_t d = be32(&raw[4 + 4 * i]);
    a.shape.push_back(int64_t(d));
    count *= d;
    if (count > (uint64_t(1) << 40)) throw Error("idx: " + path + ": dimensions are implausibly large");
  }
  const size_t item = size_t(a.dtype.itemsize()), offset = 4 + 4 * ndim;
  const uint64_t want = count * item, have = raw.size() - offset;
  if (have != want)
    throw Error("idx: " + path + ": expected " + std::to_string(want) + " data bytes for shape " + shape_str(a.shape) +
                ", found " + std::to_string(have));
  a.data.assign(raw.begin() + std::ptrdiff_t(offset), raw.end());
  if (item > 1)  // IDX is big-endian
    for (size_t i = 0; i < a.data.size(); i += item) std::reverse(a.data.begin() + std::ptrdiff_t(i), a.data.begin() + std::ptrdiff_t(i + item));
  return a;
}

namespace {
std::vector<float> images(const std::string& path, int64_t& rows, int64_t& cols) {
  const IdxArray a = read_idx(path);
  if (a.dtype != dtypes::uint8 || a.shape.size() != 3) throw Error("mnist: " + path + ": expected uint8 (N, H, W) images");
  rows = a.shape[1];
  cols = a.shape[2];
  std::vector<float> v(a.data.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(a.data[i]) / 255.0f;
  return v;
}
std::vector<int32_t> labels(const std::string& path, size_t n) {
  const IdxArray a = read_idx(path);
  if (a.dtype != dtypes::uint8 || a.shape.size() != 1 || size_t(a.shape[0]) != n)
    throw Error("mnist: " + path + ": expected " + std::to_string(n) + " uint8 labels");
  return std::vector<int32_t>(a.data.begin(), a.data.end());
}
}  // namespace

Mnist load_mnist(const std::string& dir) {
  Mnist m;
  int64_t r = 0, c = 0;
  m.train_images = images(dir + "/train-images-idx3-ubyte.gz", m.rows, m.cols);
  m.train_labels = labels(dir + "/train-labels-idx1-ubyte.gz", m.train_images.size() / size_t(m.rows * m.cols));
  m.test_images = images(dir + "/t10k-images-idx3-ubyte.gz", r, c);
  if (r != m.rows || c != m.cols) throw Error("mnist: " + dir + ": train and test images differ in size");
  m.test_labels = labels(dir + "/t10k-labels-idx1-ubyte.gz", m.test_images.size() / size_t(r * c));
  return m;
}

}  // namespace anneal::io
