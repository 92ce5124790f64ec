#include "anneal/models/nanogpt.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "anneal/io/safetensors.h"
#include "anneal/nn/optim.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/tensor/random.h"

namespace anneal {
namespace {

// Overwrites the realized buffer behind `dst` (shared by every handle of it) with `src`'s values.
void copy_into(Tensor& dst, const Tensor& src, const std::string& name) {
  check(dst.shape() == src.shape() && dst.dtype() == src.dtype(), [&] {
    return "checkpoint: " + name + " is " + shape_str(src.shape()) + " " + std::string(src.dtype().name()) +
           ", the model expects " + shape_str(dst.shape()) + " " + std::string(dst.dtype().name());
  });
  dst.realize();
  Tensor s = src.contiguous().to(dst.device());
  s.realize();
  upload(view_buffer(dst.uop()), download(view_buffer(s.uop())).data());
}

const Tensor& entry(const io::NamedTensors& all, const std::string& name, const std::string& path) {
  for (const auto& [n, t] : all)
    if (n == name) return t;
  throw Error("checkpoint " + path + ": no entry " + name);
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
  const std::vector<int64_t> c = entry(all, "meta.config", path).to_vector<int64_t>();
  check(c.size() == 5, [&] { return "checkpoint " + path + ": meta.config must hold 5 sizes"; });
  NanoGptCheckpoint out;
  out.model = std::make_shared<nn::GPT>(nn::GPTConfig{c[0], c[1], c[2], c[3], c[4]});
  for (auto& [name, t] : out.model->named_parameters()) copy_into(t, entry(all, name, path), name);
  for (uint8_t ch : entry(all, "meta.vocab", path).to_vector<uint8_t>()) out.vocab += char(ch);
  out.step = int(entry(all, "meta.step", path).to_vector<int64_t>().at(0));
  check(int64_t(out.vocab.size()) == c[0], [&] { return "checkpoint " + path + ": the vocabulary does not match the model"; });
  return out;
}

NanoGptResult train_nanogpt(const NanoGptOptions& o, const io::CharDataset& data,
                            const std::function<void(const NanoGptLog&)>& on_log) {
  check(o.steps > 0 && o.warmup >= 0 && o.warmup < o.steps, "nanogpt: needs steps > warmup >= 0");
  manual_seed(o.seed);
  nn::GPTConfig cfg = o.model;
  cfg.vocab = data.vocab_size();
  nn::GPT model(cfg);
  nn::AdamW opt(nn::decay_groups(model, o.weight_decay), o.lr, 0.9, 0.95, 1e-8);
  opt.clip_grad_norm(o.clip);
  NanoGptResult r;
  if (o.resume) {
    check(!o.checkpoint.empty(), "nanogpt: --resume needs a checkpoint file");
    const io::NamedTensors all = io::load_safetensors(o.checkpoint);
    for (auto& [name, t] : model.named_parameters()) copy_into(t, entry(all, name, o.checkpoint), name);
    const std::vector<Tensor*> updated = opt.updated_tensors();
    const size_t params = model.named_parameters().size();
    for (size_t i = params; i < updated.size(); ++i) {
      const std::string name = "optimizer." + std::to_string(i - params);
      copy_into(*updated[i], entry(all, name, o.checkpoint), name);
    }
    r.first_step = int(entry(all, "meta.step", o.checkpoint).to_vector<int64_t>().at(0));
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
  const int end = o.stop_at > 0 ? std::min(o.stop_at, o.steps) : o.steps;
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
