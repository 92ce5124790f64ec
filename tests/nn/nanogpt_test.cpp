// nanoGPT training: the loss falls on real text, and a run resumed from a checkpoint continues the
// uninterrupted run's loss curve exactly.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "anneal/io/safetensors.h"
#include "anneal/models/nanogpt.h"
#include "../support/test_support.h"

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


// ---- hostile checkpoints (issue 24): refused with the field named, before a model is built -------------

// A file name of this process: ctest runs each test in a process of its own, possibly in parallel.
std::string temp_file(const std::string& name) {
  return ::testing::TempDir() + "/anneal_hostile_" + std::to_string(getpid()) + "_" + name + ".safetensors";
}

// A real checkpoint of the tiny model after 2 steps (vocab 25, context 16, layers 2, heads 2, width 32).
const std::string& good_checkpoint() {
  static const std::string path = [] {
    NanoGptOptions o = tiny();
    o.steps = 2;
    o.warmup = 1;
    o.eval_batches = 1;
    o.checkpoint = temp_file("good");
    train_nanogpt(o, corpus(), [](const NanoGptLog&) {});
    return o.checkpoint;
  }();
  return path;
}

Tensor ints(const std::vector<int64_t>& v) { return Tensor::from_vector(v, {int64_t(v.size())}); }

// Replaces entry `name` (or adds it when absent).
void set_entry(io::NamedTensors& all, const std::string& name, const Tensor& value) {
  for (auto& [n, t] : all)
    if (n == name) {
      t = value;
      return;
    }
  all.push_back({name, value});
}

void erase_entry(io::NamedTensors& all, const std::string& name) {
  std::erase_if(all, [&](const auto& e) { return e.first == name; });
}

// A copy of the good checkpoint with `edit` applied to its entries.
std::string edited(const std::string& name, const std::function<void(io::NamedTensors&)>& edit) {
  io::NamedTensors all = io::load_safetensors(good_checkpoint());
  edit(all);
  const std::string path = temp_file(name);
  io::save_safetensors(path, all);
  return path;
}

std::string with_config(const std::string& name, const std::vector<int64_t>& config) {
  return edited(name, [&](io::NamedTensors& all) { set_entry(all, "meta.config", ints(config)); });
}

using testing::error_of;

std::string load_error(const std::string& path) {
  return error_of([&] { load_nanogpt(path); });
}

// Resumes the tiny run (4 steps) from `path`.
std::string resume_error(const std::string& path, NanoGptOptions o = tiny(), const io::CharDataset& data = corpus()) {
  o.steps = 4;
  o.warmup = 1;
  o.eval_batches = 1;
  o.checkpoint = path;
  o.resume = true;
  return error_of([&] { train_nanogpt(o, data, [](const NanoGptLog&) {}); });
}

TEST(HostileCheckpoint, ConfigOutOfRangeIsRefusedByField) {
  const int64_t min = std::numeric_limits<int64_t>::min();
  std::string p = with_config("width_min", {25, 16, 2, 2, min});  // was 128 * -2^63 in numel
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'width' is -9223372036854775808 but must be in [1, 65536]");
  p = with_config("vocab_neg", {-1, 16, 2, 2, 32});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'vocab' is -1 but must be in [1, 256]");
  p = with_config("layers_huge", {25, 16, int64_t(1) << 62, 2, 32});  // was a hang building 2^62 blocks
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'layers' is 4611686018427387904 but must be in [1, 4096]");
  p = with_config("context_huge", {25, int64_t(1) << 40, 2, 2, 32});  // was a 2^49-byte allocation
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'context' is 1099511627776 but must be in [1, 1048576]");
  p = with_config("heads_zero", {25, 16, 2, 0, 32});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'heads' is 0 but must be in [1, 65536]");
  p = with_config("heads_3", {25, 16, 2, 3, 32});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'heads' is 3 but does not divide width 32");
  p = with_config("four", {25, 16, 2, 2});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config must hold 5 sizes (vocab, context, layers, heads, width), found 4");
  p = edited("config_f32", [](io::NamedTensors& all) { set_entry(all, "meta.config", Tensor::of({25, 16, 2, 2, 32}, {5})); });
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config must be a 1-d int64 tensor, found (5,) float32");
}

