#include "cli/train_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "anneal/io/download.h"
#include "anneal/models/classifier.h"
#include "anneal/models/nanogpt.h"
#include "anneal/runtime/device.h"
#include "cli/option_checks.h"
#include "cli/training_display.h"

namespace anneal::cli {
namespace {

struct TrainCliOptions {
  TrainOptions train;
  std::string data;  // Fashion-MNIST directory, or the nanoGPT text file
  std::string corpus = "bible";  // nanoGPT without --data: bible | tinyshakespeare
  bool plain = false;
  std::string checkpoint;
  int checkpoint_every = 500;
  bool resume = false;
  CLI::App* cmd = nullptr;
};

constexpr const char* kMnistDir = "/usr/share/datasets/fashion-mnist";

// The default nanoGPT corpus: the King James Bible from Debian's bible-kjv reader.
std::string bible_text() {
  FILE* p = popen("bible -l100000 \"gen1:1-rev22:21\" 2>/dev/null", "r");
  std::string text;
  if (p) {
    char buf[65536];
    while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
    pclose(p);
  }
  check(text.size() > 100000, "train nanogpt: no text: pass --data FILE, or install Debian's bible-kjv (make deps) for the default corpus");
  return text;
}

void run_nanogpt(const TrainCliOptions& o) {
  NanoGptOptions n;
  if (default_device() != "CPU") n.model = {0, 256, 6, 6, 384}, n.batch = 64;  // W4 on GPUs, W4s on the CPU
  if (o.cmd->count("--steps")) n.steps = o.train.steps;
  if (o.cmd->count("--batch")) n.batch = o.train.batch;
  if (o.cmd->count("--lr")) n.lr = o.train.lr;
  n.seed = o.train.seed;
  n.warmup = std::min(100, n.steps / 10);
  n.checkpoint = o.checkpoint;
  n.checkpoint_every = o.checkpoint_every;
  n.resume = o.resume;
  const io::CharDataset data = !o.data.empty()                 ? io::CharDataset::from_file(o.data)
                               : o.corpus == "tinyshakespeare" ? io::CharDataset::from_file(io::fetch_asset(io::tinyshakespeare_asset()))
                                                               : io::CharDataset(bible_text());
  fmt::print("device={} vocab={} train_tokens={} val_tokens={}\n", default_device(), data.vocab_size(), data.train_tokens(),
             data.val_tokens());
  TrainingDisplay display(n.steps, o.plain);
  const NanoGptResult r = train_nanogpt(n, data, [&](const NanoGptLog& l) {
    const std::string val = l.val_loss ? fmt::format(" val_loss={:.4f}", *l.val_loss) : "";
    display.report(l.step, l.loss, l.steps_per_s, fmt::format("  lr {:.2e}", l.lr),
                   fmt::format("step={} loss={:.4f} lr={:.2e} steps_per_s={:.2f}{}", l.step, l.loss, l.lr, l.steps_per_s, val));
    if (l.val_loss && display.live()) display.note(fmt::format("step {:>6}  loss {:.4f}  val_loss {:.4f}", l.step, l.loss, *l.val_loss));
  });
  display.finish();
  fmt::print("train_seconds={:.1f}\nval_loss={:.4f}\n", r.train_seconds, r.val_loss);
}

void run_train(TrainCliOptions o) {
  if (o.train.model == "nanogpt") return run_nanogpt(o);
  if (o.data.empty()) o.data = kMnistDir;
  // dynmlp's batches average 128.5 images, as mlp's 128, but half of them are smaller and noisier:
  // twice the steps (about 4 epochs) reach the same accuracy.
  if (o.train.model == "dynmlp" && !o.cmd->count("--steps")) o.train.steps = 2000;
  fmt::print("device={}\n", default_device());
  const io::Mnist data = io::load_mnist(o.data);
  TrainingDisplay display(o.train.steps, o.plain);
  const bool dynamic = o.train.model == "dynmlp";
  const TrainResult r = train_classifier(o.train, data, [&](const TrainLog& log) {
    // dynmlp shows each step's batch size and that the compiled kernels stay the same.
    const std::string dyn_live = dynamic ? fmt::format("  batch {:>3}  {} compiles", log.batch, log.compiles) : "";
    const std::string dyn_plain = dynamic ? fmt::format(" batch={} compiles={}", log.batch, log.compiles) : "";
    display.report(log.step, log.loss, log.steps_per_s,
                   fmt::format("  {} kernels/step ({} across the seam){}", log.kernels_per_step, log.seam_kernels, dyn_live),
                   fmt::format("step={} loss={:.4f} steps_per_s={:.2f} kernels_per_step={} seam_kernels={}{}", log.step, log.loss,
                               log.steps_per_s, log.kernels_per_step, log.seam_kernels, dyn_plain));
  });
  display.finish();
  fmt::print("train_seconds={:.1f}\ntest_accuracy={:.4f}\n", r.train_seconds, r.test_accuracy);
}

}  // namespace

void register_train(CLI::App& app) {
  auto o = std::make_shared<TrainCliOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model: mlp or conv on Fashion-MNIST, nanogpt on text");
  o->cmd = cmd;
  cmd->add_option("model", o->train.model,
                  "mlp (784-512-512-10), dynmlp (the MLP on batches of varying size, one symbolic batch dimension), conv (W3) "
                  "or nanogpt (W4s on the CPU, W4 on GPUs)")
      ->required()
      ->check(CLI::IsMember({"mlp", "dynmlp", "conv", "nanogpt"}));
  cmd->add_option("--steps", o->train.steps, "Training steps (dynmlp: 2000 unless given)")->capture_default_str()->check(whole_number(1));
  cmd->add_option("--batch", o->train.batch, "Batch size")->capture_default_str()->check(whole_number(1));
  cmd->add_option("--min-batch", o->train.min_batch, "dynmlp: smallest batch size drawn")->capture_default_str()->check(whole_number(1));
  cmd->add_option("--max-batch", o->train.max_batch, "dynmlp: largest batch size drawn")->capture_default_str()->check(whole_number(1));
  cmd->add_option("--lr", o->train.lr, "Adam learning rate")->capture_default_str()->check(positive_real());
  cmd->add_option("--seed", o->train.seed, "Seed for initialisation and shuffling")->capture_default_str()->check(whole_number(0, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--data", o->data, std::string("mlp/conv: directory with the IDX files (default ") + kMnistDir +
                                         "); nanogpt: a text file (default: the King James Bible from bible-kjv)");
  cmd->add_option("--eval", o->train.eval_limit, "Test images to evaluate (0 = all)")->capture_default_str()->check(whole_number(0, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--corpus", o->corpus, "nanogpt without --data: bible (King James, from bible-kjv) or tinyshakespeare "
                                         "(downloaded once, SHA-256 checked, cached)")
      ->capture_default_str()
      ->check(CLI::IsMember({"bible", "tinyshakespeare"}));
  cmd->add_flag("--plain", o->plain, "One line per log step instead of the live display");
  cmd->add_option("--checkpoint", o->checkpoint, "nanogpt: safetensors checkpoint to write (and --resume from)");
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "nanogpt: steps between checkpoints")->capture_default_str()->check(whole_number(1));
  cmd->add_flag("--resume", o->resume, "nanogpt: continue the run saved in --checkpoint");
  cmd->callback([o] { run_train(*o); });
}

}  // namespace anneal::cli
