// A short real training run on Fashion-MNIST (the Debian package dataset-fashion-mnist).
#include <gtest/gtest.h>

#include <set>

#include "anneal/models/classifier.h"

using namespace anneal;

namespace {
// A short run of `model`, evaluated on 2000 test images.
TrainOptions short_run(const std::string& model, int steps, int log_every) {
  TrainOptions o;
  o.model = model;
  o.steps = steps;
  o.eval_limit = 2000;
  o.log_every = log_every;
  return o;
}
}  // namespace

TEST(TrainFashionMnist, MlpReachesEightyPercentInAShortRun) {
  const io::Mnist data = io::load_mnist();
  ASSERT_EQ(data.train_count(), 60000);
  ASSERT_EQ(data.test_count(), 10000);
  const TrainOptions o = short_run("mlp", 120, 40);
  std::vector<double> logged;
  size_t seam = 0, kernels = 0;
  const TrainResult r = train_classifier(o, data, [&](const TrainLog& l) {
    logged.push_back(l.loss);
    seam = l.seam_kernels;
    kernels = l.kernels_per_step;
  });
  EXPECT_GE(seam, 1u);  // kernels fuse across the forward/backward seam
  EXPECT_GT(kernels, seam);
  ASSERT_EQ(r.losses.size(), 120u);
  EXPECT_EQ(logged.size(), 3u);
  EXPECT_LT(r.losses.back(), r.losses.front() * 0.5);
  EXPECT_GE(r.test_accuracy, 0.80) << "loss " << r.losses.front() << " -> " << r.losses.back();
  std::printf("[train] 120 steps in %.1f s, test accuracy (2000 images) %.4f\n", r.train_seconds, r.test_accuracy);
}

// dynmlp: every step draws its batch size from [1, 256], through one symbolic batch dimension. The
// kernels compiled for the first step serve all the others.
TEST(TrainFashionMnist, DynamicBatchesCompileOnlyInTheFirstStep) {
  const io::Mnist data = io::load_mnist();
  const TrainOptions o = short_run("dynmlp", 300, 1);
  std::vector<size_t> compiles;
  std::set<int64_t> batches;
  size_t seam = 0;
  const TrainResult r = train_classifier(o, data, [&](const TrainLog& l) {
    compiles.push_back(l.compiles);
    batches.insert(l.batch);
    seam = l.seam_kernels;
  });
  ASSERT_EQ(compiles.size(), 300u);
  EXPECT_GT(compiles.front(), 0u);
  EXPECT_EQ(compiles.back(), compiles.front()) << "steps after the first compiled kernels";
  EXPECT_GE(batches.size(), 100u) << "batch sizes drawn";
  EXPECT_GE(*batches.rbegin() - *batches.begin(), 200);
  EXPECT_GE(seam, 1u);
  EXPECT_GE(r.test_accuracy, 0.75);
  std::printf("[train] dynmlp: 300 steps, %zu batch sizes, %zu kernels compiled, test accuracy (2000 images) %.4f\n",
              batches.size(), compiles.back(), r.test_accuracy);
}
