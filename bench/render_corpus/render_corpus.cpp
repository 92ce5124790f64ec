// The render corpus: every kernel of the built-in programs, the MLP and conv training steps and
// matmuls (three dtypes; plain, transposed, with an epilogue, batched), each with the heuristics' opts
// for the CPU and CUDA and with ~90 fixed opt lists, rendered for C and CUDA into one text file per
// program. Run it before and after a refactor that must not change generated code and compare the
// two folders with compare.py (which tells refused opt lists from changed code). No GPU needed.
//
//   build/bench/render_corpus OUT_DIR
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "anneal/anneal.h"
#include "anneal/codegen/opt.h"
#include "anneal/models/classifier.h"
#include "anneal/models/programs.h"
#include "anneal/nn/optim.h"
#include "anneal/render/renderer.h"

using namespace anneal;

namespace {

std::vector<std::vector<Opt>> opt_lists() {
  std::vector<std::vector<Opt>> v = {{}};
  for (int a = 0; a < 3; ++a) {
    for (int64_t k : {2, 4, 8, 16}) v.push_back({{OptOp::Upcast, a, k}});
    for (int64_t k : {2, 4, 16}) v.push_back({{OptOp::Local, a, k}});
    v.push_back({{OptOp::Thread, a, 2}});
    v.push_back({{OptOp::Unroll, a, 2}});
    v.push_back({{OptOp::Unroll, a, 4}});
    v.push_back({{OptOp::PadTo, a, 3}});
    v.push_back({{OptOp::Swap, a, 0}});
    v.push_back({{OptOp::Upcast, a, 4}, {OptOp::Local, 0, 4}});
    v.push_back({{OptOp::Local, a, 4}, {OptOp::Upcast, 0, 2}});
    v.push_back({{OptOp::PadTo, a, 3}, {OptOp::Upcast, a, 3}});
    v.push_back({{OptOp::Unroll, 0, 2}, {OptOp::Upcast, a, 2}});
    v.push_back({{OptOp::Thread, a, 1}, {OptOp::Upcast, 0, 4}});
  }
  for (int64_t t : {32, 64, 256}) {
    v.push_back({{OptOp::Group, 0, t}});
    v.push_back({{OptOp::GroupTop, 0, t}});
    v.push_back({{OptOp::Group, 0, t}, {OptOp::Unroll, 0, 2}});
    v.push_back({{OptOp::Group, 0, t}, {OptOp::Upcast, 0, 2}});
  }
  v.push_back({{OptOp::NoLocals, 0, 0}});
  v.push_back({{OptOp::NoLocals, 0, 0}, {OptOp::Local, 0, 2}});
  v.push_back({{OptOp::NoLocals, 0, 0}, {OptOp::Upcast, 0, 2}});
  for (int64_t t : {0, 64, 128}) v.push_back({{OptOp::TensorCore, 0, t}});
  for (int64_t t : {128, 256}) v.push_back({{OptOp::TensorCore, 1, t}});
  for (int64_t t : {64, 128}) v.push_back({{OptOp::Stage, 0, t}});
  for (int64_t t : {16, 32}) v.push_back({{OptOp::Simd, 0, t}});
  v.push_back({{OptOp::Simd, 0, 16}, {OptOp::Upcast, 0, 2}});
  return v;
}

// Each section starts with "=== KERNEL DEVICE OPTS", followed by the source or an ERROR line.
void dump(const std::string& name, const std::vector<Tensor>& outputs, const std::string& dir) {
  std::vector<UOp> outs;
  for (const Tensor& t : outputs) outs.push_back(t.uop());
  const Schedule s = create_schedule(outs);
  std::ofstream f(dir + "/" + name + ".txt");
  const std::vector<std::pair<const char*, Target>> targets = {{"CPU", cpu_target()}, {"CUDA", cuda_target()}};
  for (const ScheduledKernel& k : s.kernels) {
    for (const auto& [device, target] : targets) {
      try {
        std::vector<Opt> applied;
        const std::string source = render_kernel(optimize(k, target, &applied), target);
        f << "=== " << k.name << " " << device << " heuristic";
        for (const Opt& x : applied) f << " " << x.str();
        f << "\n" << source;
      } catch (const Error& e) {
        f << "=== " << k.name << " " << device << " heuristic ERROR " << e.what() << "\n";
      }
    }
    for (const std::vector<Opt>& opts : opt_lists()) {
      std::string label;
      for (const Opt& x : opts) label += " " + x.str();
      ScheduledKernel o = k;
      try {
        for (const Opt& x : opts) o = apply_opt(o, x);
      } catch (const Error& e) {
        f << "=== " << k.name << label << " ERROR " << e.what() << "\n";
        continue;
      }
      for (const auto& [device, target] : targets) {
        try {
          const std::string source = render_kernel(o, target);
          f << "=== " << k.name << " " << device << label << "\n" << source;
        } catch (const Error& e) {
          f << "=== " << k.name << " " << device << label << " RENDER-ERROR " << e.what() << "\n";
        }
      }
    }
  }
}

std::vector<Tensor> train_step(const std::string& name, int64_t batch) {
  static std::vector<std::shared_ptr<nn::Sequential>> models;  // the optimizers refer to them
  static std::vector<std::unique_ptr<nn::Adam>> optimizers;
  manual_seed(0);
  models.push_back(make_classifier(name));
  optimizers.push_back(std::make_unique<nn::Adam>(models.back()->parameters(), 1e-3));
  const Tensor x = name == "conv" ? Tensor::rand({batch, 1, 28, 28}) : Tensor::rand({batch, 784});
  const Tensor loss = nn::cross_entropy((*models.back())(x), Tensor::randint({batch}, 0, 10));
  optimizers.back()->add_updates(loss);
  std::vector<Tensor> outs{loss};
  for (Tensor* t : optimizers.back()->updated_tensors()) outs.push_back(*t);
  return outs;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: render_corpus OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    for (const std::string& n : program_names()) dump(n, build_program(n).outputs, dir);
    dump("mlp-train", train_step("mlp", 128), dir);
    dump("conv-train", train_step("conv", 32), dir);
    for (DType d : {dtypes::float32, dtypes::float16, dtypes::bfloat16}) {
      manual_seed(1);
      // Realized inputs of the dtype: matmuls read them as they are (a cast would fuse in).
      auto input = [&](Shape shape) { return Tensor::rand(std::move(shape)).cast(d).realize(); };
      const Tensor a = input({512, 256}), b = input({256, 512}), at = input({256, 512}), bt = input({512, 256});
      const Tensor ba = input({4, 128, 64}), bb = input({4, 64, 256});
      const std::string s = std::string(d.name());
      dump("mm-" + s, {a.matmul(b)}, dir);
      dump("mmT-" + s, {at.transpose().matmul(bt.transpose())}, dir);
      dump("mm-relu-" + s, {(a.matmul(b) + 1.0).relu()}, dir);
      dump("bmm-" + s, {ba.matmul(bb)}, dir);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "render_corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
