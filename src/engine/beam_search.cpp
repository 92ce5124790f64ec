#include "anneal/engine/beam.h"

// BEAM search: time candidate opt lists of a kernel on its device and keep the fastest correct one.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include "anneal/render/renderer.h"
#include "anneal/support/disk_cache.h"
#include "anneal/support/error.h"
#include "anneal/support/hash.h"
#include "anneal/support/settings.h"
#include "beam_cache.h"
#include "result_compare.h"

namespace anneal {
namespace {

using beam_cache::opts_text;
using beam_cache::with_opts;

constexpr int kRounds = 3;
constexpr size_t kMaxCandidatesPerRound = 256;

std::mutex stats_mu;
BeamStats stats;

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
std::vector<std::vector<Opt>> seeds(const ScheduledKernel& k, const Target& target) {
  std::vector<std::vector<Opt>> out = {{}, hand_coded_opts(k, target)};
  if (!target.gpu) return out;
  const bool wgmma = target.warpgroup_mma;
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
  Search(const ScheduledKernel& k, Device& device, void* const* bufs) : k_(k), target_(device.target()), dev_(device) {
    const auto* out = k.buffers[0].arg().as<BufferArg>();
    bytes_ = size_t(out->size) * size_t(k.buffers[0].dtype().itemsize());
    scratch_ = dev_.allocate(bytes_);
    ptrs_.assign(bufs, bufs + k.buffers.size() + k.vars.size());  // variables' values follow the buffers
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
    return dev_.compile(render_program(ks, target_));
  }

  std::vector<uint8_t> run_once(const std::shared_ptr<const Kernel>& kernel) {
    kernel->launch(ptrs_.data());
    std::vector<uint8_t> out(bytes_);
    dev_.copy_to_host(out.data(), scratch_.get(), bytes_);
    return out;
  }

  const ScheduledKernel& k_;
  Target target_;
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

int beam_width() { return int(settings::beam.get()); }

std::string beam_cache_path(const ScheduledKernel& kernel, const Device& device) {
  Hasher h;
  h.key(kernel.ast.key());
  h.bytes(device.fingerprint());
  return disk_cache::folder("beam") + "/" + to_hex(h.finish()) + ".txt";
}

std::optional<std::vector<Opt>> beam_cached(const ScheduledKernel& kernel, const Device& device) {
  return beam_cache::read_entry(beam_cache_path(kernel, device), to_hex(kernel.ast.key()), device.fingerprint(), kernel).opts;
}

std::vector<Opt> beam_search(const ScheduledKernel& kernel, Device& device, void* const* bufs, int width) {
  const std::string fingerprint = device.fingerprint();
  const std::string key = to_hex(kernel.ast.key()), path = beam_cache_path(kernel, device);
  const beam_cache::Lookup cached = beam_cache::read_entry(path, key, fingerprint, kernel);
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++(cached.opts ? stats.cache_hits : stats.searches);
    if (cached.rejected) ++stats.rejected_entries;
  }
  if (cached.opts) return *cached.opts;
  const Target target = device.target();
  const bool gpu = target.gpu;
  Search search(kernel, device, bufs);
  search.evaluate(seeds(kernel, target));
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
  beam_cache::write_entry(path, key, fingerprint, winner[0].second, winner[0].first);
  return winner[0].second;
}

BeamStats beam_stats() {
  std::lock_guard<std::mutex> lock(stats_mu);
  return stats;
}

}  // namespace anneal
