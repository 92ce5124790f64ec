// A char-level nanoGPT: training with AdamW (decay groups), warmup + cosine learning rate, gradient
// clipping and periodic validation; checkpoints (safetensors) that a run resumes from exactly: the
// batches of step s depend only on (seed, s), and the optimizer state is saved with the weights.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "anneal/io/char_dataset.h"
#include "anneal/nn/transformer.h"

namespace anneal {

struct NanoGptOptions {
  nn::GPTConfig model{0, 64, 4, 4, 128};  // W4s; the vocabulary comes from the data
  int64_t batch = 16;
  int steps = 2000;          // the schedule's length
  int stop_at = 0;           // stop after this step (0 = at `steps`): an interrupted run
  double lr = 1e-3, min_lr = 1e-4, weight_decay = 0.1, clip = 1.0;
  int warmup = 100;
  uint64_t seed = 0;
  int log_every = 10, eval_every = 250, eval_batches = 8;
  std::string checkpoint;    // written every checkpoint_every steps and at the end ("" = never)
  int checkpoint_every = 0;
  bool resume = false;       // start from `checkpoint`
};

struct NanoGptLog {
  int step;
  double loss, lr, steps_per_s;
  std::optional<double> val_loss;
};

struct NanoGptResult {
  std::vector<double> losses;  // one per step run in this call
  int first_step = 0;          // the step this call started at (after a resume)
  double val_loss = 0, train_seconds = 0;
};

NanoGptResult train_nanogpt(const NanoGptOptions& opts, const io::CharDataset& data,
                            const std::function<void(const NanoGptLog&)>& on_log);

// A model and its vocabulary from a checkpoint.
struct NanoGptCheckpoint {
  std::shared_ptr<nn::GPT> model;
  std::string vocab;
  int step = 0;
};
NanoGptCheckpoint load_nanogpt(const std::string& path);

}  // namespace anneal
