// The emitter shared by the C-like renderers. Values become numbered locals in dependency order; a
// reduction becomes an accumulator loop, with everything that does not depend on its loop variables
// hoisted above it. Subclasses say how a kernel opens (signature, output loops or thread indices);
// the language table (language.h) says how everything is spelled.
#pragma once
#include <functional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "anneal/codegen/gemm.h"
#include "anneal/schedule/schedule.h"
#include "anneal/uop/axis.h"
#include "language.h"

namespace anneal {

class CStyleEmitter {
 public:
  CStyleEmitter(const ScheduledKernel& k, const LanguageTable& lang) : k_(k), lang_(lang) {}
  virtual ~CStyleEmitter() = default;
  std::string run();

 protected:
  // The signature and everything up to the body, including opening the output loops of `end`;
  // close_kernel undoes it.
  virtual void open_kernel(const UOp& end) = 0;
  virtual void close_kernel(const UOp& end) = 0;
  // The type values of `d` have in registers, and the type of its elements in memory: float16 and
  // bfloat16 live in memory as their bit patterns and compute as float.
  std::string type_name(DType d) const { return lang_.type(d); }
  std::string buffer_type(DType d) const { return lang_.memory_type(d); }
  // Reductions whose loops have a group axis (GROUP, GROUPTOP) are split across the threads of a block
  // (GPU): each thread loops over its share of that loop, then `combine` merges the partial
  // accumulators and gives every thread the total. Renderers without blocks (C) ignore group axes.
  virtual bool cooperative_reductions() const { return false; }
  virtual std::string thread_lane() const { return "0"; }
  virtual int group_size() const { return 1; }
  virtual void combine(const std::string&, Ops, DType) {}
  // The condition under which this thread writes the output (e.g. thread 0 of a group); "" for all.
  virtual std::string store_condition() const { return ""; }

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
  enum class Loop { Plain, SplitAcrossCores, StridedOverGroup, ChunkOfGroup };
  void open_loop(const UOp& r, Loop kind = Loop::Plain);
  void close_loop(const UOp& r);
  std::string range_name(const UOp& r) const { return "r" + std::to_string(range_id(r)); }
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
  // Emits the statements computing `u` (and what it needs) and returns the expression naming it.
  std::string emit_value(const UOp& u) {
    emit(u);
    return val(u);
  }
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

  std::string val(const UOp& u) const;
  void emit(const UOp& u);
  std::string reduce_identity(Ops op, DType d) const;

  const ScheduledKernel& k_;
  const LanguageTable& lang_;
  std::ostringstream out_;
  int indent_ = 0;

 private:
  void compute_deps();
  std::string expr(const UOp& u);
  void emit_reduce(const UOp& r);
  bool in_scope(const UOp& u) const;  // every loop `u` depends on is open
  void emit_vector_loads(const std::vector<UOp>& roots);
  void emit_stores(const std::vector<UOp>& stores);

  std::unordered_map<const void*, std::string> names_;
  std::unordered_map<const void*, std::unordered_set<const void*>> deps_;
  std::unordered_set<const void*> open_;  // loop variables in scope
  std::vector<UOp> reduces_;              // every REDUCE of the kernel, in dependency order
  std::vector<UOp> bound_;                // in binding order (keeps bound nodes alive)
  int counter_ = 0;
};

// Index arithmetic is int where the node's bounds fit 32 bits, else long long.
bool fits_int32(const UOp& u);

}  // namespace anneal
