#include "cli/train_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "anneal/models/classifier.h"
#include "anneal/runtime/device.h"

namespace anneal::cli {
namespace {

struct TrainCliOptions {
  TrainOptions train;
  std::string data = "/usr/share/datasets/fashion-mnist";
  bool plain = false;
};

// A sparkline of the recent losses, scaled to their own range.
std::string sparkline(const std::vector<double>& v) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (v.empty()) return "";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::string s;
  for (double x : v) s += bars[*hi > *lo ? std::min(7, int((x - *lo) / (*hi - *lo) * 7.999)) : 0];
  return s;
}

void run_train(TrainCliOptions o) {
  fmt::print("device={}\n", default_device());
  const bool live = !o.plain && isatty(STDOUT_FILENO);
  const io::Mnist data = io::load_mnist(o.data);
  std::vector<double> recent;
  const TrainResult r = train_classifier(o.train, data, [&](const TrainLog& log) {
    if (!live) {
      fmt::print("step={} loss={:.4f} steps_per_s={:.2f} kernels_per_step={} seam_kernels={}\n", log.step, log.loss,
                 log.steps_per_s, log.kernels_per_step, log.seam_kernels);
      std::fflush(stdout);
      return;
    }
    recent.push_back(log.loss);
    if (recent.size() > 40) recent.erase(recent.begin());
    const int width = 30, done = int(double(log.step) / o.train.steps * width);
    fmt::print("\r\033[K[{}{}] {}/{}  loss {:.4f} {}  {:.1f} steps/s  {} kernels/step ({} across the seam)",
               std::string(size_t(done), '#'), std::string(size_t(width - done), '-'), log.step, o.train.steps, log.loss,
               sparkline(recent), log.steps_per_s, log.kernels_per_step, log.seam_kernels);
    std::fflush(stdout);
  });
  if (live) fmt::print("\n");
  fmt::print("train_seconds={:.1f}\ntest_accuracy={:.4f}\n", r.train_seconds, r.test_accuracy);
}

}  // namespace

void register_train(CLI::App& app) {
  auto o = std::make_shared<TrainCliOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a classifier (mlp or conv) on Fashion-MNIST");
  cmd->add_option("model", o->train.model, "mlp (784-512-512-10) or conv (W3)")->required()->check(CLI::IsMember({"mlp", "conv"}));
  cmd->add_option("--steps", o->train.steps, "Training steps")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->train.batch, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--lr", o->train.lr, "Adam learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->train.seed, "Seed for initialisation and shuffling")->capture_default_str();
  cmd->add_option("--data", o->data, "Directory with the IDX files")->capture_default_str();
  cmd->add_option("--eval", o->train.eval_limit, "Test images to evaluate (0 = all)")->capture_default_str();
  cmd->add_flag("--plain", o->plain, "One line per log step instead of the live display");
  cmd->callback([o] { run_train(*o); });
}

}  // namespace anneal::cli
