// A GPT (nanoGPT's architecture): token and position embeddings, pre-LayerNorm blocks of causal
// multi-head self-attention and a GELU MLP, a final LayerNorm, and logits through the token embedding
// (tied weights). Parameter names follow nanoGPT's state_dict, so PyTorch checkpoints map one to one.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "anneal/nn/layers.h"

namespace anneal::nn {

struct GPTConfig {
  int64_t vocab = 65, context = 64, layers = 4, heads = 4, width = 128;
};

// softmax(q k^T / sqrt(d) + causal mask) v over (batch, heads, time, head dim) tensors.
Tensor causal_attention(const Tensor& q, const Tensor& k, const Tensor& v);

// The keys and values of one attention layer for positions 0..capacity-1, kept between calls so that a
// new token attends over the tokens before it without recomputing them. Each is a realized
// (batch, heads, capacity, head dim) tensor that forward_cached replaces (assign) with its update.
struct LayerCache {
  Tensor keys, values;
};

// Every layer's cache of a GPT, for `batch` sequences of at most `capacity` tokens.
struct KVCache {
  KVCache(const GPTConfig& c, int64_t batch, int64_t capacity, DType dtype);
  std::vector<LayerCache> layers;
  int64_t batch, capacity;
  // The cache tensors, for realize() together with the step's logits.
  std::vector<Tensor*> tensors();
};

class CausalSelfAttention : public Module {
 public:
  CausalSelfAttention(const GPTConfig& c);
  Tensor forward(const Tensor& x) override;  // (B, T, C) -> (B, T, C)
  // x: (B, T, C) at positions start_pos..start_pos+T-1. Writes their keys and values into `cache` and
  // attends over positions 0..start_pos+T-1 (causally within the T). start_pos may be symbolic.
  Tensor forward_cached(const Tensor& x, LayerCache& cache, const Dim& start_pos);
  NamedTensors named_parameters() override;
  Linear c_attn, c_proj;
  int64_t heads;
};

class Block : public Module {
 public:
  explicit Block(const GPTConfig& c);
  Tensor forward(const Tensor& x) override;
  Tensor forward_cached(const Tensor& x, LayerCache& cache, const Dim& start_pos);
  NamedTensors named_parameters() override;
  LayerNorm ln_1, ln_2;
  CausalSelfAttention attn;
  Linear c_fc, c_proj;  // the MLP: width -> 4 width -> GELU (tanh) -> width
};

class GPT : public Module {
 public:
  // Weights ~ N(0, 0.02) (residual projections 0.02 / sqrt(2 layers)), biases 0, as nanoGPT.
  explicit GPT(const GPTConfig& c);
  Tensor forward(const Tensor& idx) override;  // integer (B, T), T <= context -> logits (B, T, vocab)
  // Tokens idx (B, T) at positions start_pos..start_pos+T-1 (start_pos may be symbolic), the earlier
  // positions' keys and values read from `cache`, theirs written to it: the logits of the last
  // position, (B, vocab). Realize them together with cache.tensors().
  Tensor forward_cached(const Tensor& idx, KVCache& cache, const Dim& start_pos);
  // "transformer.wte.weight", "transformer.h.0.attn.c_attn.weight", ... (lm_head is wte: not repeated)
  NamedTensors named_parameters() override;

  // For inference: the output layer's weight becomes a realized copy of wte, transposed (width, rows)
  // and its rows padded to a multiple of 64 (GPT-2's 50257 to 50304, as nanoGPT and llm.c pad them):
  // matmul tiles need sizes they divide, and a vocabulary of 29 x 1733 has none. The logits are
  // computed over the padded rows and the padding cut off. Call it again after wte changes; training
  // leaves it unset (the output layer is then wte itself, tied).
  void pad_output_layer();

  const GPTConfig config;
  Embedding wte, wpe;
  std::vector<std::shared_ptr<Block>> blocks;
  LayerNorm ln_f;

 private:
  Tensor logits(const Tensor& x) const;  // (..., width) -> (..., vocab)
  Tensor output_weight_;                 // pad_output_layer's (width, padded vocab) copy, or undefined
};

// The number of parameter values of a GPT of config `c` (the sum over its named_parameters()), or
// std::nullopt when it overflows int64. Lets a checkpoint's config be checked against the file
// before a model is built: the constructor allocates every parameter.
std::optional<int64_t> parameter_count(const GPTConfig& c);

// Appends `new_tokens` tokens to `prompt`, each drawn from the model's distribution for the next token
// given the last `context` tokens: logits / temperature, restricted to the top_k largest (0 = all),
// sampled with a generator seeded by `seed`. temperature 0 picks the most likely token (greedy).
std::vector<int32_t> generate(GPT& model, std::vector<int32_t> prompt, int64_t new_tokens, double temperature = 1.0,
                              int64_t top_k = 0, uint64_t seed = 0);

}  // namespace anneal::nn
