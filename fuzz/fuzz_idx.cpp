// IDX (plain and gzip'd, one or several members): magic, dtype, dimensions and their product against
// the data.
#include "anneal/io/idx.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string& path = anneal::fuzz::as_file(data, size, gzip ? ".idx.gz" : ".idx");
  anneal::fuzz::expect_value_or_error([&] { anneal::io::read_idx(path); });
  return 0;
}
