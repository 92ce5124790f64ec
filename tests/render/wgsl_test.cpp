// The WGSL renderer: every kernel of the built-in programs and of a training step, unoptimized, with
// the heuristics' opts for WebGPU and with each GPU opt that applies, must compile into a compute
// pipeline with Dawn's WGSL compiler (validate_wgsl, Dawn's Null backend: no GPU needed).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "anneal/anneal.h"
#include "anneal/codegen/opt.h"
#include "anneal/models/classifier.h"
#include "anneal/models/programs.h"
#include "anneal/nn/optim.h"
#include "anneal/render/renderer.h"
#include "anneal/runtime/webgpu_probe.h"

namespace anneal {
namespace {


TEST(Wgsl, TheValidatorRejectsBrokenShaders) {
  const std::string good =
      "@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n"
      "@compute @workgroup_size(64)\nfn k(@builtin(local_invocation_id) l: vec3<u32>) { out[l.x] = 1.0; }\n";
  EXPECT_EQ(validate_wgsl(good, "k"), "");
  EXPECT_NE(validate_wgsl("fn k() { let x: f32 = 1; }", "k"), "");  // not a compute entry point
  const std::string mixed = good.substr(0, good.find("1.0")) + "1 ? 2 : 3; }\n";  // C's ?: is not WGSL
  EXPECT_NE(validate_wgsl(mixed, "k"), "");
  EXPECT_NE(validate_wgsl(good, "missing"), "");
}

// Opt lists to try on a kernel (those that do not apply are skipped).
std::vector<std::vector<Opt>> variants(const ScheduledKernel& k) {
  std::vector<std::vector<Opt>> out = {{}, hand_coded_opts(k, webgpu_target())};
  for (const Opt& o : {Opt{OptOp::Group, 0, 64}, Opt{OptOp::GroupTop, 0, 32}, Opt{OptOp::Unroll, 0, 2},
                       Opt{OptOp::Upcast, 0, 2}, Opt{OptOp::Local, 0, 2}, Opt{OptOp::PadTo, 0, 16}})
    out.push_back({o});
  out.push_back({{OptOp::Upcast, 1, 4}, {OptOp::Local, 0, 4}});
  return out;
}

std::vector<Tensor> train_step(const std::string& name) {
  manual_seed(0);
  auto model = make_classifier(name);
  static std::vector<std::unique_ptr<nn::Adam>> keep;
  keep.push_back(std::make_unique<nn::Adam>(model->parameters(), 1e-3));
  const Tensor x = name == "conv" ? Tensor::rand({16, 1, 28, 28}) : Tensor::rand({64, 784});
  const Tensor loss = nn::cross_entropy((*model)(x), Tensor::randint({x.shape()[0]}, 0, 10));
  keep.back()->add_updates(loss);
  std::vector<Tensor> outs{loss};
  for (Tensor* t : keep.back()->updated_tensors()) outs.push_back(*t);
  return outs;
}

TEST(Wgsl, EveryKernelOfTheProgramsCompilesWithDawn) {
  std::vector<std::pair<std::string, std::vector<Tensor>>> programs;
  for (const std::string& n : program_names()) programs.push_back({n, build_program(n).outputs});
  programs.push_back({"mlp train step", train_step("mlp")});
  programs.push_back({"conv train step", train_step("conv")});
  int validated = 0, refused = 0;
  for (const auto& [name, outputs] : programs) {
    std::vector<UOp> outs;
    for (const Tensor& t : outputs) outs.push_back(t.uop());
    for (const ScheduledKernel& k : create_schedule(outs).kernels) {
      std::vector<ScheduledKernel> tried;
      for (const std::vector<Opt>& opts : variants(k)) {
        ScheduledKernel o = k;
        try {
          for (const Opt& op : opts) o = apply_opt(o, op);
        } catch (const Error&) {
          continue;  // the opt does not apply to this kernel
        }
        o.name = k.name + "_" + std::to_string(tried.size());
        tried.push_back(o);
      }
      ProgramSource program;
      try {
        program = render_program(tried, webgpu_target());
      } catch (const Error& e) {
        // What WGSL cannot hold must be said clearly (and is rare: buffers of bools, 64-bit indices).
        const std::string what = e.what();
        EXPECT_NE(what.find("WGSL renderer:"), std::string::npos) << what;
        ++refused;
        std::fprintf(stderr, "refused %s: %s\n", k.name.c_str(), what.c_str());
        continue;
      }
      const std::string code = program.code();
      for (const KernelEntry& entry : program.kernels) {
        EXPECT_EQ(validate_wgsl(code, entry.name), "") << name << ": " << entry.name << "\n" << code;
        EXPECT_LE(entry.local[0], 256) << entry.name;  // WebGPU's guaranteed workgroup size
        ++validated;
      }
    }
  }
  EXPECT_GT(validated, 300);
  EXPECT_LE(refused, validated / 20);
}

}  // namespace
}  // namespace anneal
