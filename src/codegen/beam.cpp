#include "anneal/codegen/beam.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "anneal/support/disk_cache.h"
#include "anneal/codegen/tensor_core.h"
#include "anneal/render/renderer.h"
#include "anneal/runtime/device.h"
#include "anneal/support/error.h"
#include "anneal/support/float_convert.h"
#include "anneal/support/hash.h"

namespace anneal {
namespace {

constexpr const char* kMagic = "anneal-beam 1";
constexpr int kRounds = 3;
constexpr size_t kMaxCandidatesPerRound = 256;

std::mutex stats_mu;
BeamStats stats;

std::string opts_text(const std::vector<Opt>& opts) {
  std::string s;
  for (const Opt& o : opts) s += (s.empty() ? "" : " ") + o.str();
  return s;
}

std::optional<std::vector<Opt>> parse_opts(const std::string& text) {
  std::vector<Opt> out;
  std::string rest = text;
  while (!rest.empty()) {
    const size_t close = rest.find(')');
    if (close == std::string::npos) return std::nullopt;
    const std::optional<Opt> o = parse_opt(rest.substr(0, close + 1));
    if (!o) return std::nullopt;
    out.push_back(*o);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest[0] == ' ') rest = rest.substr(1);
  }
  return out;
}

std::string checksum(const std::string& body) {
  Hasher h;
  h.bytes(body);
  return to_hex(h.finish());
}

// The values of an output buffer of float type `d`, as doubles.
std::vector<double> float_values(const std::vector<uint8_t>& bytes, DType d) {
  std::vector<double> v(bytes.size() / size_t(d.itemsize()));
  for (size_t i = 0; i < v.size(); ++i) {
    const uint8_t* p = bytes.data() + i * size_t(d.itemsize());
    auto read = [p](auto x) {
      std::memcpy(&x, p, sizeof x);
      return x;
    };
    if (d == dtypes::float64) v[i] = read(0.0);
    else if (d == dtypes::float32) v[i] = double(read(0.0f));
    else if (d == dtypes::float16) v[i] = double(half_bits_to_float(read(uint16_t(0))));
    else v[i] = double(bf16_bits_to_float(read(uint16_t(0))));
  }
  return v;
}

// A candidate's output is right when it is the unoptimized kernel's, byte for byte; a candidate that
// reorders sums (TC, GROUP) rounds differently, so for float outputs it may differ by 1e-3 of each
// value (1e-2 for 16-bit floats) plus 1e-4 of the largest magnitude (sums that cancel). NaNs must
// stay NaNs.
bool same_result(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want, DType d, bool reordered) {
  if (got == want) return true;
  const bool floats = d == dtypes::float64 || d == dtypes::float32 || d == dtypes::float16 || d == dtypes::bfloat16;
  if (!reordered || !floats || got.size() != want.size()) return false;
  const std::vector<double> g = float_values(got, d), w = float_values(want, d);
  double largest = 0;
  for (double x : w)
    if (std::isfinite(x)) largest = std::max(largest, std::fabs(x));
  const double rel = d.itemsize() == 2 ? 1e-2 : 1e-3;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(w[i]) || std::isinf(w[i])) {
      if (!(std::isnan(w[i]) ? std::isnan(g[i]) : g[i] == w[i])) return false;
      continue;
    }
    if (!(std::fabs(g[i] - w[i]) <= rel * std::fabs(w[i]) + 1e-4 * largest)) return false;
  }
  return true;
}

ScheduledKernel with_opts(const ScheduledKernel& k, const std::vector<Opt>& opts) {
  ScheduledKernel out = k;
  for (const Opt& o : opts) out = apply_opt(out, o);
  return out;
}

