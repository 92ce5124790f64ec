#include "anneal/nn/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "anneal/support/error.h"

namespace anneal::nn {

TokenSampler::TokenSampler(const SamplingOptions& options) : options_(options), rng_(options.seed) {
  check(options.temperature >= 0 && options.top_k >= 0, "sampling: temperature and top_k must not be negative");
  check(options.top_p > 0 && options.top_p <= 1, "sampling: top_p must be in (0, 1]");
}

int32_t TokenSampler::next(const std::vector<float>& logits) {
  check(!logits.empty(), "sampling: no logits");
  if (options_.temperature == 0.0)
    return int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t keep = options_.top_k > 0 ? std::min(size_t(options_.top_k), order.size()) : order.size();
  // Only the kept tokens need to be in order (most likely first; ties by id).
  auto more_likely = [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; };
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(keep), order.end(), [&](int32_t a, int32_t b) {
    return more_likely(a, b) || (!more_likely(b, a) && a < b);
  });
  std::vector<double> weights(keep);
  const double top = logits[size_t(order[0])];
  for (size_t i = 0; i < keep; ++i) weights[i] = std::exp((double(logits[size_t(order[i])]) - top) / options_.temperature);
  if (options_.top_p < 1.0) {  // the smallest most-likely prefix whose probability reaches top_p
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    double sum = 0;
    size_t n = 0;
    while (n < keep && sum < options_.top_p * total) sum += weights[n++];
    weights.resize(std::max<size_t>(n, 1));
  }
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  return order[pick(rng_)];
}

}  // namespace anneal::nn
