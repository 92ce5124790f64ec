#include "cli/bench_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "anneal/models/workloads.h"
#include "anneal/runtime/device.h"
#include "cli/option_checks.h"

namespace anneal::cli {

void register_bench(CLI::App& app) {
  struct Options {
    std::string workload;
    int64_t n = 0;
    int reps = 10;
    std::string dtype = "float32";
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("bench", "Time a workload of WORKLOADS.md on the device (median of --reps runs)");
  cmd->add_option("workload", o->workload,
                  "w1 (N x N matmul), w2 (MLP train step), w2dyn (W2 with a symbolic batch, as dynmlp), w3 (conv train "
                  "step), w4 (nanoGPT train step: W4s on the CPU, W4 on GPUs), w5 (GPT-2 small forward: n x 1024 tokens, 1 x 64 "
                  "on the CPU), w6 (GPT-2 small greedy decode, ms per token)")
      ->required()
      ->check(CLI::IsMember({"w1", "w2", "w2dyn", "w3", "w4", "w5", "w6"}, CLI::ignore_case));
  cmd->add_option("--n", o->n, "W1: N (default 1024 on the CPU, 4096 on GPUs); W2/W3: batch (default 128); W4, W5: batch")
      ->check(whole_number(1, 1 << 20));
  cmd->add_option("--reps", o->reps, "Timed runs")->capture_default_str()->check(whole_number(1));
  cmd->add_option("--dtype", o->dtype, "W1: float32, float16 or bfloat16")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "float16", "bfloat16"}));
  cmd->add_flag("--json", o->json, "Print {\"workload\", \"device\", \"dtype\", \"n\", \"ms\", \"gflops\"}");
  cmd->callback([o] {
    const WorkloadResult r = run_workload(o->workload, default_device(), o->n, o->reps, *dtype_from_name(o->dtype));
    if (o->json) {
      nlohmann::json j = {{"workload", r.workload}, {"device", r.device}, {"dtype", std::string(r.dtype.name())},
                          {"n", r.n}, {"ms", r.ms}};
      j["gflops"] = r.gflops > 0 ? nlohmann::json(r.gflops) : nlohmann::json(nullptr);
      fmt::print("{}\n", j.dump());
    } else if (r.gflops > 0) {
      fmt::print("{} on {}: {} N={} {:.3f} ms  {:.1f} GFLOP/s\n", r.workload, r.device, r.dtype.name(), r.n, r.ms, r.gflops);
    } else {
      const char* unit = r.workload == "w5" ? "forward" : r.workload == "w6" ? "token" : "step";
      fmt::print("{} on {}: batch {} {:.3f} ms per {}\n", r.workload, r.device, r.n, r.ms, unit);
    }
  });
}

}  // namespace anneal::cli