TEST(HostileCheckpoint, ConfigThatDisagreesWithTheFileIsRefusedByField) {
  std::string p = with_config("width_64", {25, 16, 2, 2, 64});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'width' is 64 but transformer.wte.weight is (25, 32)");
  p = with_config("vocab_26", {26, 16, 2, 2, 32});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'vocab' is 26 but transformer.wte.weight is (25, 32)");
  p = with_config("context_17", {25, 17, 2, 2, 32});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'context' is 17 but transformer.wpe.weight is (16, 32)");
  p = with_config("layers_3", {25, 16, 3, 2, 32});
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'layers' is 3 but the file holds 2 blocks");
  p = edited("no_ln_f_bias", [](io::NamedTensors& all) { erase_entry(all, "transformer.ln_f.bias"); });
  EXPECT_EQ(load_error(p), "checkpoint " + p +
                               ": meta.config (vocab 25, context 16, layers 2, heads 2, width 32) needs 26784 parameter values "
                               "but the file holds 26752");
}

TEST(HostileCheckpoint, SmallFileCannotAskForAHugeModel) {
  // Width 2^16 with everything else 1: the embeddings fit in 512 KiB, but the one block would need
  // 12 * 2^32 parameters (192 GiB). Refused before the model's constructor allocates any of it.
  const int64_t w = int64_t(1) << 16;
  const io::NamedTensors all = {{"transformer.wte.weight", Tensor::zeros({1, w})},
                                {"transformer.wpe.weight", Tensor::zeros({1, w})},
                                {"transformer.h.0.ln_1.weight", Tensor::zeros({1})},
                                {"meta.config", ints({1, 1, 1, 1, w})},
                                {"meta.step", ints({0})},
                                {"meta.vocab", Tensor::from_vector(std::vector<uint8_t>{'a'}, {1})}};
  const std::string p = temp_file("huge_model");
  io::save_safetensors(p, all);
  EXPECT_EQ(load_error(p), "checkpoint " + p +
                               ": meta.config (vocab 1, context 1, layers 1, heads 1, width 65536) needs 51540721664 parameter "
                               "values but the file holds 131073");
}

TEST(HostileCheckpoint, MetaStepMustBeOneStepNumber) {
  std::string p = edited("step_empty", [](io::NamedTensors& all) { set_entry(all, "meta.step", ints({})); });
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.step must hold one step number, found 0 values");  // was vector::_M_range_check
  EXPECT_EQ(resume_error(p), "checkpoint " + p + ": meta.step must hold one step number, found 0 values");
  p = edited("step_neg", [](io::NamedTensors& all) { set_entry(all, "meta.step", ints({-1})); });
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.step is -1, outside [0, 2147483647]");
  p = edited("step_big", [](io::NamedTensors& all) { set_entry(all, "meta.step", ints({int64_t(1) << 40})); });
  EXPECT_EQ(resume_error(p), "checkpoint " + p + ": meta.step is 1099511627776, outside [0, 2147483647]");
  p = edited("step_missing", [](io::NamedTensors& all) { erase_entry(all, "meta.step"); });
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": no entry meta.step");
}

TEST(HostileCheckpoint, MetaVocabMustMatchTheConfig) {
  std::string p = edited("vocab_short", [](io::NamedTensors& all) {
    set_entry(all, "meta.vocab", Tensor::from_vector(std::vector<uint8_t>{'a', 'b'}, {2}));
  });
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.config field 'vocab' is 25 but meta.vocab holds 2 characters");
  p = edited("vocab_repeats", [](io::NamedTensors& all) {
    set_entry(all, "meta.vocab", Tensor::from_vector(std::vector<uint8_t>(25, 'a'), {25}));
  });
  EXPECT_EQ(load_error(p), "checkpoint " + p + ": meta.vocab must hold distinct characters in increasing order");
}

