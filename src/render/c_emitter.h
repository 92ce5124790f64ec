// The C emitter (internal to src/render): `void NAME(void** bufs, int core, int cores)`. The
// outermost output loop (or a Thread axis) is split across cores; every output element is computed by
// the same code on whichever core owns it, so results do not depend on the number of cores. A matmul
// claimed as a SIMD tile (codegen/opt.h) is an explicit vector register tile (c_simd_tile.cpp).
#pragma once
#include <string>

#include "anneal/codegen/gemm.h"
#include "c_style.h"

namespace anneal {

class CEmitter final : public CStyleEmitter {
 public:
  explicit CEmitter(const ScheduledKernel& k) : CStyleEmitter(k, c_language()) {}
  std::string render();

 private:
  void open_kernel(const LinearKernel& program) override;
  // The signature and the typed pointers of the buffers; `idle_cores`: only core 0 works.
  void open_function(bool idle_cores);

  // c_simd_tile.cpp
  struct SimdTile;
  std::string run_simd(const GemmPlan& p, int64_t cols);
  std::string k_offset(const SimdTile& t, const GemmOperand& op) const;
  Block open_k_loops(const SimdTile& t, const std::string& from, const std::string& to);
  void tile_position(const SimdTile& t);
  void pack_panel(const SimdTile& t, const std::string& from, const std::string& to);
  void accumulate(const SimdTile& t, const std::string& from, const std::string& to);
  void tile_epilogue(const SimdTile& t);
  void run_chunked(const SimdTile& t, const std::string& acc_decl, int64_t chunk);
  void run_whole(const SimdTile& t, const std::string& acc_decl);
};

}  // namespace anneal
