#include "anneal/models/gpt2.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "anneal/io/safetensors.h"
#include "anneal/support/error.h"

namespace anneal {
namespace {

constexpr int64_t kHeadSize = 64;  // every published GPT-2 size: 768/12, 1024/16, 1280/20, 1600/25

struct Gpt2Config {
  nn::GPTConfig sizes;
  double layer_norm_eps = 1e-5;
};

// The file's tensors by their GPT2Model names ("h.0.ln_1.weight"): the "transformer." prefix of
// GPT2LMHeadModel files removed, the buffers and the tied output layer left out.
std::map<std::string, Tensor> model_tensors(const io::NamedTensors& all, const std::string& path) {
  std::map<std::string, Tensor> out;
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& [full, t] : all) {
    const std::string name = full.rfind("transformer.", 0) == 0 ? full.substr(12) : full;
    if (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias") || name == "lm_head.weight") continue;
    check(out.emplace(name, t).second, [&] { return "GPT-2 checkpoint " + path + ": " + name + " appears twice"; });
  }
  return out;
}

const Tensor& tensor(const std::map<std::string, Tensor>& t, const std::string& name, const std::string& path) {
  const auto it = t.find(name);
  check(it != t.end(), [&] { return "GPT-2 checkpoint " + path + ": no tensor " + name + " (is this a GPT-2 file?)"; });
  return it->second;
}

// The sizes from config.json beside the file, checked against what anneal's GPT implements.
std::optional<Gpt2Config> read_config_json(const std::string& path) {
  const std::string json_path = (std::filesystem::path(path).parent_path() / "config.json").string();
  std::ifstream in(json_path);
  if (!in) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(json_path + ": not valid JSON (" + e.what() + ")");
  }
  auto size = [&](const char* key) {
    check(j.contains(key) && j[key].is_number_integer() && j[key].get<int64_t>() > 0,
          [&] { return json_path + ": \"" + key + "\" must be a positive integer"; });
    return j[key].get<int64_t>();
  };
  Gpt2Config c;
  c.sizes = {size("vocab_size"), size("n_positions"), size("n_layer"), size("n_head"), size("n_embd")};
  if (j.contains("layer_norm_epsilon")) c.layer_norm_eps = j["layer_norm_epsilon"].get<double>();
  const std::string act = j.value("activation_function", std::string("gelu_new"));
  check(act == "gelu_new" || act == "gelu_pytorch_tanh", [&] {
    return json_path + ": activation_function \"" + act + "\" is not supported (GPT-2 uses gelu_new, the tanh GELU)";
  });
  check(!j.contains("n_inner") || j["n_inner"].is_null() || j["n_inner"] == 4 * c.sizes.width,
        json_path + ": n_inner other than 4 * n_embd is not supported");
  check(!j.value("scale_attn_by_inverse_layer_idx", false), json_path + ": scale_attn_by_inverse_layer_idx is not supported");
  check(j.value("tie_word_embeddings", true), json_path + ": an lm_head untied from wte is not supported");
  return c;
}

// The sizes from the tensors alone: a bare model.safetensors.
Gpt2Config config_from_shapes(const std::map<std::string, Tensor>& t, const std::string& path, bool need_heads = true) {
  const Shape wte = tensor(t, "wte.weight", path).shape(), wpe = tensor(t, "wpe.weight", path).shape();
  check(wte.size() == 2 && wpe.size() == 2 && wte[1] == wpe[1], [&] {
    return "GPT-2 checkpoint " + path + ": wte " + shape_str(wte) + " and wpe " + shape_str(wpe) + " must be (n, width) alike";
  });
  int64_t layers = 0;
  while (t.count("h." + std::to_string(layers) + ".ln_1.weight")) ++layers;
  check(layers > 0, "GPT-2 checkpoint " + path + ": no blocks (h.0.ln_1.weight)");
  const int64_t width = wte[1];
  check(!need_heads || width % kHeadSize == 0, [&] {
    return "GPT-2 checkpoint " + path + ": width " + std::to_string(width) +
           " is not a multiple of GPT-2's head size 64; put the model's config.json beside the file";
  });
  return {{int64_t(wte[0]), int64_t(wpe[0]), layers, width / kHeadSize, width}, 1e-5};
}

// config.json's sizes must be the tensors' (a config must not make the model loop over 2^40 layers).
void check_sizes(const Gpt2Config& c, const std::map<std::string, Tensor>& t, const std::string& path) {
  const Gpt2Config seen = config_from_shapes(t, path, false);
  const nn::GPTConfig &a = c.sizes, &b = seen.sizes;
  check(a.vocab == b.vocab && a.context == b.context && a.layers == b.layers && a.width == b.width &&
            a.width % a.heads == 0,
        [&] {
          return "GPT-2 checkpoint " + path + ": config.json says vocab " + std::to_string(a.vocab) + ", positions " +
                 std::to_string(a.context) + ", " + std::to_string(a.layers) + " layers, width " + std::to_string(a.width) +
                 " (" + std::to_string(a.heads) + " heads), the tensors say " + std::to_string(b.vocab) + ", " +
                 std::to_string(b.context) + ", " + std::to_string(b.layers) + ", " + std::to_string(b.width);
        });
}

// What each parameter of anneal's GPT is in the file: its name there, and whether it is a Conv1D
// weight, stored [in, out] where nn::Linear holds (out, in).
struct Source {
  std::string name;
  bool transposed;
};
Source source_of(const std::string& ours) {
  std::string name = ours.rfind("transformer.", 0) == 0 ? ours.substr(12) : ours;
  const bool conv1d = name.find(".attn.c_") != std::string::npos || name.find(".mlp.c_") != std::string::npos;
  return {name, conv1d && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0};
}

}  // namespace

