#include "anneal/nn/transformer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <random>

#include "anneal/nn/sampling.h"
#include "anneal/support/checked_int.h"
#include "anneal/tensor/variable.h"

namespace anneal::nn {
namespace {

// Linear layers start as nanoGPT's: N(0, std) weights, zero biases.
void init_linear(Linear& l, double std) {
  l.weight = normal_parameter(l.weight.shape(), std);
  l.bias = filled_parameter(l.bias.shape(), 0.0);
}

// Runs before any member is built (config is the first member): a negative or zero size must be an
// error, not the shape of an embedding allocated from it.
const GPTConfig& positive_sizes(const GPTConfig& c) {
  check(c.vocab > 0 && c.context > 0 && c.layers > 0 && c.heads > 0 && c.width > 0, "GPT: every size must be positive");
  return c;
}

// a * b + c, or std::nullopt when it overflows (or when a or c already did).
std::optional<int64_t> mul_add(std::optional<int64_t> a, int64_t b, std::optional<int64_t> c) {
  if (!a || !c) return std::nullopt;
  const std::optional<int64_t> product = checked_mul(*a, b);
  return product ? checked_add(*product, *c) : std::nullopt;
}

void add_prefixed(NamedTensors& out, const std::string& prefix, const NamedTensors& params) {
  for (const auto& [name, t] : params) out.push_back({prefix + name, t});
}

}  // namespace

Tensor causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  check(q.ndim() == 4 && k.shape() == q.shape() && v.shape() == q.shape(), [&] {
    return "causal_attention: q, k, v must share a (batch, heads, time, head dim) shape, got " + shape_str(q.shape()) +
           ", " + shape_str(k.shape()) + ", " + shape_str(v.shape());
  });
  const Dim t = q.shape()[2];  // symbolic for a sequence of variable length
  const Tensor scores = q.matmul(k.transpose()) * (1.0 / std::sqrt(double(q.shape()[3])));
  // Position i sees positions j <= i.
  const Tensor visible = Tensor::arange(t).reshape({t, 1}).ge(Tensor::arange(t).reshape({1, t}));
  const Tensor masked = visible.where(scores, Tensor::full({}, -std::numeric_limits<double>::infinity(), scores.dtype()));
  return masked.softmax(-1).matmul(v);
}

KVCache::KVCache(const GPTConfig& c, int64_t batch_, int64_t capacity_, DType dtype) : batch(batch_), capacity(capacity_) {
  check(batch > 0 && capacity > 0 && capacity <= c.context, [&] {
    return "KVCache: batch " + std::to_string(batch) + " and capacity " + std::to_string(capacity) +
           " must be positive, the capacity at most the context of " + std::to_string(c.context);
  });
  const Shape shape{batch, c.heads, capacity, c.width / c.heads};
  for (int64_t i = 0; i < c.layers; ++i)
    layers.push_back({Tensor::filled(shape, 0.0, dtype), Tensor::filled(shape, 0.0, dtype)});
}

std::vector<Tensor*> KVCache::tensors() {
  std::vector<Tensor*> out;
  for (LayerCache& l : layers) out.insert(out.end(), {&l.keys, &l.values});
  return out;
}

namespace {

// `cache` with positions start_pos..start_pos+T-1 replaced by `fresh` (B, H, T, D): an elementwise
// select over the whole cache, so the update is one fused kernel and the cache keeps its shape.
Tensor cache_update(const Tensor& cache, const Tensor& fresh, const Dim& start_pos) {
  const Dim capacity = cache.shape()[2], t = fresh.shape()[2];
  const Tensor placed = fresh.pad({{0, 0}, {0, 0}, {start_pos, capacity - start_pos - t}, {0, 0}});
  const Tensor pos = Tensor::arange(capacity).reshape({1, 1, capacity, 1});
  const Tensor start = Tensor::scalar(start_pos, dtypes::int32), end = Tensor::scalar(start_pos + t, dtypes::int32);
  return pos.ge(start).where(pos.lt(end).where(placed, cache), cache);
}

}  // namespace

CausalSelfAttention::CausalSelfAttention(const GPTConfig& c)
    : c_attn(c.width, 3 * c.width), c_proj(c.width, c.width), heads(c.heads) {
  check(c.width % c.heads == 0, [&] {
    return "GPT: width " + std::to_string(c.width) + " is not a multiple of " + std::to_string(c.heads) + " heads";
  });
  init_linear(c_attn, 0.02);
  init_linear(c_proj, 0.02 / std::sqrt(2.0 * double(c.layers)));
}

Tensor CausalSelfAttention::forward(const Tensor& x) {
  const Dim b = x.shape()[0], t = x.shape()[1];
  const int64_t c = x.shape()[2], hd = c / heads;
  const Tensor qkv = c_attn(x);
  auto head_view = [&](int64_t part) {
    return qkv.shrink({{0, b}, {0, t}, {part * c, (part + 1) * c}}).reshape({b, t, heads, hd}).permute({0, 2, 1, 3});
  };
  const Tensor y = causal_attention(head_view(0), head_view(1), head_view(2));
  return c_proj(y.permute({0, 2, 1, 3}).reshape({b, t, c}));
}

