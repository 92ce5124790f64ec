#include "cli/program_commands.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "anneal/models/classifier.h"
#include "anneal/models/programs.h"
#include "anneal/nn/optim.h"
#include "anneal/tensor/provenance.h"
#include "anneal/tensor/random.h"
#include "anneal/engine/engine.h"
#include "anneal/runtime/device.h"
#include "anneal/schedule/schedule.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/print.h"
#include "viz/program_json.h"

namespace anneal::cli {
namespace {

struct ProgramOptions {
  std::string program;
  bool json = false;
  bool run = false;
  bool opts = false;
  bool train = false;
};

std::vector<UOp> output_uops(const Program& p) {
  std::vector<UOp> outs;
  for (const Tensor& t : p.outputs) outs.push_back(t.uop());
  return outs;
}

std::string program_help() {
  std::string s = "Built-in program: ";
  for (const std::string& n : program_names()) s += n + (n == program_names().back() ? "" : ", ");
  return s;
}

// A built-in program, or with --train one whole training step (with its nodes' provenance).
Program program_of(const ProgramOptions& o, TrainStep& step) {
  if (!o.train) return build_program(o.program);
  step = build_train_step(o.program);
  return step.program;
}

void print_graph_verb(const ProgramOptions& o) {
  TrainStep step;
  const Program p = program_of(o, step);
  const std::vector<UOp> outputs = output_uops(p);
  if (!o.json) {
    fmt::print("# {}: {}\n{}", p.name, p.description, print_graph(UOp::make(Ops::SINK, dtypes::void_, outputs)));
    return;
  }
  fmt::print("{}\n", nlohmann::json{{"program", p.name}, {"nodes", viz::graph_json(outputs)}}.dump());
}

void print_kernels_verb(const ProgramOptions& o) {
  TrainStep step;
  Program p = program_of(o, step);
  Schedule s = create_schedule(output_uops(p));
  auto phases = [&](const ScheduledKernel& k) {
    std::vector<std::string> names;
    if (step.provenance)
      for (Phase ph : step.provenance->phases_of(k)) names.push_back(phase_name(ph));
    return names;
  };
  // What actually runs, as the engine prepares it for the device: with --run the schedule runs first
  // (so that under ANNEAL_BEAM the searched winners are what is shown).
  if (o.run) run_schedule(s);
  const std::vector<PreparedKernel> prepared = prepare_kernels(s);
  auto opts_text = [&](size_t i) {
    std::string t;
    for (const Opt& op : prepared[i].opts) t += (t.empty() ? "" : " ") + op.str();
    return (t.empty() ? std::string("none") : t) + (prepared[i].origin == "beam" ? " (BEAM)" : "");
  };
  if (o.json) {
    nlohmann::json out = viz::kernels_json(s, prepared, step.provenance.get());
    out["program"] = p.name;
    if (o.run) {  // every value of every output, in output order
      nlohmann::json results = nlohmann::json::array();
      for (const UOp& u : s.outputs) results.push_back(Tensor(u).to_vector<double>());
      out["results"] = results;
    }
    fmt::print("{}\n", out.dump());
    return;
  } else {
    fmt::print("# {}: {} -> {} kernel{}", p.name, p.description, s.kernels.size(), s.kernels.size() == 1 ? "" : "s");
    if (o.train) fmt::print(", {} crossing the forward/backward seam", step.provenance->seam_kernels(s));
    fmt::print("\n");
    for (size_t ki = 0; ki < s.kernels.size(); ++ki) {
      const ScheduledKernel& k = prepared[ki].kernel;
      std::string ph;
      for (const std::string& n : phases(s.kernels[ki])) ph += (ph.empty() ? " [" : ", ") + n;
      fmt::print("\n// {} over {} ({} buffers){}\n", k.name, shape_str(k.shape), k.buffers.size(), ph.empty() ? "" : ph + "]");
      for (const auto& v : viz::variables_json(s, k))  // symbolic kernels: the arguments after the buffers
        fmt::print("// variable {} in [{}, {}] = {}\n", v["name"].get<std::string>(), v["min"].get<int64_t>(), v["max"].get<int64_t>(),
                   v.contains("value") ? std::to_string(v["value"].get<int64_t>()) : std::string("unbound"));
      if (o.opts) fmt::print("// opts: {}\n", opts_text(ki));
      fmt::print("{}", prepared[ki].entry.source);
    }
  }
  if (!o.run) return;
  for (const UOp& out : s.outputs) {
    const Tensor t(out);
    const std::vector<double> v = t.to_vector<double>();
    double sum = 0;
    for (double x : v) sum += x;
    fmt::print("\nresult {}: first values", shape_str(t.shape()));
    for (size_t i = 0; i < std::min<size_t>(6, v.size()); ++i) fmt::print(" {:.6g}", v[i]);
    fmt::print(", sum {:.6g}\n", sum);
  }
}

CLI::App* add_program_verb(CLI::App& app, const char* name, const char* help, std::shared_ptr<ProgramOptions> o) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("program", o->program, program_help())->required();
  cmd->add_flag("--json", o->json, "Print one JSON object instead of text");
  cmd->add_flag("--train", o->train,
                "PROGRAM is a training step (mlp, conv, dynmlp, nanogpt): all of it, forward, backward and optimizer");
  return cmd;
}

}  // namespace

void register_graph(CLI::App& app) {
  auto o = std::make_shared<ProgramOptions>();
  add_program_verb(app, "graph", "Print the tensor graph of a built-in program", o)->callback([o] { print_graph_verb(*o); });
}

void register_kernels(CLI::App& app) {
  auto o = std::make_shared<ProgramOptions>();
  CLI::App* cmd = add_program_verb(app, "kernels", "Print the scheduled kernels of a built-in program with their source", o);
  cmd->add_flag("--run", o->run, "Also compile, run and print the result (with --json: every value)");
  cmd->add_flag("--opts", o->opts, "Show the opts the kernel optimizer applied to each kernel");
  cmd->callback([o] { print_kernels_verb(*o); });
}

}  // namespace anneal::cli
