// The emitter of GPU languages (CUDA, WGSL; internal to src/render): one thread per output element.
// The output loops are flattened into the global thread index (innermost loop fastest, so neighbouring
// threads store neighbouring elements) and each loop variable is recovered from it; reductions stay
// loops inside the thread. Local axes (LOCAL) make the block index walk tiles of the output and the
// thread index the positions inside one. A kernel with group axes (GROUP, GROUPTOP) gives each output a
// block whose threads share its reductions and combine them through shared memory. The language table
// spells all of it; CUDA adds the claimed matmul forms (cuda_emitter.h).
#pragma once
#include <set>
#include <string>

#include "anneal/render/program.h"
#include "c_style.h"

namespace anneal {

class GpuEmitter : public CStyleEmitter {
 public:
  GpuEmitter(const ScheduledKernel& k, KernelEntry* entry, const LanguageTable& lang);
  // The kernel's source (declarations it needs at module scope first).
  std::string render_generic();

 protected:
  static constexpr int64_t kThreadsPerBlock = 256;

  void open_kernel(const UOp& end) override;
  void close_kernel(const UOp&) override { out_ << "}\n"; }
  // The launch entry (threads per block, a grid of `blocks`) and the kernel's signature, up to the
  // opening brace.
  void open_signature(int64_t threads, int64_t blocks);
  // The block's index: 2-D grids (languages with a short x) fold back into one number.
  std::string block_index() const;

  bool cooperative_reductions() const override { return true; }
  std::string thread_lane() const override { return lang_.cast(lang_.index(false), lang_.gpu.thread); }
  int group_size() const override { return int(threads_); }
  std::string store_condition() const override { return grouped_ ? lang_.gpu.first_thread : ""; }
  void combine(const std::string& acc, Ops op, DType d) override;

  KernelEntry* entry_;
  int64_t outputs_ = 1, threads_ = 1, local_threads_ = 1;
  bool grouped_ = false;

 private:
  void open_tiled(const UOp& end, bool narrow);

  std::set<std::string> shared_declared_;
  std::string module_;  // module-scope declarations (WGSL's workgroup arrays)
};

}  // namespace anneal
