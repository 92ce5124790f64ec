// The WASM entry point: the compiler in the page (or in Node). Built-in programs, classifier training
// steps and programs written with a small Tensor API are built, scheduled and rendered for a target
// exactly as the native CLI does, and come back as JSON text (viz/program_json.h). Nothing runs here:
// the page dispatches the WGSL through navigator.gpu. Errors come back as {"error": "..."}.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "anneal/engine/engine.h"
#include "anneal/models/classifier.h"
#include "anneal/models/programs.h"
#include "anneal/nn/layers.h"
#include "anneal/nn/optim.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/device.h"
#include "anneal/schedule/schedule.h"
#include "anneal/support/error.h"
#include "anneal/tensor/random.h"
#include "reference_eval.h"
#include "viz/explain.h"
#include "viz/explore.h"
#include "viz/program_json.h"

namespace anneal::viz {
namespace {

using emscripten::val;

template <class F>
std::string json_or_error(F&& f) {
  try {
    return f().dump();
  } catch (const Error& e) {
    return nlohmann::json{{"error", e.what()}}.dump();
  }
}

// Runs `f`; an anneal::Error becomes a JavaScript Error with its message (thrown once the C++
// exception is gone: only the message string is left behind by the unwinding).
template <class F>
auto js_errors(F&& f) -> decltype(f()) {
  std::string message;
  try {
    return f();
  } catch (const Error& e) {
    message = e.what();
  } catch (const std::bad_alloc&) {  // WASM memory is 2 GiB at most: the naive reference evaluator can run out
    message = "out of memory (the module has at most 2 GiB)";
  }
  val::global("Error").new_(message).throw_();
}
std::vector<UOp> uops_of(const std::vector<Tensor>& tensors) {
  std::vector<UOp> out;
  for (const Tensor& t : tensors) out.push_back(t.uop());
  return out;
}

// The buffers of the latest schedule handed out, by id: the page asks for the bytes of its inputs
// (only the latest is kept, so a long session does not hold every input it ever saw).
std::map<int64_t, UOp>& known_buffers() {
  static std::map<int64_t, UOp> buffers;
  return buffers;
}

// The kernels of `outputs` as prepared for `device` ("WEBGPU": WGSL, "CPU": C).
nlohmann::json kernels_for(const std::vector<Tensor>& outputs, const Provenance* provenance) {
  const Schedule s = create_schedule(uops_of(outputs), default_device());
  known_buffers().clear();
  for (const ScheduledKernel& k : s.kernels)
    for (const UOp& b : k.buffers) known_buffers().emplace(b.arg().as<BufferArg>()->id, b);
  return kernels_json(s, prepare_kernels(s), provenance);
}

// The bytes of an input buffer of the latest schedule handed out (a copy), for the page to upload.
val buffer_bytes(double id) {
  const auto it = known_buffers().find(int64_t(id));
  if (it == known_buffers().end() || !it->second.arg().as<BufferArg>()->storage)
    val::global("Error").new_("no input buffer " + std::to_string(int64_t(id)) + " in the latest schedule handed out").throw_();
  const std::vector<uint8_t> bytes = download(it->second);
  return val(emscripten::typed_memory_view(bytes.size(), bytes.data())).call<val>("slice");
}

// ---- explore: one program as the visualizer shows it (viz/explore.h) ----

// What the latest explore built, for reference() and bufferBytes().
ExploreSubject& latest() {
  static ExploreSubject subject;
  return subject;
}

std::string explore_with(const std::function<ExploreSubject()>& build, const std::string& device) {
  return json_or_error([&] {
    set_default_device(device);
    nlohmann::json out = viz::explore(build, &latest());
    known_buffers().clear();
    for (const UOp& b : latest().buffers) known_buffers().emplace(b.arg().as<BufferArg>()->id, b);
    return out;
  });
}

std::string explore_program(const std::string& name, bool train, const std::string& device) {
  return explore_with([&] { return builtin_subject(name, train); }, device);
}

// The latest explored program's outputs from the naive reference evaluator (tests/reference), in
// double precision: the oracle the page checks WebGPU's values against.
val reference_values() {
  val out = val::array();
  for (const Tensor& t : latest().outputs) {
    const reference::HostTensor r = js_errors([&] { return reference::evaluate(t.uop()); });
    out.call<void>("push", val(emscripten::typed_memory_view(r.data.size(), r.data.data())).call<val>("slice"));
  }
  return out;
}

// One Adam step of a classifier for the page to repeat on WebGPU: the images and labels are inputs
// the page fills each step, and every updated parameter and optimizer state carries its new value
// into its own input buffer for the next step. Parameters start from host random numbers, uniform in
// ±1/sqrt(fan_in) (a bias: ±1/sqrt(its size)): the WASM build runs no kernels itself.
std::string train_loop(const std::string& classifier, int batch) {
  return json_or_error([&] {
    check(batch >= 1 && batch <= 1024, [&] { return "trainLoop: batch " + std::to_string(batch) + " is outside [1, 1024]"; });
    set_default_device("WEBGPU");
    std::shared_ptr<nn::Sequential> model;
    {
      nn::SkipInit placeholders;
      model = make_classifier(classifier);
    }
    std::mt19937 rng(0);
    for (Tensor& p : model->parameters()) {
      const Shape& shape = p.shape();
      const int64_t fan_in = shape.size() > 1 ? p.numel() / shape[0].value() : shape[0].value();
      std::uniform_real_distribution<float> u(-1.0f / std::sqrt(float(fan_in)), 1.0f / std::sqrt(float(fan_in)));
      std::vector<float> values(size_t(p.numel()));
      for (float& v : values) v = u(rng);
      p.assign(Tensor::from_vector(values, shape)).requires_grad(true);
    }
    nn::Adam opt(model->parameters(), 1e-3);
    const Tensor images = Tensor::empty({batch, 784});
    const Tensor labels = Tensor::empty({batch}, dtypes::int32);
    const Tensor x = classifier == "conv" ? images.reshape({batch, 1, 28, 28}) : images;
    std::vector<int64_t> carried;  // the buffer of each updated tensor before the step
    for (Tensor* t : opt.updated_tensors()) carried.push_back(view_buffer(t->uop()).arg().as<BufferArg>()->id);
    const Tensor loss = nn::cross_entropy((*model)(x), labels);
    opt.add_updates(loss);
    std::vector<Tensor> outputs{loss};
    for (Tensor* t : opt.updated_tensors()) outputs.push_back(*t);
    nlohmann::json out = kernels_for(outputs, nullptr);
    out["program"] = classifier;
    out["feeds"] = {{"images", view_buffer(images.uop()).arg().as<BufferArg>()->id},
                    {"labels", view_buffer(labels.uop()).arg().as<BufferArg>()->id}};
    nlohmann::json carry = nlohmann::json::array();
    for (size_t i = 0; i < carried.size(); ++i) carry.push_back({{"output", i + 1}, {"buffer", carried[i]}});
    out["carry"] = carry;
    return out;
  });
}

std::string programs() {
  return nlohmann::json{{"programs", program_names()}, {"classifiers", {"mlp", "conv"}}, {"train_steps", train_step_names()}}.dump();
}

std::string graph(const std::string& program) {
  return json_or_error([&] {
    const Program p = build_program(program);
    return nlohmann::json{{"program", p.name}, {"description", p.description}, {"nodes", graph_json(uops_of(p.outputs))}};
  });
}

std::string kernels(const std::string& program, const std::string& device, bool train) {
  return json_or_error([&] {
    set_default_device(device);
    TrainStep step;
    if (train) step = build_train_step(program);
    const Program p = train ? std::move(step.program) : build_program(program);
    nlohmann::json out = kernels_for(p.outputs, step.provenance.get());
    out["program"] = p.name;
    out["description"] = p.description;
    return out;
  });
}

// ---- the small Tensor API: enough to write a program in the page ----

Shape shape_of_js(const val& shape) {
  Shape s;
  for (int v : emscripten::vecFromJSArray<int>(shape)) s.push_back(v);
  return s;
}
std::vector<int64_t> axes_of_js(const val& axes) {
  std::vector<int64_t> a;
  for (int v : emscripten::vecFromJSArray<int>(axes)) a.push_back(v);
  return a;
}

Tensor rand_tensor(const val& shape) { return js_errors([&] { return Tensor::rand(shape_of_js(shape)); }); }
Tensor randn_tensor(const val& shape) { return js_errors([&] { return Tensor::randn(shape_of_js(shape)); }); }
Tensor full_tensor(const val& shape, double v) { return js_errors([&] { return Tensor::full(shape_of_js(shape), v); }); }

std::string tensor_kernels(const val& tensors, const std::string& device) {
  return json_or_error([&] {
    set_default_device(device);
    std::vector<Tensor> outputs;
    for (size_t i = 0, n = tensors["length"].as<size_t>(); i < n; ++i) outputs.push_back(tensors[i].as<Tensor>());
    nlohmann::json out = kernels_for(outputs, nullptr);
    out["graph"] = graph_json(uops_of(outputs));
    return out;
  });
}

std::string explore_tensors(const val& tensors, const std::string& device) {
  std::vector<Tensor> outputs;
  for (size_t i = 0, n = tensors["length"].as<size_t>(); i < n; ++i) outputs.push_back(tensors[i].as<Tensor>());
  return explore_with([&] { return ExploreSubject{"program", "written in the page", outputs, nullptr, {}}; }, device);
}

}  // namespace

EMSCRIPTEN_BINDINGS(anneal) {
  using namespace emscripten;
  function("programs", &programs);
  function("graph", &graph);
  function("kernels", &kernels);
  function("setDevice", +[](const std::string& d) { set_default_device(d); });
  function("manualSeed", +[](double seed) { manual_seed(uint64_t(seed)); });
  function("rand", &rand_tensor);
  function("randn", &randn_tensor);
  function("full", &full_tensor);
  function("tensorKernels", &tensor_kernels);
  function("bufferBytes", &buffer_bytes);
  function("explore", &explore_program);
  function("exploreTensors", &explore_tensors);
  function("reference", &reference_values);
  function("trainLoop", &train_loop);
  function("explain", +[](const std::string& op) { return json_or_error([&] { return explain(op); }); });
  function("explainList", +[] { return json_or_error([] { return explain_list(); }); });
  class_<Tensor>("Tensor")
      .function("add", +[](const Tensor& a, const Tensor& b) { return js_errors([&] { return a + b; }); })
      .function("sub", +[](const Tensor& a, const Tensor& b) { return js_errors([&] { return a - b; }); })
      .function("mul", +[](const Tensor& a, const Tensor& b) { return js_errors([&] { return a * b; }); })
      .function("div", +[](const Tensor& a, const Tensor& b) { return js_errors([&] { return a / b; }); })
      .function("matmul", +[](const Tensor& a, const Tensor& b) { return js_errors([&] { return a.matmul(b); }); })
      .function("relu", +[](const Tensor& a) { return js_errors([&] { return a.relu(); }); })
      .function("exp", +[](const Tensor& a) { return js_errors([&] { return a.exp(); }); })
      .function("softmax", +[](const Tensor& a, int axis) { return js_errors([&] { return a.softmax(axis); }); })
      .function("sum", +[](const Tensor& a, const val& axes) { return js_errors([&] { return a.sum(axes_of_js(axes)); }); })
      .function("max", +[](const Tensor& a, const val& axes) { return js_errors([&] { return a.max(axes_of_js(axes)); }); })
      .function("reshape", +[](const Tensor& a, const val& s) { return js_errors([&] { return a.reshape(shape_of_js(s)); }); })
      .function("permute", +[](const Tensor& a, const val& s) { return js_errors([&] { return a.permute(axes_of_js(s)); }); })
      .function("shape", +[](const Tensor& a) {
        val out = val::array();
        for (int64_t d : a.shape()) out.call<void>("push", double(d));
        return out;
      });
}

}  // namespace anneal::viz
