// Named passes and stages: timed, counted, traced and listed (ANNEAL_DEBUG).
//
// Every graph_rewrite is a pass with a name ("symbolic"); pipeline steps that are not rewrites
// (scheduling, lowering, optimizing, rendering, compiling) are stages, timed by a PassScope. While
// ANNEAL_DEBUG >= 1 each finished pass or stage is added to this process's totals (passes_seen());
//   ANNEAL_DEBUG=1  the totals are printed to stderr at exit, one line per pass or stage;
//   ANNEAL_DEBUG=2  also one line per run, indented by nesting; a thread's lines are printed when its
//                   outermost scope ends, each stage before the passes and stages inside it:
//     pass symbolic                    0.120 ms  341 nodes  27 rewrites  [fold_const x12; add_zero x9]
//   ANNEAL_DEBUG=3  also the graph each rewrite pass returns.
// With ANNEAL_DEBUG=0 a PassScope costs one atomic load and builds nothing.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

// ANNEAL_DEBUG (two atomic loads once the setting is read).
int debug_level();
// Whether passes and stages are timed and totalled: ANNEAL_DEBUG >= 1, or ANNEAL_PROFILE (whose exit
// report shows where the time of a cold start went, stage by stage).
bool tracing();

// Times one run of a pass or stage from construction to end() (or destruction). `name`, `kind` and
// the labels given to count() and rule_fired() must outlive the scope (literals, or a matcher's
// rule names). Scopes on one thread nest; worker threads start at depth 0.
class PassScope {
 public:
  explicit PassScope(std::string_view name, std::string_view kind = "stage");
  ~PassScope();
  PassScope(const PassScope&) = delete;
  PassScope& operator=(const PassScope&) = delete;

  // Whether this run is being recorded (ANNEAL_DEBUG >= 1 when it began).
  bool recording() const { return recording_; }
  // Adds `n` to the counter `what` of this run, shown as "341 nodes".
  void count(std::string_view what, uint64_t n);
  // `rule` fired `times` times in this run.
  void rule_fired(std::string_view rule, uint64_t times);
  // The graph this run started from (kept only by a PassRecorder).
  void input(const UOp& graph);
  // The graph this run produced, printed under its line at ANNEAL_DEBUG >= 3 (and kept by a PassRecorder).
  void result(const UOp& graph);
  // Finishes the run now (once; the destructor does nothing afterwards).
  void end();

 private:
  bool recording_ = false;
  bool ended_ = false;
  static constexpr size_t kNoSlot = ~size_t(0);
  int depth_ = 0;
  size_t line_slot_ = kNoSlot;    // this run's line among the thread's pending lines (ANNEAL_DEBUG >= 2)
  size_t record_slot_ = kNoSlot;  // this run's record in the thread's PassRecorder
  std::string_view name_, kind_;
  int64_t start_ns_ = 0;
  std::vector<std::pair<std::string_view, uint64_t>> counts_, rules_;
  UOp input_, result_;
};

// What the passes and stages of one name did in this process (while ANNEAL_DEBUG >= 1).
struct PassTotals {
  std::string kind, name;
  uint64_t runs = 0;
  double ms = 0;
  std::vector<std::pair<std::string, uint64_t>> counts;  // by label, in first-seen order
  std::vector<std::pair<std::string, uint64_t>> rules;   // most fired first, then by name
};
// In the order first seen.
std::vector<PassTotals> passes_seen();
void clear_passes_seen();

// One run of a pass or stage as a PassRecorder keeps it.
struct PassRecord {
  std::string kind, name;
  int depth = 0;  // nesting: a pass inside a stage is one deeper
  double ms = 0;
  std::vector<std::pair<std::string, uint64_t>> counts, rules;  // rules in the order they fired first
  UOp input, result;  // where the pass gave them (rewrite passes give both)
};

// Keeps every pass and stage run on this thread while it lives, in the order they began (a stage
// before the passes inside it), with their graphs, whatever ANNEAL_DEBUG says: the visualizer's pass
// timeline. One at a time per thread; runs on other threads are not kept.
class PassRecorder {
 public:
  PassRecorder();
  ~PassRecorder();
  PassRecorder(const PassRecorder&) = delete;
  PassRecorder& operator=(const PassRecorder&) = delete;
  const std::vector<PassRecord>& records() const { return records_; }

 private:
  friend class PassScope;
  std::vector<PassRecord> records_;
};
// Whether a PassRecorder is live on this thread (rewrites then count their rules, as at ANNEAL_DEBUG >= 1).
bool recording_passes();

// The ANNEAL_DEBUG >= 2 lines go to `sink` (one call per line, without the newline) instead of stderr
// while this object lives. Process-wide: lines from every thread.
class ScopedTraceSink {
 public:
  explicit ScopedTraceSink(std::function<void(std::string_view line)> sink);
  ~ScopedTraceSink();
  ScopedTraceSink(const ScopedTraceSink&) = delete;
  ScopedTraceSink& operator=(const ScopedTraceSink&) = delete;

 private:
  std::function<void(std::string_view)> previous_;
};

}  // namespace anneal
