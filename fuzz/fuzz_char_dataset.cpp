// Character corpora: any bytes make a vocabulary (or a clear error for an empty text); encoding and
// decoding the text round-trips.
#include <cstdlib>

#include "anneal/io/char_dataset.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = anneal::fuzz::as_file(data, size, ".txt");
  anneal::fuzz::expect_value_or_error([&] {
    const anneal::io::CharDataset d = anneal::io::CharDataset::from_file(path);
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (d.decode(d.encode(text)) != text) std::abort();  // a finding: the round trip lost bytes
  });
  return 0;
}
