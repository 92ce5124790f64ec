#include "anneal/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <span>

#include "anneal/support/checked_int.h"

namespace anneal::io {
namespace {

// The largest IDX header: magic, type, a one-byte rank and up to 255 big-endian dimensions.
constexpr size_t kMaxHeaderBytes = 4 + 4 * 255;
// More elements than any data set this reads; a header claiming more is damaged or hostile.
constexpr int64_t kMaxElements = int64_t(1) << 40;

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("idx: cannot open " + path + ": " + std::strerror(errno));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool is_gzip_member_at(const std::vector<uint8_t>& bytes, size_t at) {
  return bytes.size() >= at + 2 && bytes[at] == 0x1f && bytes[at + 1] == 0x8b;
}

// Ends a zlib inflate stream however the decoding loop is left.
class InflateStream {
 public:
  explicit InflateStream(const std::string& path) {
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error("idx: " + path + ": cannot start gzip decoder");  // gzip only
  }
  ~InflateStream() { inflateEnd(&zs); }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
  z_stream zs{};
};

// Decompresses gzip data as gunzip does: concatenated members form one stream. Stops once `limit`
// bytes are out, so that a small file cannot inflate into unbounded memory: the caller asks for
// what the IDX header needs plus one byte, which is enough to tell trailing data apart. Anything
// after the last member that is not another member is an error.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path, size_t limit) {
  InflateStream stream(path);
  z_stream& zs = stream.zs;
  size_t fed = 0;  // bytes of `in` handed to zlib so far; avail_in is 32 bits, so large files go in pieces
  auto unread = [&] { return size_t(zs.avail_in) + (in.size() - fed); };
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  while (out.size() < limit) {
    if (zs.avail_in == 0 && fed < in.size()) {
      const size_t piece = std::min(in.size() - fed, size_t(std::numeric_limits<uInt>::max()));
      zs.next_in = const_cast<Bytef*>(in.data() + fed);
      zs.avail_in = uInt(piece);
      fed += piece;
    }
    zs.next_out = chunk;
    zs.avail_out = uInt(std::min(sizeof chunk, limit - out.size()));
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), chunk, zs.next_out);
    if (rc == Z_STREAM_END) {
      if (unread() == 0) return out;
      const size_t next = in.size() - unread();
      if (!is_gzip_member_at(in, next))
        throw Error("idx: " + path + ": " + std::to_string(unread()) + " bytes of trailing data after the gzip stream (offset " +
                    std::to_string(next) + ")");
      inflateReset(&zs);
      continue;
    }
    // Output space is never zero here, so no progress means the input ran out inside a member.
    if (rc == Z_BUF_ERROR) throw Error("idx: " + path + ": gzip data ends early");
    if (rc != Z_OK)
      throw Error("idx: " + path + ": corrupt gzip data" + (zs.msg ? std::string(" (") + zs.msg + ")" : ""));
  }
  return out;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

struct IdxHeader {
  DType dtype;
  std::vector<int64_t> shape;
  size_t data_offset = 0;  // bytes of header before the data
  size_t data_bytes = 0;   // what the shape and element type need
};

DType idx_dtype(uint8_t code, const std::string& path) {
  switch (code) {
    case 0x08: return dtypes::uint8;
    case 0x09: return dtypes::int8;
    case 0x0B: return dtypes::int16;
    case 0x0C: return dtypes::int32;
    case 0x0D: return dtypes::float32;
    case 0x0E: return dtypes::float64;
    default: {
      constexpr char kHex[] = "0123456789abcdef";
      throw Error("idx: " + path + ": unknown element type 0x" + kHex[code >> 4] + kHex[code & 15]);
    }
  }
}

// Parses the header at the start of `raw` (which may hold only a prefix of the file). The element
// count is computed overflow-checked before anything is sized by it.
IdxHeader parse_header(const std::vector<uint8_t>& raw, const std::string& path) {
  if (raw.size() < 4 || raw[0] != 0 || raw[1] != 0) throw Error("idx: " + path + ": not an IDX file (bad magic number)");
  IdxHeader h;
  h.dtype = idx_dtype(raw[2], path);
  const size_t ndim = raw[3];
  h.data_offset = 4 + 4 * ndim;
  if (raw.size() < h.data_offset) throw Error("idx: " + path + ": header ends early");
  for (size_t i = 0; i < ndim; ++i) h.shape.push_back(int64_t(be32(&raw[4 + 4 * i])));
  const std::optional<int64_t> count = checked_product(std::span<const int64_t>(h.shape));
  if (!count || *count > kMaxElements)
    throw Error("idx: " + path + ": dimensions " + shape_str(h.shape) + " are implausibly large (more than 2^40 elements)");
  h.data_bytes = size_t(*count) * size_t(h.dtype.itemsize());  // at most 2^40 elements of 8 bytes: no overflow
  return h;
}

