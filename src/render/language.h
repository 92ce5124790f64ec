// How a C-like language spells what the printers write (internal to src/render). The linearizer
// (codegen/linearize.h) decides what to write, the printers (c_style.h: values, loops, stores;
// gpu_emitter.h: threads, blocks, shared memory) walk it; one table per language (C, CUDA, WGSL) says how. A language is data and small
// spelling functions, no logic about kernels.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "anneal/uop/dtype.h"
#include "anneal/uop/ops.h"

namespace anneal {

struct LanguageTable {
  using Text = std::string;
  const char* name;  // "C", "CUDA", "WGSL" (for error messages)

  // Types. `type`: what values of a dtype are in registers; `memory_type`: what a buffer of it holds
  // (float16 / bfloat16 live as their bits). `index(wide)`: index arithmetic in 32 or 64 bits. Each
  // raises anneal::Error for what the language cannot hold.
  std::function<Text(DType)> type, memory_type;
  std::function<Text(bool wide)> index;
  bool int64 = true;  // has 64-bit integers (WGSL does not)
  // Element 0 of every kernel buffer can be read (CPU allocations are never empty): a gated load reads
  // there when its gate is false and selects, instead of branching (a gated tail in a hot loop).
  bool gated_loads_read_element_0 = false;

  // Statements (without indentation; a trailing brace opens a scope that "}" closes).
  std::function<Text(const Text& type, const Text& name, const Text& value)> let;       // a computed value
  std::function<Text(const Text& type, const Text& name, const Text& value)> constant;  // a loop variable given a value
  std::function<Text(const Text& type, const Text& name, const Text& value)> var;       // an accumulator
  std::function<Text(const Text& type, const Text& name, const Text& init, const Text& cond, const Text& step)> loop;
  std::function<Text(const Text& cond, const Text& statement)> when;  // a statement under a condition
  // Before a loop: asks the compiler to unroll it; "" where there is no such hint. A text of several
  // lines (preprocessor directives) is written at column 0.
  std::function<Text(int64_t factor)> unroll;

  // Expressions.
  std::function<Text(const Text& type, const Text& x)> cast;
  std::function<Text(const Text& cond, const Text& yes, const Text& no)> select;
  std::function<Text(const Text& x)> shift_amount;  // the right operand of << and >>
  std::function<Text(DType)> infinity, nan;         // +inf and a NaN of a float type
  std::function<Text(Ops, DType)> math;             // EXP2 LOG2 SIN SQRT TRUNC: the function's name
  std::function<Text(DType)> pow, fma;
  std::function<Text(bool)> bool_literal;
  std::function<Text(int64_t, bool wide)> index_literal;
  std::function<Text(int64_t, const Text& type)> int_literal;  // an integer constant of a type
  std::function<Text(const Text& hex, DType)> float_literal;  // `hex`: printf's %a of the value
  std::function<Text(const Text& type, int bits)> min_int;  // the smallest value of a signed type

  // Memory: 4-wide float32 accesses (targets with vector_width 4): a load of buffer[index..index+3]
  // into `name` (whose lanes are name.x, .y, .z, .w) and a store of four values there.
  std::function<Text(const Text& name, const Text& buffer, const Text& index)> vector_load;
  std::function<Text(const Text& buffer, const Text& index, const Text& values)> vector_store;
  // Buffers of dtypes narrower than the language's memory words (WGSL addresses 32-bit words only):
  // `packed(d)` says which; several elements share a word and are read and written through
  // packed_load / packed_store (a written buffer is an array of atomic words: neighbouring threads
  // share them). Values of such integer dtypes live in wider registers, narrowed by `wrap` after
  // arithmetic. Unset: every dtype is addressed directly and computes in its own type.
  std::function<bool(DType)> packed;
  std::function<Text(const Text& buffer, const Text& index, DType, bool written)> packed_load;
  std::function<Text(const Text& buffer, const Text& index, const Text& value, DType)> packed_store;
  std::function<Text(const Text& value, DType)> wrap;
  // The name of the buffer in PARAM slot `slot` of kernel `kernel` (WGSL's are module-wide).
  std::function<Text(const Text& kernel, int64_t slot)> buffer;

  // GPU languages: blocks of threads.
  struct Buffer {
    Text memory_type;
    bool written;
    DType dtype;
  };
  struct Gpu {
    // The kernel's opening, up to its body's brace: declarations it needs outside the function, the
    // signature with `threads` threads per block, its buffers and its variables (64-bit integers,
    // after the buffers; a language without them refuses symbolic kernels by name).
    std::function<Text(const Text& kernel, int64_t threads, const std::vector<Buffer>& buffers, const std::vector<Text>& vars)>
        signature;
    Text block, thread;          // the block's index in the grid and the thread's in its block (unsigned)
    Text barrier;                // every thread of the block waits here
    int64_t max_grid_x = 0;      // blocks along x; beyond it the grid is 2-D (see block)
    // A block-shared array; module-scope ones are hoisted before the kernel by the emitter.
    std::function<Text(const Text& type, const Text& name, int64_t size)> shared;
    bool shared_at_module_scope = false;
  };
  Gpu gpu;
};

const LanguageTable& c_language();
const LanguageTable& cuda_language();
const LanguageTable& wgsl_language();

}  // namespace anneal