Tensor CausalSelfAttention::forward_cached(const Tensor& x, LayerCache& cache, const Dim& start_pos) {
  const Dim b = x.shape()[0];
  const int64_t t = x.shape()[1], c = x.shape()[2], hd = c / heads;
  const Tensor qkv = c_attn(x);
  auto head_view = [&](int64_t part) {
    return qkv.shrink({{0, b}, {0, t}, {part * c, (part + 1) * c}}).reshape({b, t, heads, hd}).permute({0, 2, 1, 3});
  };
  cache.keys.assign(cache_update(cache.keys, head_view(1), start_pos));
  cache.values.assign(cache_update(cache.values, head_view(2), start_pos));
  const Dim seen = start_pos + t;  // positions 0..start_pos+T-1
  const Tensor k = cache.keys.shrink({{0, b}, {0, heads}, {0, seen}, {0, hd}});
  const Tensor v = cache.values.shrink({{0, b}, {0, heads}, {0, seen}, {0, hd}});
  Tensor scores = head_view(0).matmul(k.transpose()) * (1.0 / std::sqrt(double(hd)));
  if (t > 1) {  // query i (at start_pos + i) sees positions j <= start_pos + i
    const Tensor query_pos = Tensor::arange(t).reshape({t, 1}) + Tensor::scalar(start_pos, dtypes::int32);
    const Tensor visible = query_pos.ge(Tensor::arange(seen).reshape({1, seen}));
    scores = visible.where(scores, Tensor::full({}, -std::numeric_limits<double>::infinity(), scores.dtype()));
  }
  const Tensor y = scores.softmax(-1).matmul(v);
  return c_proj(y.permute({0, 2, 1, 3}).reshape({b, t, c}));
}

NamedTensors CausalSelfAttention::named_parameters() {
  NamedTensors out;
  add_prefixed(out, "c_attn.", c_attn.named_parameters());
  add_prefixed(out, "c_proj.", c_proj.named_parameters());
  return out;
}

Block::Block(const GPTConfig& c)
    : ln_1(c.width), ln_2(c.width), attn(c), c_fc(c.width, 4 * c.width), c_proj(4 * c.width, c.width) {
  init_linear(c_fc, 0.02);
  init_linear(c_proj, 0.02 / std::sqrt(2.0 * double(c.layers)));
}

Tensor Block::forward(const Tensor& x) {
  const Tensor h = x + attn(ln_1(x));
  return h + c_proj(c_fc(ln_2(h)).gelu());
}

Tensor Block::forward_cached(const Tensor& x, LayerCache& cache, const Dim& start_pos) {
  const Tensor h = x + attn.forward_cached(ln_1(x), cache, start_pos);
  return h + c_proj(c_fc(ln_2(h)).gelu());
}

NamedTensors Block::named_parameters() {
  NamedTensors out;
  add_prefixed(out, "ln_1.", ln_1.named_parameters());
  add_prefixed(out, "attn.", attn.named_parameters());
  add_prefixed(out, "ln_2.", ln_2.named_parameters());
  add_prefixed(out, "mlp.c_fc.", c_fc.named_parameters());
  add_prefixed(out, "mlp.c_proj.", c_proj.named_parameters());
  return out;
}

GPT::GPT(const GPTConfig& c) : config(positive_sizes(c)), wte(c.vocab, c.width), wpe(c.context, c.width), ln_f(c.width) {
  wte.weight = normal_parameter({c.vocab, c.width}, 0.02);
  wpe.weight = normal_parameter({c.context, c.width}, 0.02);
  for (int64_t i = 0; i < c.layers; ++i) blocks.push_back(std::make_shared<Block>(c));
}

Tensor GPT::forward(const Tensor& idx) {
  check(idx.ndim() == 2 && idx.dtype().is_int(), [&] {
    return "GPT: input must be integer token ids of shape (batch, time), got " + shape_str(idx.shape()) + " " +
           std::string(idx.dtype().name());
  });
  const Dim t = idx.shape()[1];  // a symbolic length must fit the context at its maximum
  check(t.vmin() >= 1 && t.vmax() <= config.context, [&] {
    const std::string most = t.is_symbolic() ? " (up to " + std::to_string(t.vmax()) + ")" : "";
    return "GPT: " + t.str() + " tokens" + most + " do not fit the context of " + std::to_string(config.context);
  });
  Tensor x = wte(idx) + wpe(Tensor::arange(t));
  for (const auto& block : blocks) x = (*block)(x);
  return logits(ln_f(x));
}

