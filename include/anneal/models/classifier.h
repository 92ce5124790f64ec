// Image classifiers trained on MNIST-format data: the MLP of W2 and the conv net of W3.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "anneal/io/idx.h"
#include "anneal/nn/layers.h"

namespace anneal {

// "mlp": 784-512-512-10 with ReLU. "conv": W3 of WORKLOADS.md. "dynmlp": the MLP trained on batches of
// varying size through one symbolic batch dimension. Unknown names raise anneal::Error.
std::shared_ptr<nn::Sequential> make_classifier(const std::string& name);

struct TrainOptions {
  std::string model = "mlp";
  int steps = 1000;
  int batch = 128;
  int min_batch = 1, max_batch = 256;  // dynmlp: each step's batch size is drawn from [min_batch, max_batch]
  double lr = 1e-3;
  uint64_t seed = 0;
  int64_t eval_limit = 0;  // test images to evaluate (0 = all)
  int log_every = 10;
};

struct TrainLog {
  int step;
  double loss;
  double steps_per_s;
  size_t kernels_per_step;
  size_t seam_kernels;  // kernels of a step holding both forward and backward nodes
  int64_t batch;        // the last step's batch size
  size_t compiles;      // kernels compiled by this process so far (engine.h's compile_stats)
};

struct TrainResult {
  std::vector<double> losses;
  double test_accuracy = 0;
  double train_seconds = 0;
};

// Adam on shuffled batches; calls on_log every log_every steps and after the last.
TrainResult train_classifier(const TrainOptions& opts, const io::Mnist& data, const std::function<void(const TrainLog&)>& on_log);

// Accuracy of `model` on the first `limit` test images (0 = all), evaluated in batches.
double test_accuracy(nn::Module& model, const std::string& name, const io::Mnist& data, int64_t limit = 0);

}  // namespace anneal
