// SIMD(0, cols): a float32 matmul as an explicit vector register tile on the CPU. Tiles of `rows` x
// cols outputs are numbered row tiles fastest, then the batch loops B does not read, then column
// panels, then the batch loops B reads: one panel of B serves every tile until it changes (a
// convolution's input gradient, whose weights depend on the window position only, packs 25 panels
// instead of one per 4 tiles); each core takes a contiguous range of tiles. The reduction loops nest
// as in the unoptimized kernel, so each output accumulates in k order: bit-identical to the loop.
#include <algorithm>
#include <string>

#include "anneal/support/error.h"
#include "c_emitter.h"

namespace anneal {
namespace {
std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

struct CEmitter::SimdTile {
  static constexpr int64_t W = 16;  // floats per vector
  const GemmPlan& p;
  int64_t MR, NR, NV, tiles_m, tiles_n, tiles;
  bool packed;              // B is not contiguous along n: its panel is copied into rows first
  std::string sbn, sam;     // B's stride along n, A's along m
  int64_t same_panel;       // consecutive tiles that read one panel of B
};

std::string CEmitter::run_simd(const GemmPlan& p, int64_t cols) {
  check(gemm_arg(p.reduce).form == GemmForm::SimdTile, "C renderer: kernel " + k_.name + " claims a GPU matmul form");
  const UOp& end = k_.ast.src(0);
  const int64_t MR = simd_rows(p.m), NR = cols;
  int64_t batch = 1, same_panel = p.m / MR;
  for (size_t i = 1; i < end.num_srcs(); ++i) {
    if (int(i) - 1 == p.axis_m || int(i) - 1 == p.axis_n) continue;
    batch *= end.src(i).src(0).ival();
    if (p.b.stride[i - 1] == 0) same_panel *= end.src(i).src(0).ival();
  }
  const SimdTile t{p, MR, NR, NR / SimdTile::W, p.m / MR, p.n / NR, batch * (p.m / MR) * (p.n / NR),
                   p.b.stride[size_t(p.axis_n)] != 1, str(p.b.stride[size_t(p.axis_n)]),
                   str(p.a.stride[size_t(p.axis_m)]), same_panel};
  open_function(false);
  const std::string acc_decl = "anneal_f32x16 acc[" + str(MR) + "][" + str(t.NV) + "]";
  line("const long long first = " + str(t.tiles) + "LL * core / cores, last = " + str(t.tiles) + "LL * (core + 1) / cores;");
  // A long sum over a packed panel (a convolution's weight gradient: 51200 k-steps, a 6.5 MB panel per
  // window position that every row tile would stream again) runs in chunks of the outermost k loop.
  constexpr int64_t kChunkSteps = 2048, kMaxSavedTiles = 64;
  // (A symbolic sum runs whole: its length is known at launch only.)
  const int64_t k0 = p.ranges_k[0].src(0).is_const() ? p.ranges_k[0].src(0).ival() : 0, inner = k0 ? p.k / k0 : p.k;
  const int64_t chunk = std::max<int64_t>(1, kChunkSteps / inner);
  if (!p.symbolic_k && t.packed && p.k > kChunkSteps && chunk < k0 && same_panel <= kMaxSavedTiles) run_chunked(t, acc_decl, chunk);
  else run_whole(t, acc_decl);
  out_ << "}\n";
  return out_.str();
}

// Operand `op`'s offset at the reduction loops k0, k1... (outermost first).
std::string CEmitter::k_offset(const SimdTile& t, const GemmOperand& op) const {
  std::string e = "0LL";
  for (size_t j = 0; j < t.p.ranges_k.size(); ++j)
    if (op.strides_k[j] != 0) e += " + (long long)k" + str(int64_t(j)) + " * " + str(op.strides_k[j]);
  return e;
}

// The reduction loops, the outermost over [from, to) (a chunk of it) or whole (`to` empty); all at one
// indentation, closed together.
CStyleEmitter::Block CEmitter::open_k_loops(const SimdTile& t, const std::string& from, const std::string& to) {
  const size_t n = t.p.ranges_k.size();
  auto header = [&](size_t j) {
    const UOp& size = t.p.ranges_k[j].src(0);  // a symbolic length: an expression over the kernel's variables
    const std::string kj = "k" + str(int64_t(j)),
                      end = j == 0 && !to.empty() ? to : size.is_const() ? str(size.ival()) : "(" + emit_value(size) + ")";
    return "for (int " + kj + " = " + (j == 0 ? from : "0") + "; " + kj + " < " + end + "; " + kj + "++) {";
  };
  for (size_t j = 0; j + 1 < n; ++j) line(header(j));
  return block(header(n - 1), std::string(n, '}'));
}

// Tile t's position (row tile, batch loops, column panel) and operand pointers.
void CEmitter::tile_position(const SimdTile& t) {
  const UOp& end = k_.ast.src(0);
  line("const int bm = " + (t.tiles_m == 1 ? std::string("0") : "(int)(t % " + str(t.tiles_m) + ")") + ";");
  int64_t stride = t.tiles_m;
  for (bool read_by_b : {false, true}) {
    if (read_by_b) {
      line("const int bn = " + (t.tiles_n == 1 ? std::string("0") : "(int)(t / " + str(stride) + " % " + str(t.tiles_n) + ")") + ";");
      stride *= t.tiles_n;
    }
    for (size_t i = end.num_srcs(); i-- > 1;) {
      if (int(i) - 1 == t.p.axis_m || int(i) - 1 == t.p.axis_n || (t.p.b.stride[i - 1] != 0) != read_by_b) continue;
      const int64_t n = end.src(i).src(0).ival();
      declare_range(end.src(i), "t / " + str(stride) + " % " + str(n));
      stride *= n;
    }
  }
  declare_tile_pointers(t.p, t.MR, t.NR);
}

// B not contiguous along n: the panel's k x NR values (k0 over [from, to)) copied into rows.
void CEmitter::pack_panel(const SimdTile& t, const std::string& from, const std::string& to) {
  line("long long kf = 0;");
  const Block loops = open_k_loops(t, from, to);
  line("const float* src = pb + " + k_offset(t, t.p.b) + ";");
  line("for (int j = 0; j < " + str(t.NR) + "; j++) panel[kf * " + str(t.NR) + " + j] = src[(long long)j * " + t.sbn + "];");
  line("kf++;");
}

// acc += A's rows x B's rows for k0 over [from, to); without a panel (no memory) B's values are
// gathered row by row.
void CEmitter::accumulate(const SimdTile& t, const std::string& from, const std::string& to) {
  if (t.packed) line("long long kf = 0;");
  const Block loops = open_k_loops(t, from, to);
  std::string b_row = "pb + " + k_offset(t, t.p.b);
  if (t.packed) {
    line("float gathered[" + str(t.NR) + "];");
    line("const float* brow = panel + kf * " + str(t.NR) + ";");
    line("if (!panel) {");
    line("  for (int j = 0; j < " + str(t.NR) + "; j++) gathered[j] = pb[" + k_offset(t, t.p.b) + " + (long long)j * " + t.sbn + "];");
    line("  brow = gathered;");
    line("}");
    line("kf++;");
    b_row = "brow";
  }
  // The micro-kernel (gemm/simd_tile.h).
  line("anneal_simd_step(" + str(t.MR) + ", " + str(t.NV) + ", acc, pa + " + k_offset(t, t.p.a) + ", " + t.sam + ", " + b_row + ");");
}

// The kernel's store for every output of the tile, the sum replaced by its accumulator lane.
void CEmitter::tile_epilogue(const SimdTile& t) {
  const UOp bm = UOp::variable("bm", 0, t.tiles_m - 1), bn = UOp::variable("bn", 0, t.tiles_n - 1);
  const UOp i = UOp::variable("i", 0, t.MR - 1), j = UOp::variable("j", 0, t.NR - 1);
  const std::pair<UOp, const char*> names[] = {{bm, "bm"}, {bn, "bn"}, {i, "i"}, {j, "j"}};
  for (const auto& [u, name] : names) bind(u, name);
  line("for (int i = 0; i < " + str(t.MR) + "; i++)");
  const Block cols = block("for (int j = 0; j < " + str(t.NR) + "; j++) {");
  gemm_epilogue(t.p, bm * t.MR + i, bn * t.NR + j, 1,
                [&](int) { return "acc[i][j / " + str(SimdTile::W) + "][j % " + str(SimdTile::W) + "]"; }, false);
}

// Chunks of the outermost k loop: each chunk's panel (at most kChunkSteps rows) stays in cache while
// every tile that reads it continues its sums, which wait in `saved` between chunks.
void CEmitter::run_chunked(const SimdTile& t, const std::string& acc_decl, int64_t chunk) {
  const int64_t k0 = t.p.ranges_k[0].src(0).ival(), inner = t.p.k / k0;
  const std::string MR = str(t.MR), NV = str(t.NV), run = str(t.same_panel);
  line("float* panel = (float*)malloc(" + str(chunk * inner * t.NR) + " * sizeof(float));");
  {
    const Block panels = block("for (long long t0 = first; t0 < last;) {");
    line("const long long t1 = (t0 / " + run + " + 1) * " + run + " < last ? (t0 / " + run + " + 1) * " + run + " : last;");
    line("anneal_f32x16 saved[" + run + "][" + MR + "][" + NV + "];");
    {
      const Block chunks = block("for (int c = 0; c < " + str(k0) + "; c += " + str(chunk) + ") {");
      line("const int c_end = c + " + str(chunk) + " < " + str(k0) + " ? c + " + str(chunk) + " : " + str(k0) + ";");
      const Block tiles = block("for (long long t = t0; t < t1; t++) {");
      tile_position(t);
      {
        const Block first = block("if (panel && t == t0) {");
        pack_panel(t, "c", "c_end");
      }
      line(acc_decl + ";");
      line("for (int i = 0; i < " + MR + "; i++)");
      line("  for (int v = 0; v < " + NV + "; v++) acc[i][v] = c == 0 ? (anneal_f32x16){0} : saved[t - t0][i][v];");
      accumulate(t, "c", "c_end");
      line("for (int i = 0; i < " + MR + "; i++)");
      line("  for (int v = 0; v < " + NV + "; v++) saved[t - t0][i][v] = acc[i][v];");
    }
    {
      const Block tiles = block("for (long long t = t0; t < t1; t++) {");
      tile_position(t);
      line(acc_decl + ";");
      line("for (int i = 0; i < " + MR + "; i++)");
      line("  for (int v = 0; v < " + NV + "; v++) acc[i][v] = saved[t - t0][i][v];");
      tile_epilogue(t);
    }
    line("t0 = t1;");
  }
  line("free(panel);");
}

// Tile by tile, the whole sum at once (a packed panel is refilled when the tile reads another).
void CEmitter::run_whole(const SimdTile& t, const std::string& acc_decl) {
  if (t.packed) line("float* panel = (float*)malloc(" + str(t.p.k * t.NR) + " * sizeof(float));");
  {
    const Block tiles = block("for (long long t = first; t < last; t++) {");
    tile_position(t);
    if (t.packed) {
      const Block refill = block("if (panel && (t == first || t % " + str(t.same_panel) + " == 0)) {");
      pack_panel(t, "0", "");
    }
    line(acc_decl + " = {{0}};");
    accumulate(t, "0", "");
    tile_epilogue(t);
  }
  if (t.packed) line("free(panel);");
}

}  // namespace anneal