// The cached opts, if the entry is intact and meant for this kernel and device, and still applies.
std::optional<std::vector<Opt>> read_entry(const std::string& path, const std::string& key, const std::string& device,
                                           const ScheduledKernel& k) {
  const std::optional<std::string> file = disk_cache::read(path);
  if (!file) return std::nullopt;
  auto reject = [] {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++stats.rejected_entries;
    return std::nullopt;
  };
  const size_t sum_at = file->rfind("checksum ");
  if (sum_at == std::string::npos) return reject();
  const std::string body = file->substr(0, sum_at);
  std::string sum = file->substr(sum_at + 9);
  while (!sum.empty() && (sum.back() == '\n' || sum.back() == '\r')) sum.pop_back();
  if (sum != checksum(body)) return reject();
  std::istringstream in(body);
  std::string magic, key_line, device_line, opts_line;
  std::getline(in, magic);
  std::getline(in, key_line);
  std::getline(in, device_line);
  std::getline(in, opts_line);
  if (magic != kMagic || key_line != "key " + key || device_line != "device " + device || opts_line.rfind("opts", 0) != 0)
    return reject();
  const std::optional<std::vector<Opt>> opts = parse_opts(opts_line.size() > 5 ? opts_line.substr(5) : "");
  if (!opts) return reject();
  try {
    with_opts(k, *opts);
  } catch (const Error&) {
    return reject();
  }
  return opts;
}

void write_entry(const std::string& path, const std::string& key, const std::string& device,
                 const std::vector<Opt>& opts, double ms) {
  std::ostringstream body;
  body << kMagic << "\nkey " << key << "\ndevice " << device << "\nopts " << opts_text(opts) << "\nms " << ms << "\n";
  disk_cache::write(path, body.str() + "checksum " + checksum(body.str()) + "\n");
}

// Every opt that can extend `opts` (those that do not apply are dropped when the candidate is built).
std::vector<Opt> actions(const ScheduledKernel& k, const std::vector<Opt>& opts, bool gpu) {
  int64_t upcast = 1;
  for (const Opt& o : opts)
    if (o.op == OptOp::Upcast) upcast *= o.amount;
  const int64_t max_upcast = gpu ? 64 : 256;
  const int loops = int(k.ast.src(0).num_srcs()) - 1;
  std::vector<Opt> out;
  // Reductions can be unrolled (UNROLL's axis counts reduction loops in order of first use).
  const int reduce_loops = int(reduction_loops(k).size());
  for (int a = 0; a < reduce_loops; ++a)
    for (int64_t amount : {2, 4, 8}) out.push_back({OptOp::Unroll, a, amount});
  for (int a = 0; a < loops; ++a) {
    if (!gpu) out.push_back({OptOp::Thread, a, 64});  // split this loop instead of the outermost
    out.push_back({OptOp::PadTo, a, 16});            // so that a later UPCAST / LOCAL of 16 divides it
    for (int64_t amount : {2, 3, 4, 8, 16, 32})
      if (upcast * amount <= max_upcast && (gpu ? amount <= 8 : true)) out.push_back({OptOp::Upcast, a, amount});
    if (gpu)
      for (int64_t amount : {2, 4, 8, 16, 32}) out.push_back({OptOp::Local, a, amount});
    else
      for (int b = a + 1; b < loops; ++b) out.push_back({OptOp::Swap, a, b});
  }
  return out;
}

// The first round: no opts, the heuristic's, and on GPUs every whole-kernel form that applies (the
// tensor-core and staged variants the heuristic chose between by rule).
std::vector<std::vector<Opt>> seeds(const ScheduledKernel& k, const std::string& device, bool gpu) {
  std::vector<std::vector<Opt>> out = {{}, hand_coded_opts(k, device)};
  if (!gpu) return out;
  const bool wgmma = warpgroup_available(device);
  for (const Opt& o : {Opt{OptOp::TensorCore, 0, 0}, Opt{OptOp::TensorCore, 0, 64}, Opt{OptOp::TensorCore, 0, 128},
                       Opt{OptOp::TensorCore, 1, 128}, Opt{OptOp::TensorCore, 1, 256}, Opt{OptOp::Stage, 0, 64},
                       Opt{OptOp::Stage, 0, 128}}) {
    if (o.axis == 1 && !wgmma) continue;
    try {
      with_opts(k, {o});
      out.push_back({o});
    } catch (const Error&) {
    }
  }
  return out;
}

