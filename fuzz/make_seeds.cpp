// Writes the seed corpora of the fuzz targets into corpus/<target>/ (committed; rerun after a format
// change): small valid inputs of each format, from which the fuzzers mutate.
//   make_seeds FUZZ_DIR
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "anneal/io/safetensors.h"
#include "anneal/models/nanogpt.h"
#include "anneal/tensor/tensor.h"

using namespace anneal;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string idx(uint8_t dtype_code, const std::vector<uint32_t>& dims, const std::string& data) {
  std::string out = {0, 0, char(dtype_code), char(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out += char((d >> shift) & 0xff);
  return out + data;
}

std::string gzipped(const std::string& bytes) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 15 + 16: a gzip wrapper
  std::string out(deflateBound(&z, uLong(bytes.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path corpus = fs::path(argc > 1 ? argv[1] : ".") / "corpus";

  for (const char* target : {"safetensors", "checkpoint"}) fs::create_directories(corpus / target);
  io::save_safetensors((corpus / "safetensors" / "mixed.safetensors").string(),
                       {{"w", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3})},
                        {"i", Tensor::from_vector(std::vector<int64_t>{7}, {1})},
                        {"h", Tensor::from_vector(std::vector<float>{0.5f, -1}, {2}).cast(dtypes::float16)}},
                       {{"format", "pt"}});

  const std::string images = idx(0x08, {2, 2, 3}, std::string("\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xff", 12));
  const std::string labels = idx(0x08, {2}, std::string("\x03\x09", 2));
  write(corpus / "idx" / "images.idx", images);
  write(corpus / "idx" / "labels.idx", labels);
  write(corpus / "idx" / "images.idx.gz", gzipped(images));
  write(corpus / "idx" / "two_members.idx.gz", gzipped(images.substr(0, 9)) + gzipped(images.substr(9)));
  write(corpus / "idx" / "floats.idx", idx(0x0d, {2}, std::string("\x3f\x80\x00\x00\xc0\x00\x00\x00", 8)));

  write(corpus / "char_dataset" / "verse.txt", "In the beginning God created the heaven and the earth.\n");
  write(corpus / "char_dataset" / "bytes.txt", std::string("\x00\x01\xff\xfe\n\t caf\xc3\xa9", 12));

  write(corpus / "expr" / "floor.txt", "x=0..100 y=0..3\n((x*4+y)//4)%8");
  write(corpus / "expr" / "logic.txt", "x=-5..5\nwhere(x < 0 and not x == -1, min(x, 2), max(-x, 3)) != 4");

  // A checkpoint of a tiny model (vocabulary 5, one layer of width 4) after two steps.
  NanoGptOptions o;
  o.model = {0, 4, 1, 1, 4};
  o.batch = 2;
  o.steps = 2;
  o.warmup = 1;
  o.eval_every = 0;
  o.checkpoint = (corpus / "checkpoint" / "tiny.safetensors").string();
  train_nanogpt(o, io::CharDataset(std::string(64, 'a') + "bcd bcd bcd"), [](const NanoGptLog&) {});
  return 0;
}
