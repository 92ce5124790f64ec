// A short real training run on Fashion-MNIST (the Debian package dataset-fashion-mnist).
#include <gtest/gtest.h>

#include "anneal/models/classifier.h"

using namespace anneal;

TEST(TrainFashionMnist, MlpReachesEightyPercentInAShortRun) {
  const io::Mnist data = io::load_mnist();
  ASSERT_EQ(data.train_count(), 60000);
  ASSERT_EQ(data.test_count(), 10000);
  TrainOptions o;
  o.model = "mlp";
  o.steps = 120;
  o.eval_limit = 2000;
  o.log_every = 40;
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
