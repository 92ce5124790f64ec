// Picking the next token from a model's logits, as Hugging Face's generate does: logits / temperature,
// then the top_k most likely, then the smallest set of those whose probabilities reach top_p, then one
// drawn at random (seeded). Temperature 0 is greedy: the most likely token, the first on a tie.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace anneal::nn {

struct SamplingOptions {
  double temperature = 1.0;
  int64_t top_k = 0;   // 0: every token
  double top_p = 1.0;  // 1: no nucleus cut
  uint64_t seed = 0;
};

class TokenSampler {
 public:
  // anneal::Error for a negative temperature or top_k, or top_p outside (0, 1].
  explicit TokenSampler(const SamplingOptions& options);
  int32_t next(const std::vector<float>& logits);

 private:
  SamplingOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace anneal::nn
