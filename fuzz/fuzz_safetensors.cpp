// safetensors: header length, JSON, dtypes, shapes (overflow-checked products), offsets inside the
// data, neither overlapping nor leaving gaps.
#include "anneal/io/safetensors.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = anneal::fuzz::as_file(data, size, ".safetensors");
  anneal::fuzz::expect_value_or_error([&] { anneal::io::load_safetensors(path); });
  return 0;
}
