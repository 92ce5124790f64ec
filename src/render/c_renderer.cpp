// The C renderer: the C emitter (c_emitter.h) with the C table (c_language.cpp).
#include "c_renderer.h"

#include <algorithm>
#include <string>

#include "anneal/render/renderer.h"
#include "anneal/support/error.h"
#include "c_emitter.h"

namespace anneal {

std::string CEmitter::render() {
  const UOp wmma = find_wmma(k_.ast);
  return wmma ? run_simd(gemm_plan(wmma), gemm_arg(wmma).tile) : print(linearize(k_, cpu_target()));
}

void CEmitter::open_function(bool idle_cores) {
  out_ << "void " << k_.name << "(void** bufs, int core, int cores) {\n";
  if (idle_cores) out_ << "  if (core != 0) return;\n  (void)cores;\n";
  for (size_t i = 0; i < k_.buffers.size(); ++i) {
    const std::string t = buffer_type(k_.buffers[i].dtype()), c = i ? "const " : "";
    out_ << "  " << c << t << "* restrict data" << i << " = (" << c << t << "*)bufs[" << i << "];\n";
  }
  for (size_t j = 0; j < k_.vars.size(); ++j) {
    const std::string name = variable_name(k_.vars[j]);
    out_ << "  const long long " << name << " = *(const long long*)bufs[" << k_.buffers.size() + j << "];\n";
    bind(k_.vars[j], name);
  }
  indent_ = 1;
}

// The linearizer gives one output loop the Thread axis: split across at most `amount` cores (THREAD),
// or across all of them (0). A kernel without output loops runs on core 0.
void CEmitter::open_kernel(const LinearKernel& program) {
  const auto srcs = program.program.srcs();
  const auto split = std::find_if(srcs.begin(), srcs.end(), [](const UOp& s) { return s.is(Ops::RANGE) && axis_type(s) == AxisType::Thread; });
  open_function(split == srcs.end());
  if (split == srcs.end()) return;
  if (const int64_t cores = range_info(*split).amount; cores > 0) {
    const std::string n = std::to_string(cores);
    line("if (core >= " + n + ") return;");
    line("if (cores > " + n + ") cores = " + n + ";");
  }
}

const std::string& c_prelude() {
  // src/render/preludes/ and the SIMD tile's micro-kernel (src/render/gemm/), embedded at build time.
  static const std::string prelude = std::string(
#include "c_prelude.h.inc"
                                     ) + std::string(
#include "simd_tile.h.inc"
                                     );
  return prelude;
}

std::string render_c(const ScheduledKernel& kernel) { return CEmitter(kernel).render(); }

}  // namespace anneal
