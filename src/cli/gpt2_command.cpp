#include "cli/gpt2_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "anneal/io/gpt2_tokenizer.h"
#include "anneal/io/safetensors.h"
#include "anneal/models/gpt2.h"
#include "anneal/nn/kv_decoder.h"
#include "anneal/support/error.h"
#include "cli/option_checks.h"

namespace anneal::cli {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Which checkpoint to run: a local file, or a published model fetched once into the cache.
struct ModelChoice {
  std::string model = "gpt2", weights, dtype = "float32";
};

void add_model_options(CLI::App* cmd, ModelChoice& m) {
  cmd->add_option("--model", m.model, "Published checkpoint, downloaded once from the Hugging Face hub")
      ->capture_default_str()
      ->check(CLI::IsMember(gpt2_model_names()));
  cmd->add_option("--weights", m.weights, "A local model.safetensors (its config.json beside it is read when present)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--dtype", m.dtype, "Weights converted at load (computed with float32 accumulation)")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "float16", "bfloat16"}));
}

// A progress line on a terminal: MB done of the total, speed and time left.
io::DownloadProgress progress_bar(const std::string& what) {
  if (!isatty(fileno(stderr))) return {};
  auto start = std::make_shared<Clock::time_point>(Clock::now());
  auto last = std::make_shared<double>(-1.0);
  return [=](int64_t got, int64_t total) {
    const double t = seconds_since(*start);
    if (t - *last < 0.2 && got != total) return;  // five redraws a second at most
    *last = t;
    const double mb = double(got) / 1e6, rate = t > 0 ? mb / t : 0.0;
    std::string line = fmt::format("\rdownloading {}: {:.1f}", what, mb);
    if (total > 0) {
      const double eta = rate > 0 ? (double(total) / 1e6 - mb) / rate : 0.0;
      line += fmt::format(" / {:.1f} MB ({:.0f}%)  {:.1f} MB/s  ETA {:.0f} s", double(total) / 1e6,
                          100.0 * double(got) / double(total), rate, eta);
    } else {
      line += fmt::format(" MB  {:.1f} MB/s", rate);
    }
    fmt::print(stderr, "{}   ", line);
    if (got == total) fmt::print(stderr, "\n");
  };
}

Gpt2Checkpoint load_choice(const ModelChoice& m) {
  const DType dtype = m.dtype == "float16" ? dtypes::float16 : m.dtype == "bfloat16" ? dtypes::bfloat16 : dtypes::float32;
  if (!m.weights.empty()) return load_gpt2(m.weights, dtype);
  const io::Asset asset = gpt2_weights_asset(m.model);
  std::string path;
  try {
    path = io::fetch_asset(asset, "", progress_bar(m.model + " " + asset.name));
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + "; or pass --weights FILE with a local copy of " + asset.url);
  }
  return load_gpt2(path, dtype);
}

std::vector<int32_t> prompt_ids(const io::Gpt2Tokenizer& tok, const std::string& text) {
  std::vector<int32_t> ids = tok.encode(text);
  if (ids.empty()) ids.push_back(io::Gpt2Tokenizer::kEndOfText);  // as HF's generate starts an empty prompt
  return ids;
}

// Token ids from a file: integers separated by white space or commas.
std::vector<int32_t> read_ids(const std::string& path) {
  std::ifstream in(path);
  check(bool(in), "cannot read " + path);
  std::vector<int32_t> ids;
  std::string word;
  while (in >> word) {
    std::replace(word.begin(), word.end(), ',', ' ');
    std::istringstream parts(word);
    for (int64_t v; parts >> v;) {
      check(v >= 0 && v < io::Gpt2Tokenizer::kEndOfText + 1, [&] { return path + ": token id " + std::to_string(v) + " is outside GPT-2's vocabulary"; });
      ids.push_back(int32_t(v));
    }
    check(parts.eof(), [&] { return path + ": \"" + word + "\" is not a token id"; });
  }
  check(!ids.empty(), path + ": no token ids");
  return ids;
}

