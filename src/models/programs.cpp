#include "anneal/models/programs.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "anneal/models/classifier.h"
#include "anneal/nn/transformer.h"
#include "anneal/nn/optim.h"
#include "anneal/tensor/random.h"
#include "anneal/tensor/variable.h"

namespace anneal {
namespace {

Tensor uniform(const Shape& shape, uint64_t seed, float bound) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist{-bound, bound};
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector(v, shape);
}

Program matmul() {
  return {"matmul", "64x128 @ 128x32", {uniform({64, 128}, 1, 1).matmul(uniform({128, 32}, 2, 1))}};
}

Program softmax() { return {"softmax", "softmax over the last axis of 64x1000", {uniform({64, 1000}, 3, 4).softmax(-1)}}; }

Program mlp_forward() {
  Tensor x = uniform({64, 784}, 4, 1);
  Tensor w1 = uniform({784, 512}, 5, 1 / std::sqrt(784.f)), b1 = uniform({512}, 6, 1 / std::sqrt(784.f));
  Tensor w2 = uniform({512, 10}, 7, 1 / std::sqrt(512.f)), b2 = uniform({10}, 8, 1 / std::sqrt(512.f));
  return {"mlp-forward", "x 64x784 -> Linear 784->512 -> ReLU -> Linear 512->10",
          {(x.matmul(w1) + b1).relu().matmul(w2) + b2}};
}

Program conv2d() {
  Tensor x = uniform({1, 3, 32, 32}, 9, 1);
  Tensor w = uniform({16, 3, 3, 3}, 10, 1 / std::sqrt(27.f)), b = uniform({16}, 11, 1 / std::sqrt(27.f));
  return {"conv2d", "1x3x32x32, 16 filters 3x3, pad 1, + bias, ReLU", {x.conv2d(w, b, {1, 1}, {1, 1}).relu()}};
}

Program attention() {
  const int64_t b = 2, h = 4, t = 64, d = 32;
  Tensor q = uniform({b, h, t, d}, 12, 1), k = uniform({b, h, t, d}, 13, 1), v = uniform({b, h, t, d}, 14, 1);
  Tensor scores = q.matmul(k.transpose(-1, -2)) * (1.0 / std::sqrt(double(d)));
  Tensor causal = Tensor::arange(t).reshape({t, 1}).ge(Tensor::arange(t).reshape({1, t}));
  Tensor masked = causal.where(scores, scores.scalar_like(-INFINITY));
  return {"attention", "batch 2, 4 heads, 64 tokens, head dim 32, causal softmax(QK^T/sqrt(d))V",
          {masked.softmax(-1).matmul(v)}};
}

// Symbolic: one query over a cache of start_pos + 1 keys (decoding one token at position start_pos).
// The kernels take start_pos as an argument: every position runs the same compiled code.
Program attention_kv() {
  const int64_t h = 4, max_len = 128, d = 32, start_pos = 40;
  const Variable pos("start_pos", 0, max_len - 1);
  const Dim end = pos.bind(start_pos) + 1;
  Tensor q = uniform({h, 1, d}, 15, 1), cache_k = uniform({h, max_len, d}, 16, 1), cache_v = uniform({h, max_len, d}, 17, 1);
  const Tensor k = cache_k.shrink({{0, h}, {0, end}, {0, d}}), v = cache_v.shrink({{0, h}, {0, end}, {0, d}});
  const Tensor scores = q.matmul(k.transpose(-1, -2)) * (1.0 / std::sqrt(double(d)));
  return {"attention-kv", "4 heads, head dim 32: one query over a KV cache of start_pos+1 of 128 keys (start_pos = 40, symbolic)",
          {scores.softmax(-1).matmul(v)}};
}

}  // namespace

const std::vector<std::string>& program_names() {
  static const std::vector<std::string> names = {"matmul", "softmax", "mlp-forward", "conv2d", "attention", "attention-kv"};
  return names;
}

Program build_program(const std::string& name) {
  if (name == "matmul") return matmul();
  if (name == "softmax") return softmax();
  if (name == "mlp-forward") return mlp_forward();
  if (name == "conv2d") return conv2d();
  if (name == "attention") return attention();
  if (name == "attention-kv") return attention_kv();
  std::string known;
  for (const std::string& n : program_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown program '" + name + "' (known: " + known + ")");
}

const std::vector<std::string>& train_step_names() {
  static const std::vector<std::string> names = {"mlp", "conv", "dynmlp", "nanogpt"};
  return names;
}

TrainStep build_train_step(const std::string& name) {
  manual_seed(0);
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<nn::Optimizer> opt;
  Tensor loss;
  std::string description;
  if (name == "nanogpt") {
    // W4s (4 layers, 4 heads, width 128, context 64, 65 characters), batch 8, AdamW as `train nanogpt`.
    const nn::GPTConfig c;
    auto gpt = std::make_shared<nn::GPT>(c);
    opt = std::make_unique<nn::AdamW>(nn::decay_groups(*gpt, 0.1), 1e-3, 0.9, 0.95, 1e-8);
    const Tensor x = Tensor::randint({8, c.context}, 0, c.vocab), y = Tensor::randint({8, c.context}, 0, c.vocab);
    loss = nn::cross_entropy((*gpt)(x).reshape({8 * c.context, c.vocab}), y.reshape({8 * c.context}));
    model = gpt;
    description = "one AdamW training step of nanoGPT (W4s: 4 layers, 4 heads, width 128), 8 sequences of 64 characters";
  } else {
    const bool known = std::find(train_step_names().begin(), train_step_names().end(), name) != train_step_names().end();
    check(known, [&] { return "unknown training step '" + name + "' (known: mlp, conv, dynmlp, nanogpt)"; });
    auto classifier = make_classifier(name);
    opt = std::make_unique<nn::Adam>(classifier->parameters(), 1e-3);
    if (name == "dynmlp") {  // the batch is the variable B in [1, 256], bound to 128: one program for every batch
      const Dim batch = Variable("B", 1, 256).bind(128);
      const Tensor x = Tensor::rand({256, 784}).shrink({{0, batch}, {0, 784}});
      loss = nn::cross_entropy((*classifier)(x), Tensor::randint({256}, 0, 10).shrink({{0, batch}}));
    } else {
      const Tensor x = name == "conv" ? Tensor::rand({128, 1, 28, 28}) : Tensor::rand({128, 784});
      loss = nn::cross_entropy((*classifier)(x), Tensor::randint({128}, 0, 10));
    }
    model = classifier;
    description = "one Adam training step of the " + name + " classifier, batch " + (name == "dynmlp" ? "B = 128 of [1, 256]" : "128");
  }
  std::vector<UOp> grads, updates;
  for (const Tensor& g : opt->add_updates(loss)) grads.push_back(g.uop());
  TrainStep step;
  step.program = {name, description, {loss}};
  for (Tensor* t : opt->updated_tensors()) {
    updates.push_back(t->uop());
    step.program.outputs.push_back(*t);
  }
  step.provenance = std::make_unique<Provenance>(loss.uop(), grads, updates);
  return step;
}

}  // namespace anneal
