// safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "anneal/nn/layers.h"
#include "anneal/tensor/tensor.h"

namespace anneal::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Writes the tensors (realizing them) to `path` atomically (support/atomic_file.h): a failure or a
// SIGKILL at any moment leaves the old file or the new one, never a torn one.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads every tensor. A malformed file (header past the end, bad JSON, unknown dtype, offsets out of
// range or overlapping, sizes that disagree with shapes) raises anneal::Error naming path and entry.
NamedTensors load_safetensors(const std::string& path);

// Copies a state dict into a module's parameters by name. Every name must exist with the same shape
// and dtype; everything is checked before any parameter changes.
void load_state_dict(nn::Module& module, const NamedTensors& state);

}  // namespace anneal::io
