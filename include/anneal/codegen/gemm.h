// Matmul-shaped kernels, recognised on the kernel AST: the one store's value holds one f32 sum over
// one loop k of a product of two ungated loads, A reading output loop m (not n) and B reading n (not
// m). Everything around the sum (bias, activation, casts, a batch of other output loops) is the
// epilogue. Matmuls, their gradients (built from MUL and REDUCE by autodiff) and attention's batched
// products all come out in this form after lowering.
//
// When an operand's index is affine in the loops (no div/mod, which symbolic simplification removes
// from plain views), its strides say how the operand lies in memory: contiguous along k (a row-major
// A, a transposed B) or along m / n. Renderers use that to stage tiles through shared memory with
// 16-byte copies (codegen/opt.h: STAGE, TC).
//
// Once an opt claims such a kernel (SIMD, STAGE, TC), the match travels in the kernel itself: the
// sum (REDUCE) becomes a WMMA node whose sources are A's and B's loads and the reduction loops and
// whose arg (GemmArg) holds the plan's layout and the form to render. Renderers read it back with
// gemm_plan() and never match again.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "anneal/schedule/schedule.h"

namespace anneal {

struct GemmOperand {
  UOp load;                       // the LOAD node
  int slot = 0;                   // its buffer's PARAM slot
  bool affine = false;            // index == offset + sum(strides_k[j] * k_j) + sum(stride[i] * output loop i)
  int64_t offset = 0;
  int64_t stride_k = 0;           // along the first reduction loop
  std::vector<int64_t> strides_k; // per reduction loop
  std::vector<int64_t> stride;    // per output loop
};

// A sum may run over several loops (a convolution's channels and kernel window): ranges_k, outermost
// first, as the unoptimized kernel nests them; k is their product. Staged GPU kernels take one.
struct GemmPlan {
  UOp reduce, range_k;     // range_k: the first of ranges_k
  std::vector<UOp> ranges_k;
  GemmOperand a, b;        // a reads (m, k), b reads (k, n)
  int axis_m = 0, axis_n = 0;
  int64_t m = 0, n = 0, k = 0;
  DType dtype = dtypes::float32;  // of the loads
  bool bare = false;              // the product's factors are the loads themselves (no casts)
  bool symbolic_k = false;        // a reduction loop runs a symbolic number of times (k is its maximum);
                                  // only the CPU's SIMD tile takes such a kernel (its k loops run to the bound value)
};

std::optional<GemmPlan> match_gemm(const ScheduledKernel& kernel);

// The forms a claimed matmul is rendered in (codegen/opt.h): SIMD on the CPU, STAGE, and the three
// tensor-core forms TC(0, 0), TC(0, tile) and TC(1, n).
enum class GemmForm : uint8_t { SimdTile, StagedTile, MmaDirect, MmaStaged, Warpgroup };

// The arg of a claimed matmul's WMMA node. `plan` holds the layout only (its node fields are empty:
// they are the WMMA's sources). `tile`: SIMD's columns, STAGE's and TC(0, tile)'s block tile side,
// TC(1, n)'s n. `tiles_m`, `tiles_n`: mma tiles per warp (TC(0, 0)).
struct GemmArg final : ArgObject {
  GemmForm form = GemmForm::SimdTile;
  int64_t tile = 0;
  int tiles_m = 1, tiles_n = 1;
  GemmPlan plan;

  bool equals(const ArgObject& other) const override;
  void hash(Hasher& h) const override;
  std::string str() const override;

 private:
  std::vector<int64_t> words() const;  // every field, for equality and hashing
};

// The kernel with the sum of `plan` replaced by a WMMA node rendering it as `form`.
UOp claim_gemm(const UOp& ast, const GemmPlan& plan, GemmForm form, int64_t tile, int tiles_m = 1, int tiles_n = 1);
// The kernel's WMMA node, or a null UOp when no opt claimed it.
UOp find_wmma(const UOp& ast);
// The plan a WMMA node carries, its node fields filled in (reduce is the WMMA node itself).
GemmPlan gemm_plan(const UOp& wmma);
inline const GemmArg& gemm_arg(const UOp& wmma) { return *wmma.arg().as<GemmArg>(); }

// The operand can be copied in 16-byte pieces of `vector` elements along its contiguous axis (k, or
// its own output loop `axis`): affine, stride 1 along that axis, and every other stride and the
// offset multiples of `vector`. `k_contiguous` says which axis it is.
struct Staging {
  bool ok = false;
  bool k_contiguous = false;
};
Staging staging_of(const GemmOperand& op, int axis, int64_t vector);

// Whether STAGE(0, tile) applies: float32 loads multiplied as they are, tile 64 or 128 dividing m and
// n, k a multiple of 8, both operands readable as float4.
bool stage_fits(const GemmPlan& plan, int64_t tile);

// The rows of a SIMD tile for m outputs along m: 8, else 6, 5 or 4 when they divide it; 0 if none.
int64_t simd_rows(int64_t m);

// Whether SIMD(0, cols) applies: float32 loads multiplied as they are, simd_rows(m) rows and `cols`
// (16 or 32) columns dividing m and n, any number of reduction loops, both operands affine (B's rows are vector loads, copied into a packed
// panel first when B is not contiguous along n; A is read a scalar at a time and broadcast).
bool simd_fits(const GemmPlan& plan, int64_t cols);

}  // namespace anneal
