// The C renderer: `void NAME(void** bufs, int core, int cores)`. The outermost output loop is split
// across cores; every output element is computed by the same code on whichever core owns it, so
// results do not depend on the number of cores. SIMD kernels (codegen/opt.h) are explicit vector
// register tiles over a matmul's output.
#include "c_renderer.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "anneal/render/renderer.h"
#include "anneal/support/error.h"
#include "c_style.h"

namespace anneal {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

class CEmitter final : public CStyleEmitter {
 public:
  explicit CEmitter(const ScheduledKernel& k) : CStyleEmitter(k, c_language()) {}
  std::string render() {
    const UOp wmma = find_wmma(k_.ast);
    return wmma ? run_simd(gemm_plan(wmma), gemm_arg(wmma).tile) : run();
  }

 private:
  // SIMD(0, cols): tiles of `rows` x cols columns, numbered row tiles fastest, then the batch loops B
  // does not read, then column panels, then the batch loops B reads: one panel of B serves every tile
  // until it changes (a convolution's input gradient, whose weights depend on the window position
  // only, packs 25 panels instead of one per 4 tiles); each core takes a contiguous range of tiles.
  // The reduction loops nest as in the unoptimized kernel.
  std::string run_simd(const GemmPlan& p, int64_t cols) {
    check(gemm_arg(p.reduce).form == GemmForm::SimdTile, "C renderer: kernel " + k_.name + " claims a GPU matmul form");
    const UOp& end = k_.ast.src(0);
    constexpr int64_t W = 16;
    const int64_t MR = simd_rows(p.m), NR = cols, NV = NR / W, tiles_m = p.m / MR, tiles_n = p.n / NR;
    int64_t batch = 1;
    for (size_t i = 1; i < end.num_srcs(); ++i)
      if (int(i) - 1 != p.axis_m && int(i) - 1 != p.axis_n) batch *= end.src(i).src(0).ival();
    const int64_t tiles = batch * tiles_m * tiles_n;
    out_ << "void " << k_.name << "(void** bufs, int core, int cores) {\n";
    for (size_t i = 0; i < k_.buffers.size(); ++i) {
      const std::string t = buffer_type(k_.buffers[i].dtype()), c = i ? "const " : "";
      out_ << "  " << c << t << "* restrict data" << i << " = (" << c << t << "*)bufs[" << i << "];\n";
    }
    indent_ = 1;
    // The reduction loops k0, k1... (outermost first); an operand's offset at them.
    auto k_offset = [&](const GemmOperand& op) {
      std::string e = "0LL";
      for (size_t j = 0; j < p.ranges_k.size(); ++j)
        if (op.strides_k[j] != 0) e += " + (long long)k" + str(int64_t(j)) + " * " + str(op.strides_k[j]);
      return e;
    };
    // The reduction loops, the outermost over [from, to) (a chunk of it) or whole.
    auto open_k_loops = [&](const std::string& from = "0", const std::string& to = "") {
      for (size_t j = 0; j < p.ranges_k.size(); ++j) {
        const std::string kj = "k" + str(int64_t(j)), n = j == 0 && !to.empty() ? to : str(p.ranges_k[j].src(0).ival());
        line("for (int " + kj + " = " + (j == 0 ? from : "0") + "; " + kj + " < " + n + "; " + kj + "++) {");
      }
      ++indent_;
    };
    auto close_k_loops = [&] {
      --indent_;
      line(std::string(p.ranges_k.size(), '}'));
    };
    const bool packed = p.b.stride[size_t(p.axis_n)] != 1;
    const std::string sbn = str(p.b.stride[size_t(p.axis_n)]), sam = str(p.a.stride[size_t(p.axis_m)]);
    const int64_t same_panel = [&] {  // consecutive tiles that read one panel of B
      int64_t run = tiles_m;
      for (size_t i = 1; i < end.num_srcs(); ++i)
        if (int(i) - 1 != p.axis_m && int(i) - 1 != p.axis_n && p.b.stride[i - 1] == 0) run *= end.src(i).src(0).ival();
      return run;
    }();
    // Tile t's position (row tile, batch loops, column panel) and operand pointers.
    auto tile_position = [&] {
      line("const int bm = " + (tiles_m == 1 ? std::string("0") : "(int)(t % " + str(tiles_m) + ")") + ";");
      int64_t stride = tiles_m;
      for (bool read_by_b : {false, true}) {
        if (read_by_b) {
          line("const int bn = " + (tiles_n == 1 ? std::string("0") : "(int)(t / " + str(stride) + " % " + str(tiles_n) + ")") + ";");
          stride *= tiles_n;
        }
        for (size_t i = end.num_srcs(); i-- > 1;) {
          if (int(i) - 1 == p.axis_m || int(i) - 1 == p.axis_n || (p.b.stride[i - 1] != 0) != read_by_b) continue;
          const int64_t n = end.src(i).src(0).ival();
          declare_range(end.src(i), "t / " + str(stride) + " % " + str(n));
          stride *= n;
        }
      }
      declare_tile_pointers(p, MR, NR);
    };
    // B not contiguous along n: the panel's k x NR values (k0 over [from, to)) copied into rows.
    auto pack = [&](const std::string& from, const std::string& to) {
      line("long long kf = 0;");
      open_k_loops(from, to);
      line("const float* src = pb + " + k_offset(p.b) + ";");
      line("for (int j = 0; j < " + str(NR) + "; j++) panel[kf * " + str(NR) + " + j] = src[(long long)j * " + sbn + "];");
      line("kf++;");
      close_k_loops();
    };
    // acc += A's rows x B's rows for k0 over [from, to); without a panel (no memory) B's values are
    // gathered row by row.
    auto accumulate = [&](const std::string& from, const std::string& to) {
      if (packed) line("long long kf = 0;");
      open_k_loops(from, to);
      std::string b_row = "pb + " + k_offset(p.b);
      if (packed) {
        line("float gathered[" + str(NR) + "];");
        line("const float* brow = panel + kf * " + str(NR) + ";");
        line("if (!panel) {");
        line("  for (int j = 0; j < " + str(NR) + "; j++) gathered[j] = pb[" + k_offset(p.b) + " + (long long)j * " + sbn + "];");
        line("  brow = gathered;");
        line("}");
        line("kf++;");
        b_row = "brow";
      }
      for (int64_t v = 0; v < NV; ++v)
        line("const anneal_f32x16 b" + str(v) + " = anneal_load16(" + b_row + " + " + str(v * W) + ");");
      line("const float* arow = pa + " + k_offset(p.a) + ";");
      for (int64_t i = 0; i < MR; ++i) {
        line("{");
        line("  const anneal_f32x16 a = (anneal_f32x16){0} + arow[" + str(i) + " * " + sam + "];");
        for (int64_t v = 0; v < NV; ++v)
          line("  acc[" + str(i) + "][" + str(v) + "] = anneal_fma16(a, b" + str(v) + ", acc[" + str(i) + "][" + str(v) + "]);");
        line("}");
      }
      close_k_loops();
    };
    auto epilogue = [&] {
      const UOp bm = UOp::variable("bm", 0, tiles_m - 1), bn = UOp::variable("bn", 0, tiles_n - 1);
      const UOp i = UOp::variable("i", 0, MR - 1), j = UOp::variable("j", 0, NR - 1);
      const std::pair<UOp, const char*> names[] = {{bm, "bm"}, {bn, "bn"}, {i, "i"}, {j, "j"}};
      for (const auto& [u, name] : names) bind(u, name);
      line("for (int i = 0; i < " + str(MR) + "; i++)");
      line("for (int j = 0; j < " + str(NR) + "; j++) {");
      ++indent_;
      gemm_epilogue(p, bm * MR + i, bn * NR + j, 1, [&](int) { return "acc[i][j / " + str(W) + "][j % " + str(W) + "]"; }, false);
      --indent_;
      line("}");
    };
    const std::string acc_decl = "anneal_f32x16 acc[" + str(MR) + "][" + str(NV) + "]";
    line("const long long first = " + str(tiles) + "LL * core / cores, last = " + str(tiles) + "LL * (core + 1) / cores;");
    // A long sum over a packed panel (a convolution's weight gradient: 51200 k-steps, a 6.5 MB panel per
    // window position that every row tile would stream again) runs in chunks of the outermost k loop:
    // each chunk's panel (at most kChunkSteps rows) stays in cache while every tile that reads it
    // continues its sums, which wait in `saved` between chunks. Each output still sums in k order.
    constexpr int64_t kChunkSteps = 2048, kMaxSavedTiles = 64;
    const int64_t k0 = p.ranges_k[0].src(0).ival(), inner = p.k / k0;
    const int64_t chunk = std::max<int64_t>(1, kChunkSteps / inner);
    if (packed && p.k > kChunkSteps && chunk < k0 && same_panel <= kMaxSavedTiles) {
      line("float* panel = (float*)malloc(" + str(chunk * inner * NR) + " * sizeof(float));");
      line("for (long long t0 = first; t0 < last;) {");
      ++indent_;
      line("const long long t1 = (t0 / " + str(same_panel) + " + 1) * " + str(same_panel) + " < last ? (t0 / " + str(same_panel) +
           " + 1) * " + str(same_panel) + " : last;");
      line("anneal_f32x16 saved[" + str(same_panel) + "][" + str(MR) + "][" + str(NV) + "];");
      line("for (int c = 0; c < " + str(k0) + "; c += " + str(chunk) + ") {");
      ++indent_;
      line("const int c_end = c + " + str(chunk) + " < " + str(k0) + " ? c + " + str(chunk) + " : " + str(k0) + ";");
      line("for (long long t = t0; t < t1; t++) {");
      ++indent_;
      tile_position();
      line("if (panel && t == t0) {");
      ++indent_;
      pack("c", "c_end");
      --indent_;
      line("}");
      line(acc_decl + ";");
      line("for (int i = 0; i < " + str(MR) + "; i++)");
      line("  for (int v = 0; v < " + str(NV) + "; v++) acc[i][v] = c == 0 ? (anneal_f32x16){0} : saved[t - t0][i][v];");
      accumulate("c", "c_end");
      line("for (int i = 0; i < " + str(MR) + "; i++)");
      line("  for (int v = 0; v < " + str(NV) + "; v++) saved[t - t0][i][v] = acc[i][v];");
      --indent_;
      line("}");
      --indent_;
      line("}");
      line("for (long long t = t0; t < t1; t++) {");
      ++indent_;
      tile_position();
      line(acc_decl + ";");
      line("for (int i = 0; i < " + str(MR) + "; i++)");
      line("  for (int v = 0; v < " + str(NV) + "; v++) acc[i][v] = saved[t - t0][i][v];");
      epilogue();
      --indent_;
      line("}");
      line("t0 = t1;");
      --indent_;
      line("}");
      line("free(panel);");
      out_ << "}\n";
      return out_.str();
    }
    if (packed) line("float* panel = (float*)malloc(" + str(p.k * NR) + " * sizeof(float));");
    line("for (long long t = first; t < last; t++) {");
    ++indent_;
    tile_position();
    if (packed) {
      line("if (panel && (t == first || t % " + str(same_panel) + " == 0)) {");
      ++indent_;
      pack("0", "");
      --indent_;
      line("}");
    }
    line(acc_decl + " = {{0}};");
    accumulate("0", "");
    epilogue();
    --indent_;
    line("}");
    if (packed) line("free(panel);");
    out_ << "}\n";
    return out_.str();
  }

