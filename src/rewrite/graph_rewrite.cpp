#include "anneal/rewrite/graph_rewrite.h"

#include <unordered_set>
#include <vector>

#include "anneal/rewrite/pass_trace.h"
#include "anneal/support/error.h"
#include "anneal/uop/graph.h"

namespace anneal {
namespace {

// A bottom-up rule set that keeps rewriting one node this many times is assumed to cycle.
constexpr int kMaxRewritesPerNode = 10000;

constexpr std::string_view kUnnamedPass = "(unnamed)";

class RewriteDriver {
 public:
  RewriteDriver(FunctionRef<UOp(const UOp&)> fn, bool bottom_up) : fn_(fn), bottom_up_(bottom_up) {}

  UOp run(const UOp& root) {
    stack_.push_back({root, Stage::Enter, root});
    while (!stack_.empty()) {
      Frame f = std::move(stack_.back());
      stack_.pop_back();
      switch (f.stage) {
        case Stage::Enter: enter(f.node); break;
        case Stage::Rebuild: rebuild(f.node); break;
        case Stage::Link:
          done_.emplace(f.node.get(), Done{f.node, result_of(f.result)});
          active_.erase(f.node.get());
          break;
      }
    }
    return result_of(root);
  }

  // Distinct nodes processed (the graph's nodes and the rewritten ones), and results the function gave.
  uint64_t nodes_visited() const { return visited_; }
  uint64_t rewrites() const { return rewrites_; }

 private:
  enum class Stage : uint8_t { Enter, Rebuild, Link };
  struct Frame {
    UOp node;
    Stage stage;
    UOp result;
  };

  void enter(const UOp& n) {
    if (done_.count(n.get())) return;
    if (!active_.insert(n.get()).second)
      throw Error("graph_rewrite: a rule rewrote " + std::string(op_name(n.op())) +
                  " into a graph that contains it (rewrite cycle)");
    ++visited_;
    if (bottom_up_) {
      UOp cur = n;
      for (int i = 0;; ++i) {
        UOp next = fn_(cur);
        if (!next) break;
        ++rewrites_;
        check(i < kMaxRewritesPerNode, [&] { return "graph_rewrite: bottom-up rules do not converge on " +
                                           std::string(op_name(n.op()));
        });
        cur = std::move(next);
      }
      if (cur != n) {
        link_to(n, cur);
        return;
      }
    }
    stack_.push_back({n, Stage::Rebuild, UOp()});
    auto srcs = n.srcs();
    for (size_t i = srcs.size(); i-- > 0;)
      if (!done_.count(srcs[i].get())) stack_.push_back({srcs[i], Stage::Enter, UOp()});
  }

  void rebuild(const UOp& n) {
    std::vector<UOp> new_srcs;
    bool changed = false;
    new_srcs.reserve(n.num_srcs());
    for (const UOp& s : n.srcs()) {
      const UOp& r = result_of(s);
      changed |= r != s;
      new_srcs.push_back(r);
    }
    if (changed) {
      link_to(n, n.replace_srcs(new_srcs));
      return;
    }
    UOp r = bottom_up_ ? UOp() : fn_(n);
    if (!r) {
      done_.emplace(n.get(), Done{n, n});
      active_.erase(n.get());
      return;
    }
    ++rewrites_;
    link_to(n, r);
  }

  // n's result is whatever `r` becomes once processed.
  void link_to(const UOp& n, const UOp& r) {
    stack_.push_back({n, Stage::Link, r});
    if (!done_.count(r.get())) stack_.push_back({r, Stage::Enter, UOp()});
  }

  FunctionRef<UOp(const UOp&)> fn_;
  bool bottom_up_;
  uint64_t visited_ = 0, rewrites_ = 0;
  std::vector<Frame> stack_;
  // Keys are node addresses; each entry also holds its node so the address cannot be reused by a
  // new node while the map still describes the old one.
  struct Done {
    UOp node, result;
  };
  const UOp& result_of(const UOp& n) const { return done_.at(n.get()).result; }
  std::unordered_map<const void*, Done> done_;
  std::unordered_set<const void*> active_;
};

// One traced pass: the driver's counters and, for a matcher, how often each of its rules fired.
UOp traced_rewrite(const UOp& root, FunctionRef<UOp(const UOp&)> fn, bool bottom_up, std::string_view name,
                   const PatternMatcher* pm, const std::vector<uint64_t>* fired) {
  PassScope pass(name.empty() ? kUnnamedPass : name, "pass");
  pass.input(root);
  RewriteDriver driver(fn, bottom_up);
  UOp out = driver.run(root);
  pass.count("nodes", driver.nodes_visited());
  pass.count("rewrites", driver.rewrites());
  std::vector<std::string> unnamed;  // "rule#3" labels: reserved, so the views stay valid until end()
  if (pm) {
    unnamed.reserve(pm->size());
    for (size_t i = 0; i < pm->size(); ++i) {
      if (!(*fired)[i]) continue;
      const std::string& rule_name = pm->rule(i).name;
      if (rule_name.empty()) unnamed.push_back("rule#" + std::to_string(i));
      pass.rule_fired(rule_name.empty() ? std::string_view(unnamed.back()) : std::string_view(rule_name), (*fired)[i]);
    }
  }
  pass.result(out);
  pass.end();
  return out;
}

}  // namespace

UOp graph_rewrite(const UOp& root, FunctionRef<UOp(const UOp&)> fn, bool bottom_up, std::string_view name) {
  if (debug_level() < 1 && !recording_passes()) return RewriteDriver(fn, bottom_up).run(root);
  return traced_rewrite(root, fn, bottom_up, name, nullptr, nullptr);
}

UOp graph_rewrite(const UOp& root, FunctionRef<UOp(const UOp&)> fn, std::string_view name, bool bottom_up) {
  return graph_rewrite(root, fn, bottom_up, name);
}

UOp graph_rewrite(const UOp& root, const PatternMatcher& pm, void* ctx, bool bottom_up, std::string_view name) {
  if (debug_level() < 1 && !recording_passes()) {
    auto fn = [&pm, ctx](const UOp& u) { return pm.rewrite(u, ctx); };
    return RewriteDriver(FunctionRef<UOp(const UOp&)>(fn), bottom_up).run(root);
  }
  std::vector<uint64_t> fired(pm.size());
  auto counted = [&pm, ctx, &fired](const UOp& u) {
    size_t rule = 0;
    UOp r = pm.rewrite(u, ctx, &rule);
    if (r) ++fired[rule];
    return r;
  };
  return traced_rewrite(root, FunctionRef<UOp(const UOp&)>(counted), bottom_up, name, &pm, &fired);
}

UOp graph_rewrite(const UOp& root, const PatternMatcher& pm, std::string_view name, void* ctx, bool bottom_up) {
  return graph_rewrite(root, pm, ctx, bottom_up, name);
}

UOp substitute(const UOp& root, const std::unordered_map<UOp, UOp>& replacements) {
  if (replacements.empty()) return root;
  std::unordered_map<const void*, UOp> done;
  auto is_replaced = [&](const UOp& u) { return replacements.count(u) > 0; };
  for (const UOp& u : toposort(root, is_replaced)) {
    if (auto it = replacements.find(u); it != replacements.end()) {
      done.emplace(u.get(), it->second);
      continue;
    }
    std::vector<UOp> srcs;
    bool changed = false;
    for (const UOp& s : u.srcs()) {
      srcs.push_back(done.at(s.get()));
      changed |= srcs.back() != s;
    }
    done.emplace(u.get(), changed ? u.replace_srcs(srcs) : u);
  }
  return done.at(root.get());
}

}  // namespace anneal