TEST(HostileCheckpoint, ResumeNeedsTheConfigOfTheModelBeingTrained) {
  std::string p = edited("no_config", [](io::NamedTensors& all) { erase_entry(all, "meta.config"); });
  EXPECT_EQ(resume_error(p), "checkpoint " + p + ": no entry meta.config");
  NanoGptOptions narrower = tiny();
  narrower.model.width = 16;
  EXPECT_EQ(resume_error(good_checkpoint(), narrower),
            "checkpoint " + good_checkpoint() + ": meta.config field 'width' is 32 but the model being trained has 16");
  NanoGptOptions shallower = tiny();
  shallower.model.layers = 1;
  EXPECT_EQ(resume_error(good_checkpoint(), shallower),
            "checkpoint " + good_checkpoint() + ": meta.config field 'layers' is 2 but the model being trained has 1");
  NanoGptOptions fewer_heads = tiny();
  fewer_heads.model.heads = 1;  // same shapes: only the config can tell
  EXPECT_EQ(resume_error(good_checkpoint(), fewer_heads),
            "checkpoint " + good_checkpoint() + ": meta.config field 'heads' is 2 but the model being trained has 1");
  // Another text with as many distinct characters: the same shapes, other meanings.
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "In the beginning God created the heaven and the earth. And the earth Was Without form, and void.\n";
  EXPECT_EQ(resume_error(good_checkpoint(), tiny(), io::CharDataset(text)),
            "checkpoint " + good_checkpoint() + ": meta.vocab differs from the vocabulary of the training text");
  // A text with a different number of characters.
  EXPECT_EQ(resume_error(good_checkpoint(), tiny(), io::CharDataset(text + "xyz")),
            "checkpoint " + good_checkpoint() + ": meta.config field 'vocab' is 25 but the model being trained has 28");
}

TEST(HostileCheckpoint, ResumingAFinishedRunIsAnError) {
  NanoGptOptions o = tiny();
  o.steps = 2;
  o.warmup = 1;
  o.checkpoint = good_checkpoint();
  o.resume = true;
  EXPECT_EQ(error_of([&] { train_nanogpt(o, corpus(), [](const NanoGptLog&) {}); }),
            "checkpoint " + good_checkpoint() + ": meta.step 2 leaves no steps to run (the run ends at step 2)");
}

TEST(HostileCheckpoint, NonFiniteParametersLoadWithOneWarning) {
  const std::string p = edited("nan", [](io::NamedTensors& all) {
    for (auto& [name, t] : all) {
      if (name != "transformer.wte.weight" && name != "transformer.h.1.mlp.c_fc.bias") continue;
      std::vector<float> v = t.to_vector<float>();
      v[0] = std::numeric_limits<float>::quiet_NaN();
      v[1] = std::numeric_limits<float>::infinity();
      t = Tensor::from_vector(v, t.shape());
    }
  });
  ::testing::internal::CaptureStderr();
  const NanoGptCheckpoint ck = load_nanogpt(p);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "warning: checkpoint " + p +
                     ": 2 parameters hold NaN or infinite values (first: transformer.wte.weight has 2 of 800 values)\n");
  EXPECT_TRUE(std::isnan(ck.model->wte.weight.to_vector<float>()[0]));
  ::testing::internal::CaptureStderr();
  resume_error(p);
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("warning: checkpoint " + p + ": 2 parameters hold NaN"), 0u);
  ::testing::internal::CaptureStderr();
  load_nanogpt(good_checkpoint());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(HostileCheckpoint, ParameterCountIsTheModels) {
  // The count that checkpoints are checked against must be what the model actually holds.
  for (const nn::GPTConfig& c : {nn::GPTConfig{25, 16, 2, 2, 32}, nn::GPTConfig{3, 5, 3, 1, 8}, nn::GPTConfig{1, 1, 1, 1, 1}}) {
    nn::GPT model(c);
    int64_t held = 0;
    for (const auto& [name, t] : model.named_parameters()) held += t.numel();
    EXPECT_EQ(nn::parameter_count(c), held);
  }
  EXPECT_EQ(nn::parameter_count({1, 1, std::numeric_limits<int64_t>::max(), 1, 1}), std::nullopt);
  EXPECT_EQ(nn::parameter_count({1, 1, 1, 1, int64_t(1) << 32}), std::nullopt);
  // A GPT refuses non-positive sizes before it allocates anything.
  EXPECT_EQ(error_of([] { nn::GPT({-1, 16, 2, 2, 32}); }), "GPT: every size must be positive");
}

}  // namespace
}  // namespace anneal
