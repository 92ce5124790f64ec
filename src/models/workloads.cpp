#include "anneal/models/workloads.h"

#include <algorithm>
#include <vector>

#include "anneal/models/classifier.h"
#include "anneal/nn/kv_decoder.h"
#include "anneal/nn/optim.h"
#include "anneal/nn/transformer.h"
#include "anneal/runtime/device.h"
#include "anneal/support/error.h"
#include "anneal/tensor/random.h"
#include "anneal/tensor/tensor.h"
#include "anneal/tensor/variable.h"

namespace anneal {
namespace {

double median_ms(Device& dev, int reps, FunctionRef<void()> work) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) t.push_back(dev.time_ms(work));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// One training step of `model_name` on random data, Adam lr 1e-3 (W2, W3). `symbolic`: the batch is the
// variable B in [1, 256] bound to `batch` (W2 as dynmlp runs it).
double train_step_ms(const std::string& model_name, const std::string& device, int64_t batch, int reps, bool symbolic = false) {
  manual_seed(0);
  auto model = make_classifier(model_name);
  for (Tensor& p : model->parameters()) p.move_to(device);
  nn::Adam opt(model->parameters(), 1e-3);
  const Shape in = model_name == "conv" ? Shape{batch, 1, 28, 28} : Shape{batch, 784};
  Tensor x = Tensor::rand(in).to(device), y = Tensor::randint({batch}, 0, 10).to(device);
  if (symbolic) {
    const Dim b = Variable("B", 1, std::max<int64_t>(256, batch)).bind(batch);
    x = x.reshape({b, 784});
    y = y.reshape({b});
  }
  auto step = [&] {
    Tensor loss = nn::cross_entropy((*model)(x), y);
    opt.step(loss);  // reads the loss back, like loss.item() in the peers
  };
  for (int i = 0; i < 3; ++i) step();  // schedule, compile, warm the caches
  return median_ms(get_device(device), reps, step);
}

}  // namespace

WorkloadResult run_workload(const std::string& workload, const std::string& device_name, int64_t n, int reps,
                            DType dtype) {
  check(reps > 0, "bench: --reps must be positive");
  WorkloadResult r;
  r.workload = workload;
  r.device = canonical_device(device_name);
  r.dtype = dtype;
  check(workload == "w1" || dtype == dtypes::float32, "bench: only w1 takes a dtype");
  Device& dev = get_device(r.device);
  if (workload == "w1") {
    r.n = n > 0 ? n : (r.device == "CPU" ? 1024 : 4096);
    manual_seed(1);
    Tensor a = Tensor::randn({r.n, r.n}).to(r.device).cast(dtype), b = Tensor::randn({r.n, r.n}).to(r.device).cast(dtype);
    a.realize();
    b.realize();
    auto run = [&] { a.matmul(b).realize(); };
    run();  // compile
    r.ms = median_ms(dev, reps, run);
    r.gflops = 2.0 * double(r.n) * double(r.n) * double(r.n) / (r.ms * 1e6);
  } else if (workload == "w2" || workload == "w3" || workload == "w2dyn") {
    r.n = n > 0 ? n : 128;
    r.ms = train_step_ms(workload == "w3" ? "conv" : "mlp", r.device, r.n, reps, workload == "w2dyn");
  } else if (workload == "w4") {
    // nanoGPT train step: W4s on the CPU, W4 on GPUs (vocabulary 65, random tokens), AdamW 1e-3.
    const bool cpu = r.device == "CPU";
    const nn::GPTConfig c = cpu ? nn::GPTConfig{65, 64, 4, 4, 128} : nn::GPTConfig{65, 256, 6, 6, 384};
    r.n = n > 0 ? n : (cpu ? 16 : 64);
    manual_seed(0);
    nn::GPT model(c);
    for (Tensor& p : model.parameters()) p.move_to(r.device);
    nn::AdamW opt(nn::decay_groups(model, 0.1), 1e-3);
    const Tensor x = Tensor::randint({r.n, c.context}, 0, c.vocab).to(r.device);
    const Tensor y = Tensor::randint({r.n * c.context}, 0, c.vocab).to(r.device);
    auto step = [&] {
      Tensor loss = nn::cross_entropy(model(x).reshape({r.n * c.context, c.vocab}), y);
      opt.step(loss);
    };
    for (int i = 0; i < 3; ++i) step();
    r.ms = median_ms(dev, reps, step);
  } else if (workload == "w5" || workload == "w6") {
    // GPT-2 small with random weights (as the peers' transformers model): W5 a forward pass of n x 1024
    // tokens (W5s: 1 x 64 on the CPU) with the full logits; W6 greedy KV-cache decoding of 128 tokens after
    // a 16-token prompt, per token (the whole generate call over 128, as HF's generate is timed).
    const bool cpu = r.device == "CPU";
    r.n = n > 0 ? n : 1;
    manual_seed(0);
    nn::GPT model({50257, 1024, 12, 12, 768});
    for (Tensor& p : model.parameters()) p.move_to(r.device);
    // The linear layers' weights stored [in, out], as HF's Conv1D stores them and load_gpt2 keeps them.
    for (auto& [name, p] : model.named_parameters())
      if (p.ndim() == 2 && name.find(".h.") != std::string::npos) p.assign(p.transpose().contiguous().realize().transpose());
    model.pad_output_layer();  // as load_gpt2 does
    model.train(false);
    if (workload == "w5") {
      const Tensor idx = Tensor::randint({r.n, cpu ? 64 : 1024}, 0, 50257).to(r.device);
      auto forward = [&] { model(idx).realize(); };
      for (int i = 0; i < 2; ++i) forward();
      r.ms = median_ms(dev, reps, forward);
    } else {
      std::vector<int32_t> prompt(16);
      for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = int32_t((i * 7919) % 50257);
      auto decode = [&] { nn::generate_cached(model, prompt, 128, {0.0, 0, 1.0, 0}); };
      decode();
      r.ms = median_ms(dev, std::max(1, reps / 5), decode) / 128.0;
    }
  } else {
    throw Error("bench: unknown workload '" + workload + "' (available: w1, w2, w2dyn, w3, w4, w5, w6)");
  }
  return r;
}

}  // namespace anneal