class Search {
 public:
  Search(const ScheduledKernel& k, const std::string& device, void* const* bufs)
      : k_(k), device_(device), dev_(get_device(device)) {
    const auto* out = k.buffers[0].arg().as<BufferArg>();
    bytes_ = size_t(out->size) * size_t(k.buffers[0].dtype().itemsize());
    scratch_ = dev_.allocate(bytes_);
    ptrs_.assign(bufs, bufs + k.buffers.size());
    ptrs_[0] = scratch_.get();
    want_ = run_once(compile({{}})[0]);
  }

  // Times each candidate (opts lists); rejected ones get no entry.
  void evaluate(const std::vector<std::vector<Opt>>& cands) {
    std::vector<std::vector<Opt>> fresh;
    for (const auto& c : cands)
      if (!times_.count(opts_text(c)) && fresh.size() < kMaxCandidatesPerRound) {
        times_[opts_text(c)] = -1;  // seen
        fresh.push_back(c);
      }
    if (fresh.empty()) return;
    std::vector<std::shared_ptr<const Kernel>> kernels;
    try {
      kernels = compile(fresh);
    } catch (const Error&) {  // one bad candidate spoils the batch: compile them one by one
      for (const auto& c : fresh) {
        try {
          kernels.push_back(compile({c})[0]);
        } catch (const Error&) {
          kernels.push_back(nullptr);
        }
      }
    }
    for (size_t i = 0; i < fresh.size(); ++i) {
      if (!kernels[i]) continue;
      {
        std::lock_guard<std::mutex> lock(stats_mu);
        ++stats.candidates;
      }
      try {
        if (!same_result(run_once(kernels[i]), want_, k_.buffers[0].dtype(), reorders_sums(fresh[i]))) {
          std::lock_guard<std::mutex> lock(stats_mu);
          ++stats.wrong_results;
          continue;
        }
        std::vector<double> t;
        for (int r = 0; r < 3; ++r) t.push_back(dev_.time_ms([&] { kernels[i]->launch(ptrs_.data()); }));
        std::sort(t.begin(), t.end());
        times_[opts_text(fresh[i])] = t[1];
        opts_of_[opts_text(fresh[i])] = fresh[i];
      } catch (const Error&) {  // e.g. too many registers for the launch
      }
    }
  }

  // The best `width` evaluated candidates, fastest first.
  std::vector<std::pair<double, std::vector<Opt>>> best(int width) const {
    std::vector<std::pair<double, std::vector<Opt>>> all;
    for (const auto& [text, ms] : times_)
      if (ms >= 0) all.push_back({ms, opts_of_.at(text)});
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : opts_text(a.second) < opts_text(b.second);
    });
    if (all.size() > size_t(width)) all.resize(size_t(width));
    return all;
  }

 private:
  std::vector<std::shared_ptr<const Kernel>> compile(const std::vector<std::vector<Opt>>& cands) {
    std::vector<ScheduledKernel> ks;
    for (size_t i = 0; i < cands.size(); ++i) {
      ScheduledKernel c = with_opts(k_, cands[i]);
      c.name = k_.name + "_beam" + std::to_string(counter_++);
      ks.push_back(std::move(c));
    }
    return dev_.compile(render_program(ks, device_));
  }

  std::vector<uint8_t> run_once(const std::shared_ptr<const Kernel>& kernel) {
    kernel->launch(ptrs_.data());
    std::vector<uint8_t> out(bytes_);
    dev_.copy_to_host(out.data(), scratch_.get(), bytes_);
    return out;
  }

  const ScheduledKernel& k_;
  std::string device_;
  Device& dev_;
  size_t bytes_ = 0;
  std::shared_ptr<void> scratch_;
  std::vector<void*> ptrs_;
  std::vector<uint8_t> want_;
  std::map<std::string, double> times_;
  std::map<std::string, std::vector<Opt>> opts_of_;
  int counter_ = 0;
};

}  // namespace

int beam_width() {
  const char* env = std::getenv("ANNEAL_BEAM");
  return env && *env ? std::max(0, std::atoi(env)) : 0;
}

