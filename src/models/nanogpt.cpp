#include "anneal/models/nanogpt.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <optional>
#include <random>

#include "anneal/io/safetensors.h"
#include "anneal/nn/optim.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/host_memory.h"
#include "anneal/tensor/random.h"

namespace anneal {
namespace {

// The bytes of a tensor's values, row-major.
// How many of a float tensor's values (given as its bytes) are NaN or infinite.
size_t count_non_finite(const std::vector<uint8_t>& bytes, DType dtype) {
  if (!dtype.is_float()) return 0;
  const std::vector<double> values = read_elements(bytes.data(), dtype, bytes.size() / size_t(dtype.itemsize()));
  return size_t(std::count_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }));
}

// Overwrites the realized buffer behind `dst` (shared by every handle of it) with `src`'s values and
// returns how many of them are NaN or infinite.
size_t copy_into(Tensor& dst, const Tensor& src, const std::string& name) {
  check(dst.shape() == src.shape() && dst.dtype() == src.dtype(), [&] {
    return "checkpoint: " + name + " is " + shape_str(src.shape()) + " " + std::string(src.dtype().name()) +
           ", the model expects " + shape_str(dst.shape()) + " " + std::string(dst.dtype().name());
  });
  dst.realize();
  const std::vector<uint8_t> bytes = src.host_bytes();
  upload(view_buffer(dst.uop()), bytes.data());
  return count_non_finite(bytes, src.dtype());
}

const Tensor& entry(const io::NamedTensors& all, const std::string& name, const std::string& path) {
  for (const auto& [n, t] : all)
    if (n == name) return t;
  throw Error("checkpoint " + path + ": no entry " + name);
}

// The values of a meta.* entry, which save() writes as a 1-d int64 tensor; read from the bytes, not
// through doubles, so that any int64 in the file comes out exactly.
std::vector<int64_t> meta_ints(const io::NamedTensors& all, const std::string& name, const std::string& path) {
  const Tensor& t = entry(all, name, path);
  check(t.dtype() == dtypes::int64 && t.ndim() == 1, [&] {
    return "checkpoint " + path + ": " + name + " must be a 1-d int64 tensor, found " + shape_str(t.shape()) + " " +
           std::string(t.dtype().name());
  });
  if (t.numel() == 0) return {};
  const std::vector<uint8_t> bytes = t.host_bytes();
  std::vector<int64_t> values(bytes.size() / sizeof(int64_t));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(int64_t));
  return values;
}

// meta.config's fields in the order save() writes them, each with the range a checkpoint may give it:
// generous for models of this size, and small enough that no size computed from them overflows.
struct ConfigField {
  const char* name;
  int64_t nn::GPTConfig::*member;
  int64_t max;
};
constexpr ConfigField kConfigFields[] = {{"vocab", &nn::GPTConfig::vocab, 256},  // characters: distinct byte values
                                         {"context", &nn::GPTConfig::context, int64_t(1) << 20},
                                         {"layers", &nn::GPTConfig::layers, int64_t(1) << 12},
                                         {"heads", &nn::GPTConfig::heads, int64_t(1) << 16},
                                         {"width", &nn::GPTConfig::width, int64_t(1) << 16}};

// "checkpoint F: meta.config field 'width' is 64 but ..." for a field that disagrees with something.
void check_field(bool ok, const std::string& path, const char* field, int64_t value, const std::string& but) {
  check(ok, [&] { return "checkpoint " + path + ": meta.config field '" + field + "' is " + std::to_string(value) + " but " + but; });
}

// The first extent of entry `name`'s shape must be `rows` (named by `field`) and its second `width`.
void check_matrix_shape(const io::NamedTensors& all, const std::string& path, const std::string& name, const char* field,
                        int64_t rows, int64_t width) {
  const Shape& s = entry(all, name, path).shape();
  const std::string found = name + " is " + shape_str(s);
  check_field(s.size() == 2 && s[0] == rows, path, field, rows, found);
  check_field(s[1] == width, path, "width", width, found);
}

// The number of parameter values the file holds (entries named transformer.*). Each entry's bytes
// lie in the file, without overlaps, so the sum cannot overflow.
int64_t file_parameter_count(const io::NamedTensors& all) {
  int64_t n = 0;
  for (const auto& [name, t] : all)
    if (name.rfind("transformer.", 0) == 0) n += t.numel();
  return n;
}

// The blocks the file holds: one transformer.h.N.ln_1.weight entry each.
int64_t file_block_count(const io::NamedTensors& all) {
  const std::string suffix = ".ln_1.weight";
  return std::count_if(all.begin(), all.end(), [&](const auto& e) {
    const std::string& n = e.first;
    return n.rfind("transformer.h.", 0) == 0 && n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
  });
}

std::string config_str(const nn::GPTConfig& c) {
  return "vocab " + std::to_string(c.vocab) + ", context " + std::to_string(c.context) + ", layers " + std::to_string(c.layers) +
         ", heads " + std::to_string(c.heads) + ", width " + std::to_string(c.width);
}

