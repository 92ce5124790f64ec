// nanoGPT training: the loss falls on real text, and a run resumed from a checkpoint continues the
// uninterrupted run's loss curve exactly.
#include <gtest/gtest.h>

#include <cstdio>

#include "anneal/models/nanogpt.h"

namespace anneal {
namespace {

io::CharDataset corpus() {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "In the beginning God created the heaven and the earth. And the earth was without form, and void.\n";
  return io::CharDataset(text);
}

NanoGptOptions tiny() {
  NanoGptOptions o;
  o.model = {0, 16, 2, 2, 32};
  o.batch = 8;
  o.steps = 80;
  o.warmup = 5;
  o.lr = 3e-3;
  o.eval_every = 0;
  o.eval_batches = 2;
  o.log_every = 1000;
  return o;
}

TEST(NanoGpt, LossFallsOnText) {
  const io::CharDataset data = corpus();
  int logs = 0;
  const NanoGptResult r = train_nanogpt(tiny(), data, [&](const NanoGptLog& l) {
    ++logs;
    EXPECT_TRUE(l.val_loss.has_value());  // the last step always validates
  });
  ASSERT_EQ(r.losses.size(), 80u);
  double late = 0;
  for (size_t i = 70; i < 80; ++i) late += r.losses[i] / 10;
  EXPECT_GT(r.losses[0], 2.5);  // about ln(vocab) at the start
  EXPECT_LT(late, r.losses[0] * 0.6) << "first " << r.losses[0] << ", last ten " << late;
  EXPECT_LT(r.val_loss, r.losses[0] * 0.7);
  EXPECT_EQ(logs, 1);
}

TEST(NanoGpt, ResumedRunContinuesTheSameLossCurve) {
  const io::CharDataset data = corpus();
  NanoGptOptions o = tiny();
  o.steps = 6;
  const std::vector<double> whole = train_nanogpt(o, data, [](const NanoGptLog&) {}).losses;

  o.checkpoint = ::testing::TempDir() + "/anneal_nanogpt_ckpt.safetensors";
  std::remove(o.checkpoint.c_str());
  o.stop_at = 3;
  o.checkpoint_every = 3;
  const std::vector<double> first = train_nanogpt(o, data, [](const NanoGptLog&) {}).losses;
  o.stop_at = 0;
  o.resume = true;
  const NanoGptResult second = train_nanogpt(o, data, [](const NanoGptLog&) {});
  EXPECT_EQ(second.first_step, 3);
  std::vector<double> joined = first;
  joined.insert(joined.end(), second.losses.begin(), second.losses.end());
  EXPECT_EQ(joined, whole);

  const NanoGptCheckpoint ck = load_nanogpt(o.checkpoint);
  EXPECT_EQ(ck.step, 6);
  EXPECT_EQ(ck.vocab, data.vocab());
  EXPECT_EQ(ck.model->config.layers, 2);
}

TEST(NanoGpt, ResumeNeedsAUsableCheckpoint) {
  NanoGptOptions o = tiny();
  o.resume = true;
  EXPECT_THROW(train_nanogpt(o, corpus(), [](const NanoGptLog&) {}), Error);  // no file named
  o.checkpoint = "/nonexistent/ckpt.safetensors";
  EXPECT_THROW(train_nanogpt(o, corpus(), [](const NanoGptLog&) {}), Error);
}

}  // namespace
}  // namespace anneal