void register_sample_verb(CLI::App* gpt2) {
  struct Options {
    ModelChoice model;
    std::string prompt;
    int64_t tokens = 50, top_k = 0;
    double temperature = 1.0, top_p = 1.0;
    uint64_t seed = 0;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = gpt2->add_subcommand("sample", "Continue a prompt, streaming the text as it is produced");
  cmd->add_option("prompt", o->prompt, "Text to continue (empty: start from <|endoftext|>)");
  add_model_options(cmd, o->model);
  cmd->add_option("--tokens", o->tokens, "Tokens to generate (stops early at <|endoftext|>)")
      ->capture_default_str()
      ->check(whole_number(1, 1024));
  cmd->add_option("--temperature", o->temperature, "0 = greedy")->capture_default_str()->check(non_negative_real());
  cmd->add_option("--top-k", o->top_k, "Sample among the k most likely (0 = all)")->capture_default_str()->check(whole_number(0));
  cmd->add_option("--top-p", o->top_p, "Sample among the most likely tokens whose probabilities reach p (1 = all)")
      ->capture_default_str()
      ->check(CLI::Range(1e-9, 1.0));
  cmd->add_option("--seed", o->seed, "Seed of the sampler")->capture_default_str()->check(whole_number(0, std::numeric_limits<int64_t>::max()));
  cmd->add_flag("--json", o->json, "Print JSON at the end (ids, text, timings) instead of streaming");
  cmd->callback([o] {
    const io::Gpt2Tokenizer tok = io::Gpt2Tokenizer::load();
    const Gpt2Checkpoint ck = load_choice(o->model);
    const std::vector<int32_t> prompt = prompt_ids(tok, o->prompt);
    const int64_t room = ck.model->config.context - int64_t(prompt.size());
    check(room > 0, [&] {
      return "the prompt is " + std::to_string(prompt.size()) + " tokens: no room left in the context of " +
             std::to_string(ck.model->config.context);
    });
    const int64_t tokens = std::min(o->tokens, room);
    if (!o->json) {
      fmt::print("{}", o->prompt);
      std::fflush(stdout);
    }
    io::Utf8Stream text;
    const Clock::time_point start = Clock::now();
    Clock::time_point first;
    int64_t produced = 0;
    auto on_token = [&](int32_t id) {
      if (produced++ == 0) first = Clock::now();
      if (id == io::Gpt2Tokenizer::kEndOfText || o->json) return;
      fmt::print("{}", text.push(tok.token_bytes(id)));
      std::fflush(stdout);
    };
    const std::vector<int32_t> ids = nn::generate_cached(*ck.model, prompt, tokens, {o->temperature, o->top_k, o->top_p, o->seed},
                                                         on_token, io::Gpt2Tokenizer::kEndOfText);
    const double total_s = seconds_since(start);
    const double prefill_ms = std::chrono::duration<double, std::milli>(first - start).count();
    const double decode_s = std::chrono::duration<double>(Clock::now() - first).count();
    const int64_t decoded = produced - 1;  // tokens after the first, which the prefill produced
    const double ms_per_token = decoded > 0 ? 1e3 * decode_s / double(decoded) : 0.0;
    if (o->json) {
      const std::vector<int32_t> fresh(ids.begin() + std::ptrdiff_t(prompt.size()), ids.end());
      fmt::print("{}\n", nlohmann::json{{"prompt_ids", prompt}, {"ids", fresh}, {"text", tok.decode(fresh)},
                                        {"prefill_ms", prefill_ms}, {"ms_per_token", ms_per_token},
                                        {"total_ms_per_token", 1e3 * total_s / double(produced)}}
                                .dump());
      return;
    }
    fmt::print("{}\n", text.finish());
    fmt::print("-- {} prompt tokens, {} new; prefill {:.1f} ms; {:.2f} ms/token, {:.1f} tokens/s\n", prompt.size(), produced,
               prefill_ms, ms_per_token, decoded > 0 ? double(decoded) / decode_s : 0.0);
  });
}

void register_logits_verb(CLI::App* gpt2) {
  struct Options {
    ModelChoice model;
    std::string text, ids_file, save;
    int64_t top = 10;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = gpt2->add_subcommand("logits", "The next-token logits after a text: its token ids and the top ones");
  cmd->add_option("text", o->text, "Text to read");
  cmd->add_option("--ids-file", o->ids_file, "Token ids to read instead of text (integers)")->check(CLI::ExistingFile);
  add_model_options(cmd, o->model);
  cmd->add_option("--top", o->top, "How many of the largest logits to list")->capture_default_str()->check(whole_number(1, 50257));
  cmd->add_option("--save", o->save, "Write every position's logits (1, T, vocab) to this safetensors file");
  cmd->add_flag("--json", o->json, "Print JSON: ids and the last position's top logits");
  cmd->callback([o] {
    const io::Gpt2Tokenizer tok = io::Gpt2Tokenizer::load();
    const std::vector<int32_t> ids = o->ids_file.empty() ? prompt_ids(tok, o->text) : read_ids(o->ids_file);
    const Gpt2Checkpoint ck = load_choice(o->model);
    const int64_t t = int64_t(ids.size()), vocab = ck.model->config.vocab;
    check(t <= ck.model->config.context, [&] {
      return std::to_string(t) + " tokens do not fit the context of " + std::to_string(ck.model->config.context);
    });
    Tensor logits = (*ck.model)(Tensor::from_vector(ids, {1, t})).cast(dtypes::float32);
    logits.realize();
    if (!o->save.empty()) io::save_safetensors(o->save, {{"logits", logits}, {"ids", Tensor::from_vector(ids, {1, t})}});
    const std::vector<float> last = logits.shrink({{0, 1}, {t - 1, t}, {0, vocab}}).to_vector<float>();
    std::vector<int32_t> order(last.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t top = size_t(std::min<int64_t>(o->top, vocab));
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(top), order.end(),
                      [&](int32_t a, int32_t b) { return last[size_t(a)] > last[size_t(b)]; });
    if (o->json) {
      nlohmann::json j{{"ids", ids}, {"top", nlohmann::json::array()}};
      for (size_t i = 0; i < top; ++i)
        j["top"].push_back({{"id", order[i]}, {"token", tok.decode({order[i]})}, {"logit", last[size_t(order[i])]}});
      fmt::print("{}\n", j.dump());
      return;
    }
    fmt::print("{} tokens; the next token's largest logits:\n", ids.size());
    for (size_t i = 0; i < top; ++i)
      fmt::print("  {:>6}  {:>10.4f}  {}\n", order[i], last[size_t(order[i])], nlohmann::json(tok.decode({order[i]})).dump());
  });
}

void register_tokenize_verb(CLI::App* gpt2) {
  struct Options {
    std::string text;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = gpt2->add_subcommand("tokenize", "GPT-2's token ids of a text");
  cmd->add_option("text", o->text, "Text to tokenize")->required();
  cmd->add_flag("--json", o->json, "Print JSON: ids and each token's text");
  cmd->callback([o] {
    const io::Gpt2Tokenizer tok = io::Gpt2Tokenizer::load();
    const std::vector<int32_t> ids = tok.encode(o->text);
    if (o->json) {
      nlohmann::json tokens = nlohmann::json::array();
      for (int32_t id : ids) tokens.push_back(tok.decode({id}));
      fmt::print("{}\n", nlohmann::json{{"ids", ids}, {"tokens", tokens}}.dump());
      return;
    }
    for (size_t i = 0; i < ids.size(); ++i) fmt::print("{}{}", i ? " " : "", ids[i]);
    fmt::print("\n");
  });
}

}  // namespace

void register_gpt2(CLI::App& app) {
  CLI::App* gpt2 = app.add_subcommand("gpt2", "GPT-2 (OpenAI's weights via Hugging Face): sample, logits, tokenize");
  gpt2->require_subcommand(1);
  register_sample_verb(gpt2);
  register_logits_verb(gpt2);
  register_tokenize_verb(gpt2);
}

}  // namespace anneal::cli
