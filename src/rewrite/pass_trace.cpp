#include "anneal/rewrite/pass_trace.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "anneal/support/error.h"
#include "anneal/support/settings.h"
#include "anneal/uop/print.h"

namespace anneal {
namespace {

// Nesting of the scopes open on this thread (the indentation of their lines).
thread_local int open_depth = 0;
// The ANNEAL_DEBUG >= 2 lines of this thread's open outermost scope, in the order the scopes began:
// each scope takes a slot when it begins and fills it when it ends, and the outermost one prints them
// all, so that a stage's line comes before the lines of the passes inside it.
thread_local std::vector<std::string> pending_lines;
// This thread's live PassRecorder, if any.
thread_local PassRecorder* active_recorder = nullptr;

struct Entry {
  PassTotals totals;                      // rules left empty: they live in `rules`
  std::map<std::string, uint64_t> rules;  // merged across runs
};

struct Collected {
  std::mutex mu;
  std::vector<Entry> entries;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (kind, name) -> entries position
  std::function<void(std::string_view)> sink;                   // empty: stderr
  bool exit_summary_registered = false;
};

// Immortal: the exit summary reads it after static destructors have run.
Collected& collected() {
  static Collected& c = *new Collected();
  return c;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Caller holds the mutex.
void emit(std::string_view line) {
  Collected& c = collected();
  if (c.sink) {
    c.sink(line);
    return;
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fputc('\n', stderr);
}

std::string pad_to(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  else s += ' ';
  return s;
}

std::string milliseconds(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%9.3f ms", ms);
  return buf;
}

// "341 nodes", "1 kernel": a plural label loses its s for one.
std::string counted(uint64_t n, std::string_view label) {
  if (n == 1 && label.size() > 1 && label.back() == 's') label.remove_suffix(1);
  return std::to_string(n) + " " + std::string(label);
}

// "  341 nodes  27 rewrites  1 kernel"
template <class Counts>
std::string counts_text(const Counts& counts) {
  std::string s;
  for (const auto& [what, n] : counts) s += "  " + counted(n, what);
  return s;
}

// "  [fold_const x12; add_zero x9]", the most fired first; at most `limit` rules, then "+N more".
// Semicolons, because rule names may contain commas ("x+0, x^0, x|0 -> x").
std::string rules_text(std::vector<std::pair<std::string_view, uint64_t>> rules, size_t limit) {
  if (rules.empty()) return "";
  std::sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::string s = "  [";
  for (size_t i = 0; i < rules.size() && i < limit; ++i)
    s += (i ? "; " : "") + std::string(rules[i].first) + " x" + std::to_string(rules[i].second);
  if (rules.size() > limit) s += "; +" + std::to_string(rules.size() - limit) + " more";
  return s + "]";
}

constexpr size_t kHeadWidth = 36;  // indentation + kind + name, padded so the times line up

void print_summary() {
  if (debug_level() < 1) return;  // an override that ended before exit
  std::vector<PassTotals> all = passes_seen();
  if (all.empty()) return;
  // The costliest first, as in the ANNEAL_PROFILE table.
  std::stable_sort(all.begin(), all.end(), [](const PassTotals& a, const PassTotals& b) { return a.ms > b.ms; });
  std::lock_guard<std::mutex> lock(collected().mu);
  emit("ANNEAL_DEBUG: " + std::to_string(all.size()) + " passes and stages in this process (totals)");
  for (const PassTotals& t : all) {
    std::vector<std::pair<std::string_view, uint64_t>> rules(t.rules.begin(), t.rules.end());
    char runs[32];
    std::snprintf(runs, sizeof runs, "%8llu %-4s", static_cast<unsigned long long>(t.runs), t.runs == 1 ? "run" : "runs");
    emit(pad_to(t.kind + " " + t.name, kHeadWidth) + runs + " " + milliseconds(t.ms) + counts_text(t.counts) +
         rules_text(std::move(rules), 8));
  }
}

}  // namespace

int debug_level() { return int(settings::debug.get()); }
bool tracing() { return debug_level() >= 1 || settings::profile.get(); }
bool recording_passes() { return active_recorder != nullptr; }

PassRecorder::PassRecorder() {
  check(active_recorder == nullptr, "PassRecorder: one is already recording on this thread");
  active_recorder = this;
}
PassRecorder::~PassRecorder() { active_recorder = nullptr; }

PassScope::PassScope(std::string_view name, std::string_view kind) {
  if (!active_recorder && !tracing()) return;
  recording_ = true;
  name_ = name;
  kind_ = kind;
  depth_ = open_depth++;
  if (active_recorder) {
    record_slot_ = active_recorder->records_.size();
    active_recorder->records_.push_back(PassRecord{std::string(kind), std::string(name), depth_, 0, {}, {}, {}, {}});
  }
  if (debug_level() >= 2) {
    line_slot_ = pending_lines.size();
    pending_lines.emplace_back();
  }
  start_ns_ = now_ns();
}

PassScope::~PassScope() {
  try {
    end();
  } catch (...) {
    // A trace sink that throws must not take the program down from a destructor.
  }
}

void PassScope::count(std::string_view what, uint64_t n) {
  if (!recording_) return;
  for (auto& [w, total] : counts_)
    if (w == what) {
      total += n;
      return;
    }
  counts_.emplace_back(what, n);
}

void PassScope::rule_fired(std::string_view rule, uint64_t times) {
  if (recording_) rules_.emplace_back(rule, times);
}

void PassScope::input(const UOp& graph) {
  if (recording_ && active_recorder) input_ = graph;
}

void PassScope::result(const UOp& graph) {
  if (recording_ && (debug_level() >= 3 || active_recorder)) result_ = graph;
}

void PassScope::end() {
  if (!recording_ || ended_) return;
  ended_ = true;
  open_depth = depth_;
  const double ms = double(now_ns() - start_ns_) / 1e6;
  if (record_slot_ != kNoSlot && active_recorder && record_slot_ < active_recorder->records_.size()) {
    PassRecord& r = active_recorder->records_[record_slot_];
    r.ms = ms;
    for (const auto& [what, n] : counts_) r.counts.emplace_back(std::string(what), n);
    for (const auto& [rule, n] : rules_) r.rules.emplace_back(std::string(rule), n);
    r.input = input_;
    r.result = result_;
  }
  if (!tracing()) return;  // recorded only: no totals, no lines
  // Built outside the lock: printing a large graph must not stall other threads' passes.
  const bool print = line_slot_ != kNoSlot && line_slot_ < pending_lines.size();
  if (print) {
    std::string& text = pending_lines[line_slot_];
    text = pad_to(std::string(size_t(2 * depth_), ' ') + std::string(kind_) + " " + std::string(name_), kHeadWidth) +
           milliseconds(ms) + counts_text(counts_) + rules_text(rules_, rules_.size());
    if (result_ && debug_level() >= 3) {
      const std::string graph = print_graph(result_), indent(size_t(2 * depth_ + 2), ' ');
      for (size_t at = 0; at < graph.size();) {
        const size_t nl = std::min(graph.find('\n', at), graph.size());
        text += "\n" + indent + graph.substr(at, nl - at);
        at = nl + 1;
      }
    }
  }
  std::vector<std::string> finished;  // this thread's lines, once its outermost scope ends
  if (depth_ == 0) finished.swap(pending_lines);

  Collected& c = collected();
  std::lock_guard<std::mutex> lock(c.mu);
  auto [it, added] = c.index.try_emplace({std::string(kind_), std::string(name_)}, c.entries.size());
  if (added) c.entries.push_back(Entry{PassTotals{std::string(kind_), std::string(name_), 0, 0, {}, {}}, {}});
  Entry& e = c.entries[it->second];
  ++e.totals.runs;
  e.totals.ms += ms;
  for (const auto& count : counts_) {
    auto slot = std::find_if(e.totals.counts.begin(), e.totals.counts.end(),
                             [&](const auto& p) { return p.first == count.first; });
    if (slot == e.totals.counts.end()) e.totals.counts.emplace_back(std::string(count.first), count.second);
    else slot->second += count.second;
  }
  for (const auto& [rule, n] : rules_) e.rules[std::string(rule)] += n;
  if (!c.exit_summary_registered) {
    c.exit_summary_registered = true;
    std::atexit(print_summary);
  }
  for (const std::string& text : finished)
    for (size_t at = 0; at < text.size();) {
      const size_t nl = std::min(text.find('\n', at), text.size());
      emit(std::string_view(text).substr(at, nl - at));
      at = nl + 1;
    }
}

std::vector<PassTotals> passes_seen() {
  Collected& c = collected();
  std::lock_guard<std::mutex> lock(c.mu);
  std::vector<PassTotals> out;
  for (const Entry& e : c.entries) {
    PassTotals t = e.totals;
    t.rules.assign(e.rules.begin(), e.rules.end());
    std::stable_sort(t.rules.begin(), t.rules.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    out.push_back(std::move(t));
  }
  return out;
}

void clear_passes_seen() {
  Collected& c = collected();
  std::lock_guard<std::mutex> lock(c.mu);
  c.entries.clear();
  c.index.clear();
}

ScopedTraceSink::ScopedTraceSink(std::function<void(std::string_view line)> sink) {
  std::lock_guard<std::mutex> lock(collected().mu);
  previous_ = std::exchange(collected().sink, std::move(sink));
}

ScopedTraceSink::~ScopedTraceSink() {
  std::lock_guard<std::mutex> lock(collected().mu);
  collected().sink = std::move(previous_);
}

}  // namespace anneal