  void open_kernel(const UOp& end) override {
    out_ << "void " << k_.name << "(void** bufs, int core, int cores) {\n";
    if (end.num_srcs() < 2) out_ << "  if (core != 0) return;\n  (void)cores;\n";
    for (size_t i = 0; i < k_.buffers.size(); ++i) {
      const std::string t = buffer_type(k_.buffers[i].dtype()), c = i ? "const " : "";
      out_ << "  " << c << t << "* restrict data" << i << " = (" << c << t << "*)bufs[" << i << "];\n";
    }
    indent_ = 1;
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
  void close_kernel(const UOp& end) override {
    for (size_t i = end.num_srcs(); i-- > 1;) close_loop(end.src(i));
    out_ << "}\n";
  }
};

}  // namespace

const std::string& c_prelude() {
  static const std::string prelude =
      "#include <stdlib.h>\n#include <tgmath.h>\n"
      "static inline long long anneal_floordiv(long long a, long long b) {\n"
      "  long long q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;\n}\n"
      "static inline long long anneal_floormod(long long a, long long b) { return a - anneal_floordiv(a, b) * b; }\n"
      // float16 / bfloat16 <-> float, rounding to nearest even (bit patterns through a union).
      "typedef union { float f; unsigned int u; } anneal_bits;\n"
      "static inline float anneal_h2f(unsigned short h) {\n"
      "  unsigned int s = (unsigned int)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;\n"
      "  anneal_bits b;\n"
      "  if (e == 0) { float f = (float)m * 0x1p-24f; return s ? -f : f; }\n"
      "  b.u = e == 31 ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13));\n"
      "  return b.f;\n}\n"
      "static inline unsigned short anneal_f2h(float f) {\n"
      "  anneal_bits b; b.f = f;\n"
      "  unsigned int sign = (b.u >> 16) & 0x8000u, a = b.u & 0x7fffffffu;\n"
      "  if (a > 0x7f800000u) return (unsigned short)(sign | 0x7e00u);\n"
      "  if (a >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);\n"
      "  if (a < 0x38800000u) { anneal_bits c; c.u = a; return (unsigned short)(sign | (unsigned int)nearbyintf(c.f * 0x1p24f)); }\n"
      "  unsigned int r = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x3ffu), rest = a & 0x1fffu;\n"
      "  if (rest > 0x1000u || (rest == 0x1000u && (r & 1u))) r++;\n"
      "  return (unsigned short)(sign | r);\n}\n"
      "static inline float anneal_bf2f(unsigned short h) { anneal_bits b; b.u = (unsigned int)h << 16; return b.f; }\n"
      "static inline unsigned short anneal_f2bf(float f) {\n"
      "  anneal_bits b; b.f = f;\n"
      "  if ((b.u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((b.u >> 16) | 0x40u);\n"
      "  return (unsigned short)((b.u + 0x7fffu + ((b.u >> 16) & 1u)) >> 16);\n}\n"
      // SIMD tiles: 16-float vectors (GCC/clang vector extensions), unaligned loads, and a fused
      // multiply-add rounded once per lane like fmaf: AVX-512 or AVX2 intrinsics, else fmaf per lane.
      "#if defined(__x86_64__) || defined(__i386__)\n#include <immintrin.h>\n#endif\n"
      "typedef float anneal_f32x16 __attribute__((vector_size(64)));\n"
      "static inline anneal_f32x16 anneal_load16(const float* p) { anneal_f32x16 v; __builtin_memcpy(&v, p, 64); return v; }\n"
      "static inline anneal_f32x16 anneal_fma16(anneal_f32x16 a, anneal_f32x16 b, anneal_f32x16 c) {\n"
      "#if defined(__AVX512F__)\n"
      "  return (anneal_f32x16)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);\n"
      "#elif defined(__AVX2__) && defined(__FMA__)\n"
      "  __m256 x[2], y[2], z[2];\n"
      "  __builtin_memcpy(x, &a, 64); __builtin_memcpy(y, &b, 64); __builtin_memcpy(z, &c, 64);\n"
      "  z[0] = _mm256_fmadd_ps(x[0], y[0], z[0]); z[1] = _mm256_fmadd_ps(x[1], y[1], z[1]);\n"
      "  anneal_f32x16 r; __builtin_memcpy(&r, z, 64); return r;\n"
      "#else\n"
      "  anneal_f32x16 r; for (int i = 0; i < 16; i++) r[i] = fmaf(a[i], b[i], c[i]); return r;\n"
      "#endif\n}\n";
  return prelude;
}

std::string render_c(const ScheduledKernel& kernel) { return CEmitter(kernel).render(); }

}  // namespace anneal