// meta.config, refused field by field when out of range or when it disagrees with the file's own
// tensors; all before a model is built from it, since the model's constructor allocates every
// parameter: a config must not make a small file allocate terabytes (or loop over 2^62 layers).
nn::GPTConfig checkpoint_config(const io::NamedTensors& all, const std::string& path) {
  const std::vector<int64_t> values = meta_ints(all, "meta.config", path);
  check(values.size() == std::size(kConfigFields), [&] {
    return "checkpoint " + path + ": meta.config must hold 5 sizes (vocab, context, layers, heads, width), found " +
           std::to_string(values.size());
  });
  nn::GPTConfig c;
  for (size_t i = 0; i < values.size(); ++i) {
    const ConfigField& f = kConfigFields[i];
    check_field(values[i] >= 1 && values[i] <= f.max, path, f.name, values[i],
                "must be in [1, " + std::to_string(f.max) + "]");
    c.*f.member = values[i];
  }
  check_field(c.width % c.heads == 0, path, "heads", c.heads, "does not divide width " + std::to_string(c.width));
  check_matrix_shape(all, path, "transformer.wte.weight", "vocab", c.vocab, c.width);
  check_matrix_shape(all, path, "transformer.wpe.weight", "context", c.context, c.width);
  const int64_t blocks = file_block_count(all);
  check_field(blocks == c.layers, path, "layers", c.layers, "the file holds " + std::to_string(blocks) + " blocks");
  // The ranges above keep this from overflowing; the optional guards the arithmetic all the same.
  const std::optional<int64_t> needed = nn::parameter_count(c);
  const int64_t held = file_parameter_count(all);
  check(needed && *needed == held, [&] {
    return "checkpoint " + path + ": meta.config (" + config_str(c) + ") needs " +
           (needed ? std::to_string(*needed) : std::string("more than 2^63")) + " parameter values but the file holds " +
           std::to_string(held);
  });
  return c;
}

// meta.step: the number of steps the saved run had taken.
int checkpoint_step(const io::NamedTensors& all, const std::string& path) {
  const std::vector<int64_t> values = meta_ints(all, "meta.step", path);
  check(values.size() == 1, [&] {
    return "checkpoint " + path + ": meta.step must hold one step number, found " + std::to_string(values.size()) + " values";
  });
  check(values[0] >= 0 && values[0] <= INT_MAX, [&] {
    return "checkpoint " + path + ": meta.step is " + std::to_string(values[0]) + ", outside [0, " + std::to_string(INT_MAX) + "]";
  });
  return int(values[0]);
}

// meta.vocab: the training text's characters, distinct and in increasing order (a CharDataset's
// vocabulary), one per token of the model.
std::string checkpoint_vocab(const io::NamedTensors& all, const std::string& path, int64_t vocab_size) {
  const Tensor& t = entry(all, "meta.vocab", path);
  check(t.dtype() == dtypes::uint8 && t.ndim() == 1, [&] {
    return "checkpoint " + path + ": meta.vocab must be a 1-d uint8 tensor, found " + shape_str(t.shape()) + " " +
           std::string(t.dtype().name());
  });
  check_field(t.numel() == vocab_size, path, "vocab", vocab_size, "meta.vocab holds " + std::to_string(t.numel()) + " characters");
  const std::vector<uint8_t> bytes = t.host_bytes();
  check(std::adjacent_find(bytes.begin(), bytes.end(), std::greater_equal<uint8_t>()) == bytes.end(), [&] {
    return "checkpoint " + path + ": meta.vocab must hold distinct characters in increasing order";
  });
  return std::string(bytes.begin(), bytes.end());
}

// Copies every parameter of `model` from the checkpoint's entry of the same name. NaN or infinite
// values get one warning on stderr per load, however many parameters hold them: loading them is
// allowed (the user may want to inspect a diverged run), but a model that can only produce NaN must
// not pass unnoticed.
void load_parameters(nn::GPT& model, const io::NamedTensors& all, const std::string& path) {
  size_t bad_parameters = 0;
  std::string first_bad;
  for (auto& [name, t] : model.named_parameters()) {
    const size_t bad = copy_into(t, entry(all, name, path), name);
    if (bad > 0 && bad_parameters++ == 0)
      first_bad = name + " has " + std::to_string(bad) + " of " + std::to_string(t.numel()) + " values";
  }
  if (bad_parameters > 0)
    std::fprintf(stderr, "warning: checkpoint %s: %zu parameter%s NaN or infinite values (first: %s)\n", path.c_str(),
                 bad_parameters, bad_parameters == 1 ? " holds" : "s hold", first_bad.c_str());
}

// A checkpoint resumes a run only if it was written by the same model on the same vocabulary.
void check_resumable(const io::NamedTensors& all, const std::string& path, const nn::GPTConfig& model, const std::string& vocab) {
  const nn::GPTConfig saved = checkpoint_config(all, path);
  for (const ConfigField& f : kConfigFields)
    check_field(saved.*f.member == model.*f.member, path, f.name, saved.*f.member,
                "the model being trained has " + std::to_string(model.*f.member));
  check(checkpoint_vocab(all, path, saved.vocab) == vocab,
        [&] { return "checkpoint " + path + ": meta.vocab differs from the vocabulary of the training text"; });
}