void GPT::pad_output_layer() {
  const int64_t padded = (config.vocab + 63) / 64 * 64;
  // Stored (width, padded rows): the product reads it along rows, with no per-call transposing copy.
  output_weight_ = padded == config.vocab ? Tensor()
                                          : wte.weight.detach().pad({{0, padded - config.vocab}, {0, 0}}).transpose().contiguous();
  if (output_weight_.defined()) output_weight_.realize();
}

Tensor GPT::logits(const Tensor& x) const {
  if (!output_weight_.defined()) return x.matmul(wte.weight.transpose());  // lm_head tied to the token embedding
  // The product over every padded row into a buffer, then the real rows: fused, the cut would bring
  // the matmul's columns back to the unpadded count.
  const Tensor all = x.matmul(output_weight_).contiguous();
  std::vector<std::pair<Dim, Dim>> keep;
  for (const Dim& d : all.shape()) keep.push_back({0, d});
  keep.back().second = config.vocab;
  return all.shrink(keep);
}

Tensor GPT::forward_cached(const Tensor& idx, KVCache& cache, const Dim& start_pos) {
  check(idx.ndim() == 2 && idx.dtype().is_int() && idx.shape()[0] == cache.batch, [&] {
    return "GPT: cached input must be integer token ids of shape (" + std::to_string(cache.batch) + ", time), got " +
           shape_str(idx.shape()) + " " + std::string(idx.dtype().name());
  });
  check(cache.layers.size() == blocks.size(), "GPT: the cache was made for another number of layers");
  const int64_t t = idx.shape()[1];
  check(start_pos.vmin() >= 0 && start_pos.vmax() + t <= cache.capacity, [&] {
    return "GPT: positions " + start_pos.str() + ".." + (start_pos + t - 1).str() + " (up to " +
           std::to_string(start_pos.vmax() + t - 1) + ") do not fit the cache of " + std::to_string(cache.capacity);
  });
  const Tensor positions = wpe.weight.shrink({{start_pos, start_pos + t}, {0, config.width}});
  Tensor x = wte(idx) + positions;
  for (size_t i = 0; i < blocks.size(); ++i) x = blocks[i]->forward_cached(x, cache.layers[i], start_pos);
  const Tensor last = x.shrink({{0, idx.shape()[0]}, {t - 1, t}, {0, config.width}}).reshape({idx.shape()[0], config.width});
  return logits(ln_f(last));
}

NamedTensors GPT::named_parameters() {
  NamedTensors out{{"transformer.wte.weight", wte.weight}, {"transformer.wpe.weight", wpe.weight}};
  for (size_t i = 0; i < blocks.size(); ++i)
    add_prefixed(out, "transformer.h." + std::to_string(i) + ".", blocks[i]->named_parameters());
  add_prefixed(out, "transformer.ln_f.", ln_f.named_parameters());
  return out;
}

std::optional<int64_t> parameter_count(const GPTConfig& c) {
  const int64_t w = c.width;
  // One block: ln_1, ln_2 (2w each); attn.c_attn (3w x w + 3w), attn.c_proj (w x w + w);
  // mlp.c_fc (4w x w + 4w), mlp.c_proj (w x 4w + w): 12 w^2 + 13 w.
  const std::optional<int64_t> block = mul_add(checked_mul(w, w), 12, mul_add(w, 13, 0));
  std::optional<int64_t> total = mul_add(w, 2, 0);  // ln_f
  total = mul_add(c.vocab, w, total);               // wte (also the output layer: the weights are tied)
  total = mul_add(c.context, w, total);             // wpe
  return mul_add(block, c.layers, total);
}

std::vector<int32_t> generate(GPT& model, std::vector<int32_t> prompt, int64_t new_tokens, double temperature,
                              int64_t top_k, uint64_t seed) {
  check(!prompt.empty(), "generate: the prompt needs at least one token");
  check(new_tokens >= 0, "generate: new_tokens must not be negative");
  TokenSampler sampler({temperature, top_k, 1.0, seed});
  for (int32_t t : prompt)
    check(t >= 0 && t < model.config.vocab, [&] { return "generate: token " + std::to_string(t) + " is not in the vocabulary"; });
  const bool was_training = model.training();
  model.train(false);
  const int64_t vocab = model.config.vocab, context = model.config.context;
  // The window's length is a variable: every step has the same graph and the same kernels, compiled
  // once, and a short text computes only its own positions.
  const Variable length("T", 1, context);
  for (int64_t n = 0; n < new_tokens; ++n) {
    const size_t start = prompt.size() > size_t(context) ? prompt.size() - size_t(context) : 0;
    const std::vector<int32_t> window(prompt.begin() + std::ptrdiff_t(start), prompt.end());
    const Dim t = length.bind(int64_t(window.size()));
    const Tensor logits = model(Tensor::from_vector(window, {1, t})).shrink({{0, 1}, {t - 1, t}, {0, vocab}});
    prompt.push_back(sampler.next(logits.to_vector<float>()));
  }
  model.train(was_training);
  return prompt;
}

}  // namespace anneal::nn