// The array of a whole decompressed file whose header is `h`.
IdxArray idx_array(const IdxHeader& h, const std::vector<uint8_t>& raw, const std::string& path) {
  const size_t have = raw.size() - std::min(raw.size(), h.data_offset);
  if (have != h.data_bytes)
    throw Error("idx: " + path + ": expected " + std::to_string(h.data_bytes) + " data bytes for shape " + shape_str(h.shape) +
                (have < h.data_bytes ? ", found " + std::to_string(have) : ", found trailing data after them"));
  IdxArray a{h.shape, h.dtype, std::vector<uint8_t>(raw.begin() + std::ptrdiff_t(h.data_offset), raw.end())};
  const size_t item = size_t(h.dtype.itemsize());
  if (item > 1)  // IDX is big-endian
    for (size_t i = 0; i < a.data.size(); i += item) std::reverse(a.data.begin() + std::ptrdiff_t(i), a.data.begin() + std::ptrdiff_t(i + item));
  return a;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  const std::vector<uint8_t> file = read_file(path);
  if (!is_gzip_member_at(file, 0)) return idx_array(parse_header(file, path), file, path);
  // The header says how many bytes must follow it: inflate the header first, then exactly that much
  // and one byte more.
  const IdxHeader h = parse_header(gunzip(file, path, kMaxHeaderBytes), path);
  return idx_array(h, gunzip(file, path, h.data_offset + h.data_bytes + 1), path);
}

namespace {

struct Images {
  std::vector<float> pixels;  // (count, rows * cols), in [0, 1]
  int64_t count = 0, rows = 0, cols = 0;
};

Images read_images(const std::string& path) {
  const IdxArray a = read_idx(path);
  if (a.dtype != dtypes::uint8 || a.shape.size() != 3) throw Error("mnist: " + path + ": expected uint8 (N, H, W) images");
  Images im{{}, a.shape[0], a.shape[1], a.shape[2]};
  if (im.count == 0) throw Error("mnist: " + path + ": holds no images");
  if (im.rows == 0 || im.cols == 0)
    throw Error("mnist: " + path + ": images are " + std::to_string(im.rows) + "x" + std::to_string(im.cols) +
                " pixels; rows and columns must be positive");
  im.pixels.resize(a.data.size());
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = float(a.data[i]) / 255.0f;
  return im;
}

std::vector<int32_t> read_labels(const std::string& path, int64_t count) {
  const IdxArray a = read_idx(path);
  if (a.dtype != dtypes::uint8 || a.shape.size() != 1 || a.shape[0] != count)
    throw Error("mnist: " + path + ": expected " + std::to_string(count) + " uint8 labels");
  for (size_t i = 0; i < a.data.size(); ++i)
    if (a.data[i] >= kMnistClasses)
      throw Error("mnist: " + path + ": label " + std::to_string(a.data[i]) + " at index " + std::to_string(i) +
                  " is outside [0, " + std::to_string(kMnistClasses) + ")");
  return std::vector<int32_t>(a.data.begin(), a.data.end());
}

}  // namespace

Mnist load_mnist(const std::string& dir) {
  Mnist m;
  Images train = read_images(dir + "/train-images-idx3-ubyte.gz");
  m.train_labels = read_labels(dir + "/train-labels-idx1-ubyte.gz", train.count);
  Images test = read_images(dir + "/t10k-images-idx3-ubyte.gz");
  if (test.rows != train.rows || test.cols != train.cols) throw Error("mnist: " + dir + ": train and test images differ in size");
  m.test_labels = read_labels(dir + "/t10k-labels-idx1-ubyte.gz", test.count);
  m.rows = train.rows;
  m.cols = train.cols;
  m.train_images = std::move(train.pixels);
  m.test_images = std::move(test.pixels);
  return m;
}

}  // namespace anneal::io
