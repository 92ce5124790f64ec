#include "gpu_emitter.h"

#include <algorithm>
#include <climits>

#include "anneal/support/error.h"

namespace anneal {

GpuEmitter::GpuEmitter(const ScheduledKernel& k, KernelEntry* entry, const LanguageTable& lang, Target target)
    : CStyleEmitter(k, lang), entry_(entry), target_(std::move(target)) {
  const UOp& end = k.ast.src(0);
  for (size_t i = 1; i < end.num_srcs(); ++i) outputs_ *= int64_t(end.src(i).src(0).vmax());  // symbolic: the most
}

std::string GpuEmitter::render_generic() {
  check(!find_wmma(k_.ast), [&] { return std::string(lang_.name) + " renderer: kernel " + k_.name + " claims a matmul form it has no code for"; });
  if (outputs_ == 0) {  // an empty tensor: never launched, but its index math has no sensible bounds
    open_signature(1, 0);
    out_ << "}\n";
    return out_.str();
  }
  const std::string body = print(linearize(k_, target_));
  return module_ + body;
}

void GpuEmitter::open_signature(int64_t threads, int64_t blocks) {
  const int64_t max_x = lang_.gpu.max_grid_x;
  threads_ = threads;
  if (entry_) {
    entry_->name = k_.name;
    entry_->local = {threads, 1, 1};
    entry_->global = {std::min(blocks, max_x), (blocks + max_x - 1) / max_x, 1};
    entry_->buffers = k_.buffers.size();
    entry_->vars = k_.vars.size();
  }
  std::vector<LanguageTable::Buffer> buffers;
  for (size_t i = 0; i < k_.buffers.size(); ++i) buffers.push_back({buffer_type(k_.buffers[i].dtype()), i == 0, k_.buffers[i].dtype()});
  std::vector<std::string> vars;
  for (const UOp& v : k_.vars) {
    vars.push_back(variable_name(v));
    bind(v, vars.back());
  }
  out_ << lang_.gpu.signature(k_.name, threads, buffers, vars) << "\n";
  indent_ = 1;
  // A 2-D grid that does not divide evenly has blocks past the last.
  if (blocks > max_x && blocks % max_x != 0) line(lang_.when(block_index() + " >= " + std::to_string(blocks) + "u", "return;"));
}

void GpuEmitter::open_kernel(const LinearKernel& program) { open_signature(program.threads, program.blocks); }

// gid: block * threads + thread, in 64 bits where the last block's stragglers pass 2^31; they return.
// bid: the block; lid: the thread in its block.
void GpuEmitter::declare_special(const UOp& s) {
  const std::string& name = *s.arg().as_string();
  const int64_t bound = int64_t(s.src(0).vmax());  // a symbolic bound: the grid covers its maximum
  const std::string block = block_index(), thread = lang_.gpu.thread;
  if (name == "gid") {
    const bool narrow = bound + threads_ <= INT32_MAX;
    const std::string t = lang_.index(!narrow), per = std::to_string(threads_);
    if (narrow) line(lang_.constant(t, name, lang_.cast(t, "(" + block + " * " + per + "u + " + thread + ")")));
    else line(lang_.constant(t, name, lang_.cast(t, block) + " * " + per + " + " + thread));
    const std::string limit = s.src(0).is_const() ? lang_.index_literal(bound, !narrow) : "(" + emit_value(s.src(0)) + ")";
    line(lang_.when(name + " >= " + limit, "return;"));
  } else {
    const std::string t = value_type(s);
    line(lang_.constant(t, name, lang_.cast(t, name == "bid" ? block : thread)));
    // Blocks over a symbolic number of tiles: the grid covers the maximum, blocks past the bound
    // number return (every thread of such a block, so no barrier waits for them).
    if (name == "bid" && !s.src(0).is_const()) line(lang_.when(name + " >= (" + emit_value(s.src(0)) + ")", "return;"));
  }
  bind(s, name);
}

// Module-scope arrays are shared by every kernel of a program: each kernel names its own.
void GpuEmitter::declare_shared(const UOp& s) {
  const LanguageTable::Gpu& gpu = lang_.gpu;
  const std::string name = (gpu.shared_at_module_scope ? k_.name + "_" : std::string()) + *s.arg().as_string();
  const std::string declaration = gpu.shared(type_name(s.dtype()), name, s.src(0).ival());
  if (gpu.shared_at_module_scope) module_ += declaration + "\n";
  else line(declaration);
  bind(s, name);
}

}  // namespace anneal
