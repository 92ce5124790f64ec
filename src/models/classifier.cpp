#include "anneal/engine/engine.h"
#include "anneal/models/classifier.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>
#include <random>

#include "anneal/nn/optim.h"
#include "anneal/schedule/schedule.h"
#include "anneal/support/checked_int.h"
#include "anneal/tensor/provenance.h"
#include "anneal/tensor/random.h"
#include "anneal/tensor/variable.h"

namespace anneal {
namespace {

// Pixels per image, checked: batches index the host arrays with it.
int64_t pixels_per_image(const io::Mnist& d) {
  check(d.rows > 0 && d.cols > 0, [&] {
    return "train: images are " + std::to_string(d.rows) + "x" + std::to_string(d.cols) + " pixels; rows and columns must be positive";
  });
  const std::optional<int64_t> px = checked_mul(d.rows, d.cols);
  check(px.has_value(), [&] { return "train: images of " + std::to_string(d.rows) + "x" + std::to_string(d.cols) + " pixels are too large"; });
  return *px;
}

// One split of an in-memory data set (it need not come from load_mnist) is non-empty, has one image
// per label and only labels the models can predict, so that batches can index it unchecked.
void check_split(const std::vector<float>& images, const std::vector<int32_t>& labels, int64_t pixels, const std::string& split) {
  check(!labels.empty(), [&] { return "train: the " + split + " set is empty"; });
  const std::optional<int64_t> values = checked_mul(int64_t(labels.size()), pixels);
  check(values && uint64_t(*values) == images.size(), [&] {
    return "train: the " + split + " set has " + std::to_string(labels.size()) + " labels but " + std::to_string(images.size()) +
           " pixel values for images of " + std::to_string(pixels) + " pixels";
  });
  for (size_t i = 0; i < labels.size(); ++i)
    check(labels[i] >= 0 && labels[i] < io::kMnistClasses, [&] {
      return "train: " + split + " label " + std::to_string(labels[i]) + " at index " + std::to_string(i) + " is outside [0, " +
             std::to_string(io::kMnistClasses) + ")";
    });
}

// The batch dimension: constant, or for dynmlp the variable B bound to this batch's size, so that
// every batch size runs the same compiled kernels.
Dim batch_dim(const std::string& name, int64_t n, int64_t max_batch) {
  if (name != "dynmlp") return n;
  return Variable("B", 1, max_batch).bind(n);
}

// The input layout a model expects: flat rows for the MLPs, (N, 1, H, W) images for the conv net.
Tensor batch_input(const std::string& name, const io::Mnist& d, const std::vector<float>& src,
                   const std::vector<int64_t>& rows, int64_t max_batch) {
  // check_split has bounded (images x pixels) of the split that `rows` index into: no overflow here.
  const int64_t n = int64_t(rows.size()), px = d.rows * d.cols;
  std::vector<float> x(size_t(n * px));
  for (int64_t i = 0; i < n; ++i)
    std::copy_n(src.begin() + rows[size_t(i)] * px, px, x.begin() + i * px);
  if (name == "conv") return Tensor::from_vector(x, {n, 1, d.rows, d.cols});
  return Tensor::from_vector(x, {batch_dim(name, n, max_batch), px});
}

Tensor batch_labels(const std::string& name, const std::vector<int32_t>& src, const std::vector<int64_t>& rows, int64_t max_batch) {
  std::vector<int32_t> y;
  for (int64_t r : rows) y.push_back(src[size_t(r)]);
  return Tensor::from_vector(y, {batch_dim(name, int64_t(y.size()), max_batch)});
}

}  // namespace

std::shared_ptr<nn::Sequential> make_classifier(const std::string& name) {
  auto m = std::make_shared<nn::Sequential>();
  if (name == "mlp" || name == "dynmlp") {
    m->add<nn::Linear>(784, 512).add<nn::ReLU>().add<nn::Linear>(512, 512).add<nn::ReLU>().add<nn::Linear>(512, io::kMnistClasses);
  } else if (name == "conv") {
    m->add<nn::Conv2d>(1, 32, 5).add<nn::ReLU>().add<nn::Conv2d>(32, 32, 5).add<nn::ReLU>().add<nn::MaxPool2d>(2);
    m->add<nn::Conv2d>(32, 64, 3).add<nn::ReLU>().add<nn::Conv2d>(64, 64, 3).add<nn::ReLU>().add<nn::MaxPool2d>(2);
    m->add<nn::Flatten>().add<nn::Linear>(576, io::kMnistClasses);
  } else {
    throw Error("unknown model '" + name + "' (known: mlp, dynmlp, conv)");
  }
  return m;
}

double test_accuracy(nn::Module& model, const std::string& name, const io::Mnist& data, int64_t limit) {
  check_split(data.test_images, data.test_labels, pixels_per_image(data), "test");  // an empty one would be 0/0
  const int64_t n = limit > 0 ? std::min(limit, data.test_count()) : data.test_count();
  const int64_t chunk = 1000;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += chunk) {
    std::vector<int64_t> rows(size_t(std::min(chunk, n - start)));
    std::iota(rows.begin(), rows.end(), start);
    Tensor hits = model(batch_input(name, data, data.test_images, rows, chunk)).argmax(1).eq(batch_labels(name, data.test_labels, rows, chunk));
    correct += int64_t(hits.cast(dtypes::int32).sum().item<int>());
  }
  return double(correct) / double(n);
}

