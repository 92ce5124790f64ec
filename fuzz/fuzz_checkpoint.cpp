// nanoGPT checkpoints: a safetensors file whose metadata (meta.config, meta.step, the vocabulary) must
// describe a model that is in range and agrees with the tensors, before anything is allocated.
#include "anneal/models/nanogpt.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = anneal::fuzz::as_file(data, size, ".safetensors");
  anneal::fuzz::expect_value_or_error([&] { anneal::load_nanogpt(path); });
  return 0;
}
