// GPT-2 (OpenAI's weights as Hugging Face ships them) on anneal's GPT: gpt2, gpt2-medium, gpt2-large and
// gpt2-xl checkpoints, read from model.safetensors.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "anneal/io/download.h"
#include "anneal/nn/transformer.h"

namespace anneal {

struct Gpt2Checkpoint {
  std::shared_ptr<nn::GPT> model;
  bool config_from_file = false;  // config.json was read (else the sizes came from the tensors)
};

// Reads a Hugging Face GPT-2 checkpoint: `path` is its model.safetensors. The sizes come from the
// config.json beside it when there is one, else from the tensors' shapes (with GPT-2's head size, 64).
// Both name layouts are accepted ("transformer.h.0..." as GPT2LMHeadModel saves, "h.0..." as the hub's
// files); Conv1D weights ([in, out]) are transposed; the attn.bias / attn.masked_bias buffers of older
// files and a tied lm_head.weight are ignored. `dtype` float32 keeps the file's values; float16 or
// bfloat16 converts them at load. Anything else (a missing or extra tensor, a wrong shape, a config
// this model does not implement) is an anneal::Error naming the file.
Gpt2Checkpoint load_gpt2(const std::string& path, DType dtype = dtypes::float32);

// The published checkpoints: "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl".
const std::vector<std::string>& gpt2_model_names();
// model.safetensors of `name` on the Hugging Face hub at a pinned revision, with its SHA-256 and size.
// $HF_ENDPOINT replaces https://huggingface.co (a mirror), as it does for huggingface_hub.
io::Asset gpt2_weights_asset(const std::string& name);

}  // namespace anneal