TrainResult train_classifier(const TrainOptions& o, const io::Mnist& data, const std::function<void(const TrainLog&)>& on_log) {
  check(o.steps > 0 && o.batch > 0 && o.lr > 0, "train: steps, batch and lr must be positive");
  const bool dynamic = o.model == "dynmlp";
  check(!dynamic || (o.min_batch >= 1 && o.min_batch <= o.max_batch), [&] {
    return "train dynmlp: the batch range [" + std::to_string(o.min_batch) + ", " + std::to_string(o.max_batch) +
           "] must be non-empty and start at 1 or more";
  });
  const int64_t largest = dynamic ? o.max_batch : o.batch;
  const int64_t pixels = pixels_per_image(data);
  check_split(data.train_images, data.train_labels, pixels, "training");
  check_split(data.test_images, data.test_labels, pixels, "test");  // evaluated at the end: refuse it before training
  // A batch is a slice of one shuffled epoch, so it cannot hold more images than the set has.
  check(largest <= data.train_count(), [&] {
    return "train: batch " + std::to_string(largest) + " is larger than the training set (" + std::to_string(data.train_count()) +
           " images)";
  });
  std::uniform_int_distribution<int64_t> draw(dynamic ? o.min_batch : o.batch, largest);
  manual_seed(o.seed);
  auto model = make_classifier(o.model);
  nn::Adam opt(model->parameters(), o.lr);
  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> order(size_t(data.train_count()));
  std::iota(order.begin(), order.end(), 0);
  size_t cursor = order.size();
  TrainResult result;
  const auto start = std::chrono::steady_clock::now();
  auto window_start = start;
  size_t window_kernels = kernels_run();
  int window_steps = 0;
  size_t seam = 0;
  int64_t batch = 0;
  for (int step = 1; step <= o.steps; ++step) {
    // A fixed batch drops the epoch's last partial batch; dynmlp uses it (a smaller batch, same kernels).
    if (cursor >= order.size() || (!dynamic && cursor + size_t(o.batch) > order.size())) {  // a new epoch: reshuffle
      std::shuffle(order.begin(), order.end(), rng);
      cursor = 0;
    }
    batch = dynamic ? std::min<int64_t>(draw(rng), int64_t(order.size() - cursor)) : o.batch;
    std::vector<int64_t> rows(order.begin() + std::ptrdiff_t(cursor), order.begin() + std::ptrdiff_t(cursor + size_t(batch)));
    cursor += size_t(batch);
    Tensor loss = nn::cross_entropy((*model)(batch_input(o.model, data, data.train_images, rows, largest)),
                                    batch_labels(o.model, data.train_labels, rows, largest));
    if (step == 1) {
      // The first step also measures how many kernels cross the forward/backward seam.
      std::vector<UOp> grads, updates, outs{loss.uop()};
      for (const Tensor& g : opt.add_updates(loss)) grads.push_back(g.uop());
      for (Tensor* t : opt.updated_tensors()) updates.push_back(t->uop());
      for (const Tensor& b : model->buffers()) updates.push_back(b.uop());
      outs.insert(outs.end(), updates.begin(), updates.end());
      seam = Provenance(loss.uop(), grads, updates).seam_kernels(create_schedule(outs));
      result.losses.push_back(opt.finish_step(loss, model->buffers()));
    } else {
      result.losses.push_back(opt.step(loss, model->buffers()));
    }
    ++window_steps;
    if (step % o.log_every == 0 || step == o.steps) {
      const auto now = std::chrono::steady_clock::now();
      const double secs = std::chrono::duration<double>(now - window_start).count();
      const size_t k = kernels_run();
      on_log({step, result.losses.back(), window_steps / std::max(secs, 1e-9), (k - window_kernels) / size_t(window_steps),
              seam, batch, compile_stats().compiled_kernels});
      window_start = now;
      window_kernels = k;
      window_steps = 0;
    }
  }
  result.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model->train(false);
  result.test_accuracy = test_accuracy(*model, o.model, data, o.eval_limit);
  return result;
}

}  // namespace anneal
