// The C renderer: the C emitter (c_emitter.h) with the C table (c_language.cpp).
#include "c_renderer.h"

#include <string>

#include "anneal/render/renderer.h"
#include "anneal/support/error.h"
#include "c_emitter.h"

namespace anneal {

std::string CEmitter::render() {
  const UOp wmma = find_wmma(k_.ast);
  return wmma ? run_simd(gemm_plan(wmma), gemm_arg(wmma).tile) : run();
}

void CEmitter::open_function(bool idle_cores) {
  out_ << "void " << k_.name << "(void** bufs, int core, int cores) {\n";
  if (idle_cores) out_ << "  if (core != 0) return;\n  (void)cores;\n";
  for (size_t i = 0; i < k_.buffers.size(); ++i) {
    const std::string t = buffer_type(k_.buffers[i].dtype()), c = i ? "const " : "";
    out_ << "  " << c << t << "* restrict data" << i << " = (" << c << t << "*)bufs[" << i << "];\n";
  }
  indent_ = 1;
}

void CEmitter::open_kernel(const UOp& end) {
  open_function(end.num_srcs() < 2);
  // A Thread axis (THREAD) is split across at most `amount` cores; else the outermost loop across all.
  size_t split = 1;
  int64_t cores = 0;
  for (size_t i = 1; i < end.num_srcs(); ++i)
    if (const RangeInfo info = range_info(end.src(i)); info.type == AxisType::Thread) split = i, cores = info.amount;
  if (cores > 0) {
    const std::string n = std::to_string(cores);
    line("if (core >= " + n + ") return;");
    line("if (cores > " + n + ") cores = " + n + ";");
  }
  for (size_t i = 1; i < end.num_srcs(); ++i) open_loop(end.src(i), i == split ? Loop::SplitAcrossCores : Loop::Plain);
}

void CEmitter::close_kernel(const UOp& end) {
  for (size_t i = end.num_srcs(); i-- > 1;) close_loop(end.src(i));
  out_ << "}\n";
}

const std::string& c_prelude() {
  // src/render/preludes/, embedded at build time.
  static const std::string prelude =
#include "c_prelude.h.inc"
      ;
  return prelude;
}

std::string render_c(const ScheduledKernel& kernel) { return CEmitter(kernel).render(); }

}  // namespace anneal
