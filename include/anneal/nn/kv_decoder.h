// Autoregressive decoding of a GPT with a key/value cache. The prompt goes through the model in one
// forward pass (prefill); then each new token is one step at position `start_pos`, a symbolic size, so
// token 2 and token 900 run the same kernels: the first steps compile them, the JIT replays them after.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "anneal/nn/sampling.h"
#include "anneal/nn/transformer.h"
#include "anneal/tensor/jit.h"
#include "anneal/tensor/variable.h"

namespace anneal::nn {

class KVDecoder {
 public:
  // Room for `capacity` positions (at most the model's context), one sequence.
  KVDecoder(GPT& model, int64_t capacity);
  // Feeds the prompt at positions 0..n-1 (after a reset); returns the logits of the token that follows.
  std::vector<float> prefill(const std::vector<int32_t>& prompt);
  // Feeds one token at position(); returns the logits of the next.
  std::vector<float> step(int32_t token);
  int64_t position() const { return position_; }
  int64_t capacity() const { return cache_.capacity; }
  const Jit& jit() const { return jit_; }

 private:
  GPT& model_;
  KVCache cache_;
  Variable start_pos_;
  Dim bound_pos_;  // this step's position, read by the step function when it runs
  Jit jit_;
  int64_t position_ = 0;
};

// The prompt followed by up to `new_tokens` tokens sampled with `options`, decoded with a KVDecoder;
// `on_token` sees each new token as it is chosen. Stops early after `stop_token` (-1: never).
std::vector<int32_t> generate_cached(GPT& model, std::vector<int32_t> prompt, int64_t new_tokens,
                                     const SamplingOptions& options, const std::function<void(int32_t)>& on_token = {},
                                     int32_t stop_token = -1);

}  // namespace anneal::nn