std::optional<Opt> parse_opt(const std::string& text) {
  Opt o{OptOp::Upcast, 0, 0};
  std::string name;
  if (text.rfind("UPCAST(", 0) == 0) o.op = OptOp::Upcast, name = "UPCAST(";
  else if (text.rfind("LOCAL(", 0) == 0) o.op = OptOp::Local, name = "LOCAL(";
  else if (text.rfind("SWAP(", 0) == 0) o.op = OptOp::Swap, name = "SWAP(";
  else if (text.rfind("TC(", 0) == 0) o.op = OptOp::TensorCore, name = "TC(";
  else if (text.rfind("STAGE(", 0) == 0) o.op = OptOp::Stage, name = "STAGE(";
  else if (text.rfind("SIMD(", 0) == 0) o.op = OptOp::Simd, name = "SIMD(";
  else if (text.rfind("UNROLL(", 0) == 0) o.op = OptOp::Unroll, name = "UNROLL(";
  else if (text.rfind("THREAD(", 0) == 0) o.op = OptOp::Thread, name = "THREAD(";
  else if (text.rfind("PADTO(", 0) == 0) o.op = OptOp::PadTo, name = "PADTO(";
  else if (text.rfind("NOLOCALS(", 0) == 0) o.op = OptOp::NoLocals, name = "NOLOCALS(";
  else if (text.rfind("GROUPTOP(", 0) == 0) o.op = OptOp::GroupTop, name = "GROUPTOP(";
  else if (text.rfind("GROUP(", 0) == 0) o.op = OptOp::Group, name = "GROUP(";
  else return std::nullopt;
  long long axis = 0, amount = 0;
  char close = 0;
  if (std::sscanf(text.c_str() + name.size(), "%lld, %lld%c", &axis, &amount, &close) != 3 || close != ')') return std::nullopt;
  o.axis = int(axis);
  o.amount = amount;
  if (o.str() != text) return std::nullopt;  // exactly the canonical spelling
  return o;
}

std::string beam_cache_path(const ScheduledKernel& kernel, const std::string& device) {
  Hasher h;
  h.key(kernel.ast.key());
  h.bytes(get_device(device).fingerprint());
  return disk_cache::folder("beam") + "/" + to_hex(h.finish()) + ".txt";
}

std::vector<Opt> beam_search(const ScheduledKernel& kernel, const std::string& device, void* const* bufs, int width) {
  const std::string fingerprint = get_device(device).fingerprint();
  const std::string key = to_hex(kernel.ast.key()), path = beam_cache_path(kernel, device);
  if (std::optional<std::vector<Opt>> cached = read_entry(path, key, fingerprint, kernel)) {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++stats.cache_hits;
    return *cached;
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++stats.searches;
  }
  const bool gpu = canonical_device(device) != "CPU";
  Search search(kernel, device, bufs);
  search.evaluate(seeds(kernel, device, gpu));
  double best = search.best(1).empty() ? 0 : search.best(1)[0].first;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::vector<Opt>> cands;
    for (const auto& [ms, opts] : search.best(std::max(1, width))) {
      ScheduledKernel cur;
      try {
        cur = with_opts(kernel, opts);
      } catch (const Error&) {
        continue;
      }
      for (const Opt& a : actions(cur, opts, gpu)) {
        std::vector<Opt> c = opts;
        c.push_back(a);
        try {
          with_opts(kernel, c);
        } catch (const Error&) {
          continue;
        }
        cands.push_back(std::move(c));
      }
    }
    search.evaluate(cands);
    const double now = search.best(1)[0].first;
    if (now > best * 0.99) break;  // less than 1% better: stop
    best = now;
  }
  const auto winner = search.best(1);
  check(!winner.empty(), [&] { return "BEAM: no candidate of kernel " + kernel.name + " ran correctly"; });
  write_entry(path, key, fingerprint, winner[0].second, winner[0].first);
  return winner[0].second;
}

BeamStats beam_stats() {
  std::lock_guard<std::mutex> lock(stats_mu);
  return stats;
}

}  // namespace anneal