Gpt2Checkpoint load_gpt2(const std::string& path, DType dtype) {
  check(dtype == dtypes::float32 || dtype == dtypes::float16 || dtype == dtypes::bfloat16, [&] {
    return "GPT-2: dtype " + std::string(dtype.name()) + " is not one of float32, float16, bfloat16";
  });
  const std::map<std::string, Tensor> file = model_tensors(io::load_safetensors(path), path);
  Gpt2Checkpoint out;
  const std::optional<Gpt2Config> from_json = read_config_json(path);
  out.config_from_file = from_json.has_value();
  const Gpt2Config config = from_json ? *from_json : config_from_shapes(file, path);
  if (from_json) check_sizes(config, file, path);

  // The model's parameters are placeholders (no memory, no random numbers) until assigned.
  {
    nn::SkipInit skip;
    nn::DefaultFloat as(dtype);
    out.model = std::make_shared<nn::GPT>(config.sizes);
  }
  nn::NamedTensors params = out.model->named_parameters();
  std::map<std::string, Tensor> values;  // by our names, everything checked before anything is assigned
  std::set<std::string> used;
  bool converted = false;
  for (auto& entry : params) {
    const std::string& ours = entry.first;
    const Tensor& param = entry.second;
    const Source src = source_of(ours);
    const Tensor& stored = tensor(file, src.name, path);
    const Tensor v = src.transposed ? stored.transpose() : stored;
    check(v.shape() == param.shape() && v.dtype().is_float(), [&] {
      return "GPT-2 checkpoint " + path + ": " + src.name + " is " + shape_str(stored.shape()) + " " +
             std::string(stored.dtype().name()) + ", expected " +
             shape_str(src.transposed ? Shape{param.shape()[1], param.shape()[0]} : param.shape()) + " floats";
    });
    converted |= v.dtype() != dtype;
    values.emplace(ours, v.dtype() == dtype ? v : v.cast(dtype));
    used.insert(src.name);
  }
  for (const auto& entry : file)
    check(used.count(entry.first), [&] { return "GPT-2 checkpoint " + path + ": unexpected tensor " + entry.first; });
  for (auto& [ours, param] : params) param.assign(values.at(ours)).requires_grad(false);
  for (auto& block : out.model->blocks) block->ln_1.eps = block->ln_2.eps = config.layer_norm_eps;
  out.model->ln_f.eps = config.layer_norm_eps;
  // Converted weights are computed once here, not in every forward pass. (Unconverted ones stay views
  // of the file's buffers: a transposed Conv1D weight is index arithmetic, not a copy.)
  if (converted) {
    std::vector<Tensor*> all;
    for (auto& p : params) all.push_back(&p.second);
    realize(all);
  }
  out.model->pad_output_layer();
  out.model->train(false);
  return out;
}

const std::vector<std::string>& gpt2_model_names() {
  static const std::vector<std::string> names{"gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl"};
  return names;
}

}  // namespace anneal

namespace anneal {

io::Asset gpt2_weights_asset(const std::string& name) {
  // model.safetensors of each openai-community repository at a fixed revision. The SHA-256 is the file's
  // git-LFS object id (the name of its blob in a Hugging Face cache: ~/.cache/huggingface/hub/models--
  // openai-community--gpt2/blobs/<sha256>); revisions, hashes and sizes as recorded by projects that pin
  // them (gpt2: many, e.g. HF cache listings; gpt2-medium: ALLPROTO/core-lm-cross-model-lab models.json;
  // gpt2-large: SyedNaveedMahmood/kd-sink protocols/artifact.lock.json; gpt2-xl: mikepfrank/GPT-2-tools
  // src/gpt2_local/runtime.py and hyunjun1127/ODE-edit's asset manifests), each hash seen in two or more.
  auto hub = [](const std::string& repo, const std::string& revision, const std::string& sha256, int64_t size) {
    return io::Asset{repo + "-model.safetensors", "/openai-community/" + repo + "/resolve/" + revision + "/model.safetensors",
                     sha256, size};
  };
  static const std::map<std::string, io::Asset> assets{
      {"gpt2", hub("gpt2", "607a30d783dfa663caf39e06633721c8d4cfcd7e",
                   "248dfc3911869ec493c76e65bf2fcf7f615828b0254c12b473182f0f81d3a707", 548105171)},
      {"gpt2-medium", hub("gpt2-medium", "6dcaa7a952f72f9298047fd5137cd6e4f05f41da",
                          "fc5a354a19255ad494f3d71549390baca1ccf61d1d822b9408971705c687c9cd", 1519984962)},
      {"gpt2-large", hub("gpt2-large", "32b71b12589c2f8d625668d2335a01cac3249519",
                         "5f47f3e12f91cd33b662ce7e433b6150ad5512b5884a2cee961b50e9c3bbebce", 3247159078)},
      {"gpt2-xl", hub("gpt2-xl", "15ea56dee5df4983c59b2538573817e1667135e2",
                      "0f8b28eb05a8075f48b61b6f35332978c74fc7763fa9fb4051a1c30511736a6a", 6431829964)},
  };
  const auto it = assets.find(name);
  check(it != assets.end(), [&] { return "GPT-2: no published model \"" + name + "\" (gpt2, gpt2-medium, gpt2-large, gpt2-xl)"; });
  io::Asset a = it->second;
  const char* endpoint = std::getenv("HF_ENDPOINT");
  a.url = (endpoint && *endpoint ? std::string(endpoint) : std::string("https://huggingface.co")) + a.url;
  return a;
}

}  // namespace anneal