double loss_on(nn::GPT& model, const Tensor& x, const Tensor& y) {
  const Shape& s = x.shape();
  return nn::cross_entropy(model(x).reshape({s[0] * s[1], model.config.vocab}), y.reshape({s[0] * s[1]})).item<double>();
}

void save(const std::string& path, nn::GPT& model, nn::Optimizer& opt, int step, const std::string& vocab) {
  io::NamedTensors all = model.named_parameters();
  const std::vector<Tensor*> updated = opt.updated_tensors();
  const size_t params = model.named_parameters().size();
  for (size_t i = params; i < updated.size(); ++i) all.push_back({"optimizer." + std::to_string(i - params), *updated[i]});
  const nn::GPTConfig& c = model.config;
  all.push_back({"meta.step", Tensor::from_vector(std::vector<int64_t>{step}, {1})});
  all.push_back({"meta.config", Tensor::from_vector(std::vector<int64_t>{c.vocab, c.context, c.layers, c.heads, c.width}, {5})});
  all.push_back({"meta.vocab", Tensor::from_vector(std::vector<uint8_t>(vocab.begin(), vocab.end()), {int64_t(vocab.size())})});
  io::save_safetensors(path, all);
}

}  // namespace

NanoGptCheckpoint load_nanogpt(const std::string& path) {
  const io::NamedTensors all = io::load_safetensors(path);
  NanoGptCheckpoint out;
  const nn::GPTConfig config = checkpoint_config(all, path);  // every check that needs no model comes first
  out.vocab = checkpoint_vocab(all, path, config.vocab);
  out.step = checkpoint_step(all, path);
  out.model = std::make_shared<nn::GPT>(config);
  load_parameters(*out.model, all, path);
  return out;
}

NanoGptResult train_nanogpt(const NanoGptOptions& o, const io::CharDataset& data,
                            const std::function<void(const NanoGptLog&)>& on_log) {
  check(o.steps > 0 && o.warmup >= 0 && o.warmup < o.steps, "nanogpt: needs steps > warmup >= 0");
  manual_seed(o.seed);
  nn::GPTConfig cfg = o.model;
  cfg.vocab = data.vocab_size();
  NanoGptResult r;
  const int end = o.stop_at > 0 ? std::min(o.stop_at, o.steps) : o.steps;
  io::NamedTensors saved;  // the checkpoint resumed from, checked before a model is built
  if (o.resume) {
    check(!o.checkpoint.empty(), "nanogpt: --resume needs a checkpoint file");
    saved = io::load_safetensors(o.checkpoint);
    check_resumable(saved, o.checkpoint, cfg, data.vocab());
    r.first_step = checkpoint_step(saved, o.checkpoint);
    check(r.first_step < end, [&] {
      return "checkpoint " + o.checkpoint + ": meta.step " + std::to_string(r.first_step) + " leaves no steps to run (the run ends at step " +
             std::to_string(end) + ")";
    });
  }
  nn::GPT model(cfg);
  nn::AdamW opt(nn::decay_groups(model, o.weight_decay), o.lr, 0.9, 0.95, 1e-8);
  opt.clip_grad_norm(o.clip);
  if (o.resume) {
    load_parameters(model, saved, o.checkpoint);
    const std::vector<Tensor*> updated = opt.updated_tensors();
    const size_t params = model.named_parameters().size();
    for (size_t i = params; i < updated.size(); ++i) {
      const std::string name = "optimizer." + std::to_string(i - params);
      copy_into(*updated[i], entry(saved, name, o.checkpoint), name);
    }
  }
  auto batch_at = [&](bool train, uint64_t stream) {
    std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + stream);
    return data.batch(train, o.batch, cfg.context, rng);
  };
  auto validation = [&] {
    double sum = 0;
    for (int i = 0; i < o.eval_batches; ++i) {
      const auto [x, y] = batch_at(false, 1'000'000'000ull + uint64_t(i));
      sum += loss_on(model, x, y);
    }
    return sum / o.eval_batches;
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (int step = r.first_step; step < end; ++step) {
    opt.set_lr(nn::warmup_cosine_lr(step, o.warmup, o.steps, o.lr, o.min_lr));
    const auto [x, y] = batch_at(true, uint64_t(step));
    Tensor loss = nn::cross_entropy(model(x).reshape({o.batch * cfg.context, cfg.vocab}), y.reshape({o.batch * cfg.context}));
    r.losses.push_back(opt.step(loss));
    const int done = step + 1;
    const bool last = done == end;
    if (!o.checkpoint.empty() && (last || (o.checkpoint_every > 0 && done % o.checkpoint_every == 0)))
      save(o.checkpoint, model, opt, done, data.vocab());
    if (done % o.log_every == 0 || last || (o.eval_every > 0 && done % o.eval_every == 0)) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      NanoGptLog log{done, r.losses.back(), opt.lr(), double(done - r.first_step) / secs, std::nullopt};
      if (last || (o.eval_every > 0 && done % o.eval_every == 0)) log.val_loss = r.val_loss = validation();
      on_log(log);
    }
  }
  r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace anneal
