// GPT-2 against Hugging Face transformers: a checkpoint that GPT2LMHeadModel wrote (2 layers, width 32,
// the real 50257-token vocabulary; fixtures/gpt2/, made by fixtures/make_gpt2_fixtures.py), its logits and
// its greedy generate() ids; KV-cache decoding against the full forward pass, with its compile count;
// the hub's other name layout; and damaged checkpoints.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "anneal/engine/engine.h"
#include "anneal/io/safetensors.h"
#include "anneal/models/gpt2.h"
#include "anneal/nn/kv_decoder.h"
#include "anneal/support/error.h"

namespace anneal {
namespace {

const std::string kDir = std::string(ANNEAL_FIXTURE_DIR) + "/gpt2/";
const std::string kTiny = kDir + "gpt2_tiny/model.safetensors";

const Tensor& entry(const io::NamedTensors& all, const std::string& name) {
  const auto it = std::find_if(all.begin(), all.end(), [&](const auto& e) { return e.first == name; });
  if (it == all.end()) throw Error("fixture lacks " + name);
  return it->second;
}

template <class T>
std::vector<int32_t> ids_of(const Tensor& t) {
  std::vector<int32_t> out;
  for (T v : t.to_vector<T>()) out.push_back(int32_t(v));
  return out;
}

// max |a - b| over max |b|: HF's acceptance measure.
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, top = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
    top = std::max(top, std::abs(double(b[i])));
  }
  return diff / top;
}

struct Reference {
  std::vector<int32_t> prompt, greedy;
  std::vector<float> logits;  // (T, vocab)
};
const Reference& reference() {
  static const Reference r = [] {
    const io::NamedTensors all = io::load_safetensors(kDir + "gpt2_tiny_reference.safetensors");
    return Reference{ids_of<int64_t>(entry(all, "prompt")), ids_of<int64_t>(entry(all, "greedy")),
                     entry(all, "logits").to_vector<float>()};
  }();
  return r;
}

