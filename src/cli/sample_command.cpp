#include "cli/sample_command.h"

#include <fmt/format.h>

#include <memory>

#include "anneal/io/char_dataset.h"
#include "anneal/models/nanogpt.h"
#include "cli/option_checks.h"

namespace anneal::cli {

void register_sample(CLI::App& app) {
  struct Options {
    std::string model, checkpoint, prompt = "\n";
    int64_t tokens = 300, top_k = 0;
    double temperature = 0.8;
    uint64_t seed = 0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("sample", "Generate text from a trained model's checkpoint");
  cmd->add_option("model", o->model, "nanogpt")->required()->check(CLI::IsMember({"nanogpt"}));
  cmd->add_option("prompt", o->prompt, "Text to continue (characters of the training text)");
  cmd->add_option("--checkpoint", o->checkpoint, "Checkpoint written by `anneal train nanogpt --checkpoint`")->required();
  cmd->add_option("--tokens", o->tokens, "Characters to generate")->capture_default_str()->check(whole_number(0));
  cmd->add_option("--temperature", o->temperature, "0 = greedy")->capture_default_str()->check(non_negative_real());
  cmd->add_option("--top-k", o->top_k, "Sample among the k most likely (0 = all)")->capture_default_str()->check(whole_number(0));
  cmd->add_option("--seed", o->seed, "Seed of the sampler")->capture_default_str()->check(whole_number(0, std::numeric_limits<int64_t>::max()));
  cmd->callback([o] {
    const NanoGptCheckpoint ck = load_nanogpt(o->checkpoint);
    const io::CharDataset vocab(ck.vocab);  // the vocabulary is its own sorted distinct characters
    const std::vector<int32_t> out = nn::generate(*ck.model, vocab.encode(o->prompt), o->tokens, o->temperature, o->top_k, o->seed);
    fmt::print("{}\n", vocab.decode(out));
  });
}

}  // namespace anneal::cli
