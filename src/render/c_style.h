// The printer shared by the C-like renderers: it spells a linearised program (codegen/linearize.h),
// statement by statement, each value a numbered local. The decisions (what is hoisted, how loops are
// walked, where threads meet) are the linearizer's; subclasses write how a kernel opens (signature,
// thread indices) and the language table (language.h) says how everything is spelled.
#pragma once
#include <functional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "anneal/codegen/gemm.h"
#include "anneal/codegen/linearize.h"
#include "anneal/schedule/schedule.h"
#include "anneal/uop/axis.h"
#include "language.h"

namespace anneal {

class CStyleEmitter {
 public:
  CStyleEmitter(const ScheduledKernel& k, const LanguageTable& lang) : k_(k), lang_(lang) {}
  virtual ~CStyleEmitter() = default;

 protected:
  // Prints a linearised program (codegen/linearize.h): open_kernel writes the signature and whatever
  // precedes the body, then each statement is spelled in turn.
  std::string print(const LinearKernel& program);
  virtual void open_kernel(const LinearKernel& program) = 0;
  // GPU statements (gpu_emitter.h).
  virtual void declare_special(const UOp& s);
  virtual void declare_shared(const UOp& s);

  // The type values of `d` have in registers, and the type of its elements in memory: float16 and
  // bfloat16 live in memory as their bit patterns and compute as float.
  std::string type_name(DType d) const { return lang_.type(d); }
  std::string buffer_type(DType d) const { return lang_.memory_type(d); }
  // Buffers of `d` hold several elements a memory word (LanguageTable::packed).
  bool is_packed(DType d) const;

  void line(const std::string& s) { out_ << std::string(size_t(indent_) * 2, ' ') << s << "\n"; }
  // A braced block of generated code: writes `opening` (which opens the brace or braces), indents what
  // follows, and writes `closing` one level out when it goes out of scope.
  class Block {
   public:
    Block(CStyleEmitter& e, const std::string& opening, std::string closing = "}") : e_(e), closing_(std::move(closing)) {
      e_.line(opening);
      ++e_.indent_;
    }
    // A block handed on (returned by a helper that opened it) is closed by its new owner.
    Block(Block&& other) noexcept : e_(other.e_), closing_(std::move(other.closing_)), open_(other.open_) { other.open_ = false; }
    ~Block() {
      if (!open_) return;
      --e_.indent_;
      e_.line(closing_);
    }
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
    Block& operator=(Block&&) = delete;

   private:
    CStyleEmitter& e_;
    std::string closing_;
    bool open_ = true;
  };
  Block block(const std::string& opening, std::string closing = "}") { return Block(*this, opening, std::move(closing)); }
  // A language's directive: one line is indented like code, several (#if blocks) start at column 0.
  void directive(const std::string& s) {
    if (s.find('\n') == std::string::npos) line(s);
    else out_ << s << "\n";
  }
  std::string range_name(const UOp& r) const { return "r" + std::to_string(range_id(r)); }
  // A variable's name in generated code: kernels take variables as arguments after their buffers.
  static std::string variable_name(const UOp& v) { return "v_" + v.arg().as<ParamArg>()->name; }
  void bind(const UOp& u, std::string name) {
    names_[u.get()] = std::move(name);
    bound_.push_back(u);
  }
  // Names bound after `mark()` go out of scope with forget_since(mark) (values emitted inside a block).
  size_t mark() const { return bound_.size(); }
  void forget_since(size_t m) {
    for (size_t i = m; i < bound_.size(); ++i) names_.erase(bound_[i].get());
    bound_.resize(m);
  }
  // The matmul forms' epilogues print kernel expressions directly (no reductions in them): emits
  // the statements computing `u` (and what it needs) and returns the expression naming it.
  std::string emit_value(const UOp& u) {
    emit(u);
    return val(u);
  }
  void emit(const UOp& u);
  // Declares the variable of a loop range the kernel computes rather than loops over (a thread index).
  void declare_range(const UOp& r, const std::string& value);
  std::string value_type(const UOp& u) const;
  std::string literal(const UOp& c) const;

  // Matmul-shaped kernels (codegen/gemm.h). The address of operand `op` at this tile's batch position,
  // the start of tile `tile` (an expression) along its own output loop `axis`, and k = 0; the batch
  // loops must be declared.
  std::string operand_pointer(const GemmPlan& p, const GemmOperand& op, int axis, const std::string& tile) const;
  // Declares pa and pb: A at row tile bm (of `rows`) and B at column tile bn (of `cols`).
  void declare_tile_pointers(const GemmPlan& p, int64_t rows, int64_t cols);
  // The kernel's store for `width` neighbouring columns col, col + 1...: the sum replaced by
  // accumulator acc(c) (an expression) and m, n by `row`, col + c (in variables the caller bound).
  // With `vector_stores` (CUDA), consecutive aligned output elements are written by one 8- or 16-byte
  // store (the TC fragments' scalar stores filled half of each 32-byte sector).
  void gemm_epilogue(const GemmPlan& p, const UOp& row, const UOp& col, int width,
                     const std::function<std::string(int)>& acc, bool vector_stores);

  // The expression naming `u`: a literal, a name, or an operand spelled inline.
  std::string val(const UOp& u) const;
  std::string expr(const UOp& u);

  const ScheduledKernel& k_;
  const LanguageTable& lang_;
  std::ostringstream out_;
  int indent_ = 0;

 private:
  void statement(const UOp& s);
  void open_loop(const UOp& r);
  void store(const UOp& s);
  void let(const UOp& u);

  std::unordered_map<const void*, std::string> names_;
  std::vector<UOp> bound_;  // in binding order (keeps bound nodes alive)
  int counter_ = 0;
};

// Index arithmetic is int where the node's bounds fit 32 bits, else long long.
bool fits_int32(const UOp& u);

}  // namespace anneal