std::string temp_dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "anneal_gpt2_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string load_error(const std::string& path) {
  try {
    load_gpt2(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Gpt2, LogitsMatchHuggingFace) {
  const Gpt2Checkpoint ck = load_gpt2(kTiny);
  EXPECT_TRUE(ck.config_from_file);
  const nn::GPTConfig& c = ck.model->config;
  EXPECT_EQ(c.vocab, 50257);
  EXPECT_EQ(c.layers, 2);
  EXPECT_EQ(c.heads, 2);
  const Reference& ref = reference();
  const int64_t t = int64_t(ref.prompt.size());
  const std::vector<float> got = (*ck.model)(Tensor::from_vector(ref.prompt, {1, t})).to_vector<float>();
  ASSERT_EQ(got.size(), ref.logits.size());
  EXPECT_LT(relative_error(got, ref.logits), 1e-4);
}

TEST(Gpt2, GreedyKVCacheDecodingMatchesHuggingFaceAndCompilesOnlyTwice) {
  const Gpt2Checkpoint ck = load_gpt2(kTiny);
  const Reference& ref = reference();
  std::vector<size_t> compiled;  // kernels compiled so far, after each new token
  const std::vector<int32_t> ids = nn::generate_cached(*ck.model, ref.prompt, int64_t(ref.greedy.size() - ref.prompt.size()),
                                                       {0.0, 0, 1.0, 0}, [&](int32_t) { compiled.push_back(compile_stats().compiled_kernels); });
  EXPECT_EQ(ids, ref.greedy);
  ASSERT_GE(compiled.size(), 6u);
  // Token 1 comes from the prefill, tokens 2 and 3 from the decode steps that compile and capture; after
  // them every step replays the same kernels at a new start_pos.
  EXPECT_GT(compiled[2], compiled[0]) << "the first decode step compiled nothing: is it decoding at all?";
  EXPECT_EQ(compiled.back(), compiled[3]) << "decoding compiled after the first two steps";
}

TEST(Gpt2, CachedDecodingEqualsTheFullForwardAtEveryPosition) {
  const Gpt2Checkpoint ck = load_gpt2(kTiny);
  nn::GPT& model = *ck.model;
  const std::vector<int32_t> tokens{464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13};
  const int64_t n = int64_t(tokens.size()), vocab = model.config.vocab;
  const std::vector<float> full = model(Tensor::from_vector(tokens, {1, n})).to_vector<float>();
  nn::KVDecoder decoder(model, n);
  std::vector<float> got = decoder.prefill({tokens.begin(), tokens.begin() + 3});
  for (int64_t pos = 2; pos < n; ++pos) {
    const std::vector<float> want(full.begin() + pos * vocab, full.begin() + (pos + 1) * vocab);
    EXPECT_LT(relative_error(got, want), 1e-5) << "position " << pos;
    if (pos + 1 < n) got = decoder.step(tokens[size_t(pos + 1)]);
  }
  EXPECT_GE(decoder.jit().replays(), 4u);
  EXPECT_THROW(decoder.step(1), Error);  // the cache is full
}

TEST(Gpt2, HubLayoutWithBuffersAndTiedHeadLoads) {
  // The hub's model.safetensors: bare names, the attention mask buffers, an lm_head.weight.
  io::NamedTensors hub;
  for (const auto& [name, t] : io::load_safetensors(kTiny)) hub.push_back({name.substr(std::string("transformer.").size()), t});
  const Tensor& wte = entry(hub, "wte.weight");
  hub.push_back({"lm_head.weight", wte});
  for (int l = 0; l < 2; ++l)
    hub.push_back({"h." + std::to_string(l) + ".attn.bias", Tensor::filled({1, 1, 64, 64}, 1.0, dtypes::float32)});
  const std::string dir = temp_dir("hub");
  io::save_safetensors(dir + "/model.safetensors", hub);
  std::filesystem::copy_file(kDir + "gpt2_tiny/config.json", dir + "/config.json");
  const Gpt2Checkpoint ck = load_gpt2(dir + "/model.safetensors");
  const Reference& ref = reference();
  const int64_t t = int64_t(ref.prompt.size());
  EXPECT_LT(relative_error((*ck.model)(Tensor::from_vector(ref.prompt, {1, t})).to_vector<float>(), ref.logits), 1e-4);
  // Without config.json the sizes come from the shapes, which cannot give this width's head count.
  std::filesystem::remove(dir + "/config.json");
  EXPECT_NE(load_error(dir + "/model.safetensors").find("put the model's config.json beside the file"), std::string::npos);
}

TEST(Gpt2, SizesFromShapesAlone) {
  // A bare file of width 128: two heads of GPT-2's 64. The file holds our own model's weights in HF's
  // layout (Conv1D weights transposed), so the loaded model must compute what ours does.
  nn::GPT ours({300, 16, 1, 2, 128});
  io::NamedTensors file;
  for (auto& [name, t] : ours.named_parameters()) {
    const bool conv1d = name.find(".weight") != std::string::npos &&
                        (name.find(".attn.c_") != std::string::npos || name.find(".mlp.c_") != std::string::npos);
    file.push_back({name.substr(std::string("transformer.").size()), conv1d ? t.transpose().contiguous() : t});
  }
  const std::string dir = temp_dir("shapes");
  io::save_safetensors(dir + "/model.safetensors", file);
  const Gpt2Checkpoint ck = load_gpt2(dir + "/model.safetensors");
  EXPECT_FALSE(ck.config_from_file);
  EXPECT_EQ(ck.model->config.heads, 2);
  EXPECT_EQ(ck.model->config.context, 16);
  const Tensor idx = Tensor::from_vector(std::vector<int32_t>{5, 7, 11, 299}, {1, 4});
  const std::vector<float> want = ours(idx).to_vector<float>();
  EXPECT_LT(relative_error((*ck.model)(idx).to_vector<float>(), want), 1e-6);
}

TEST(Gpt2, Float16WeightsStayCloseToFloat32) {
  const Gpt2Checkpoint half = load_gpt2(kTiny, dtypes::float16);
  EXPECT_EQ(half.model->wte.weight.dtype(), dtypes::float16);
  const Reference& ref = reference();
  const int64_t t = int64_t(ref.prompt.size());
  const std::vector<float> got = (*half.model)(Tensor::from_vector(ref.prompt, {1, t})).cast(dtypes::float32).to_vector<float>();
  const double err = relative_error(got, ref.logits);
  EXPECT_LT(err, 2e-2);
  EXPECT_GT(err, 0.0);  // it did compute in half precision
}

TEST(Gpt2, DamagedCheckpointsAreClearErrors) {
  const io::NamedTensors good = io::load_safetensors(kTiny);
  auto write = [&](const std::string& name, io::NamedTensors tensors, const std::string& config) {
    const std::string dir = temp_dir(name);
    io::save_safetensors(dir + "/model.safetensors", tensors);
    std::ofstream(dir + "/config.json") << config;
    return dir + "/model.safetensors";
  };
  std::ifstream in(kDir + "gpt2_tiny/config.json");
  const std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  io::NamedTensors missing = good;
  missing.erase(std::find_if(missing.begin(), missing.end(), [](const auto& e) { return e.first == "transformer.h.1.mlp.c_fc.bias"; }));
  EXPECT_NE(load_error(write("missing", missing, config)).find("no tensor h.1.mlp.c_fc.bias"), std::string::npos);

  io::NamedTensors extra = good;
  extra.push_back({"transformer.h.0.attn.q_proj.weight", Tensor::filled({2}, 0.0, dtypes::float32)});
  EXPECT_NE(load_error(write("extra", extra, config)).find("unexpected tensor h.0.attn.q_proj.weight"), std::string::npos);

  io::NamedTensors wrong = good;
  for (auto& [name, t] : wrong)
    if (name == "transformer.h.0.attn.c_attn.weight") t = t.transpose().contiguous();
  EXPECT_NE(load_error(write("wrong", wrong, config)).find("h.0.attn.c_attn.weight is (96, 32)"), std::string::npos)
      << load_error(write("wrong", wrong, config));

  std::string layers = config;
  layers.replace(layers.find("\"n_layer\": 2"), 12, "\"n_layer\": 2000000000");
  EXPECT_NE(load_error(write("layers", good, layers)).find("config.json says"), std::string::npos);
  EXPECT_NE(load_error(write("json", good, "{\"n_layer\": ")).find("not valid JSON"), std::string::npos);
  std::string act = config;
  act.replace(act.find("\"gelu_new\""), 10, "\"relu\"");
  EXPECT_NE(load_error(write("act", good, act)).find("activation_function \"relu\" is not supported"), std::string::npos);
  EXPECT_THROW(load_gpt2(kDir + "no_such_file.safetensors"), Error);
}

}  // namespace
}  // namespace anneal
