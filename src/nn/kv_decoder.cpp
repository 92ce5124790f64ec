#include "anneal/nn/kv_decoder.h"

namespace anneal::nn {
namespace {

std::vector<float> last_logits(Tensor& logits, KVCache& cache) {
  std::vector<Tensor*> all = cache.tensors();
  all.push_back(&logits);
  realize(all);  // the logits and every layer's cache update in one schedule
  return logits.to_vector<float>();
}

}  // namespace

KVDecoder::KVDecoder(GPT& model, int64_t capacity)
    : model_(model),
      cache_(model.config, 1, capacity, model.wte.weight.dtype()),
      start_pos_("start_pos", 0, capacity - 1),
      bound_pos_(0),
      jit_([this](const std::vector<Tensor>& in) {
        Tensor logits = model_.forward_cached(in[0], cache_, bound_pos_);
        last_logits(logits, cache_);
        return std::vector<Tensor>{logits};
      }) {}

std::vector<float> KVDecoder::prefill(const std::vector<int32_t>& prompt) {
  check(!prompt.empty() && int64_t(prompt.size()) <= capacity(), [&] {
    return "decode: a prompt of " + std::to_string(prompt.size()) + " tokens does not fit the cache of " +
           std::to_string(capacity()) + " positions";
  });
  const int64_t n = int64_t(prompt.size());
  Tensor logits = model_.forward_cached(Tensor::from_vector(prompt, {1, n}), cache_, Dim(0));
  std::vector<float> out = last_logits(logits, cache_);
  position_ = n;
  return out;
}

std::vector<float> KVDecoder::step(int32_t token) {
  check(position_ < capacity(), [&] { return "decode: the cache of " + std::to_string(capacity()) + " positions is full"; });
  check(token >= 0 && token < model_.config.vocab, [&] { return "decode: token " + std::to_string(token) + " is not in the vocabulary"; });
  bound_pos_ = start_pos_.bind(position_);
  const std::vector<Tensor> out = jit_({Tensor::from_vector(std::vector<int32_t>{token}, {1, 1})}, {bound_pos_});
  ++position_;
  return out[0].to_vector<float>();
}

std::vector<int32_t> generate_cached(GPT& model, std::vector<int32_t> prompt, int64_t new_tokens,
                                     const SamplingOptions& options, const std::function<void(int32_t)>& on_token,
                                     int32_t stop_token) {
  check(new_tokens >= 0, "generate: new_tokens must not be negative");
  const int64_t total = int64_t(prompt.size()) + new_tokens;
  check(total <= model.config.context, [&] {
    return "generate: " + std::to_string(prompt.size()) + " prompt tokens + " + std::to_string(new_tokens) +
           " new ones exceed the context of " + std::to_string(model.config.context);
  });
  for (int32_t t : prompt)
    check(t >= 0 && t < model.config.vocab, [&] { return "generate: token " + std::to_string(t) + " is not in the vocabulary"; });
  if (new_tokens == 0) return prompt;
  const bool was_training = model.training();
  model.train(false);
  TokenSampler sampler(options);
  // The last new token is never fed back: the cache needs one position less than the total.
  KVDecoder decoder(model, std::max<int64_t>(total - 1, int64_t(prompt.size())));
  std::vector<float> logits = decoder.prefill(prompt);
  for (int64_t n = 0; n < new_tokens; ++n) {
    const int32_t token = sampler.next(logits);
    prompt.push_back(token);
    if (on_token) on_token(token);
    if (token == stop_token || n + 1 == new_tokens) break;
    logits = decoder.step(token);
  }
  model.train(was_training);
  return prompt;
}

}  // namespace anneal::nn
