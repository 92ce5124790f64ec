// Named passes: what a pass run records (nodes, rewrites, each rule's fire count), the ANNEAL_DEBUG=2
// line format and nesting, the graphs of ANNEAL_DEBUG=3, and the totals printed at exit.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/pass_trace.h"
#include "anneal/support/settings.h"
#include "anneal/uop/print.h"
#include "../support/test_support.h"

using namespace anneal;
using settings::ScopedSetting;

namespace {

// x+0 -> x and x*1 -> x, named.
PatternMatcher identity_rules() {
  PatternMatcher pm;
  pm.add(UPat::var("x") + UPat::cnst(0), [](const Match& m) { return m["x"]; }, "add zero");
  pm.add(UPat::var("x") * UPat::cnst(1), [](const Match& m) { return m["x"]; }, "times one");
  return pm;
}

// ((x+0) + (y+0)) * 1: "add zero" fires twice and "times one" once. Post-order visits 10 distinct
// nodes: x, 0, x+0, y, y+0, their sum, the rebuilt x+y, 1, the MUL and the rebuilt MUL.
struct Example {
  UOp x = UOp::variable("x", 0, 9), y = UOp::variable("y", 0, 9);
  UOp graph = ((x + 0) + (y + 0)) * 1;
};

const PassTotals* find(const std::vector<PassTotals>& all, const std::string& name) {
  for (const PassTotals& t : all)
    if (t.name == name) return &t;
  return nullptr;
}

uint64_t count_of(const PassTotals& t, const std::string& what) {
  for (const auto& [w, n] : t.counts)
    if (w == what) return n;
  return 0;
}

// Collects the ANNEAL_DEBUG >= 2 lines.
struct CapturedLines {
  std::vector<std::string> lines;
  ScopedTraceSink sink{[this](std::string_view line) { lines.emplace_back(line); }};
};

}  // namespace

TEST(PassTrace, NamedPassRecordsItsNameAndEachRulesFireCount) {
  ScopedSetting debug("ANNEAL_DEBUG", "1");
  clear_passes_seen();
  Example e;
  const PatternMatcher pm = identity_rules();
  EXPECT_EQ(graph_rewrite(e.graph, pm, "fold_identities"), e.x + e.y);

  std::vector<PassTotals> seen = passes_seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, "pass");
  EXPECT_EQ(seen[0].name, "fold_identities");
  EXPECT_EQ(seen[0].runs, 1u);
  EXPECT_EQ(count_of(seen[0], "nodes"), 10u);
  EXPECT_EQ(count_of(seen[0], "rewrites"), 3u);
  using Fired = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(seen[0].rules, (Fired{{"add zero", 2}, {"times one", 1}}));

  // A second run adds up; bottom-up mode fires the same rules (the MUL first) under its own name.
  graph_rewrite(e.graph, pm, "fold_identities");
  EXPECT_EQ(graph_rewrite(e.graph, pm, "fold_identities_bottom_up", nullptr, true), e.x + e.y);
  seen = passes_seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].runs, 2u);
  EXPECT_EQ(count_of(seen[0], "nodes"), 20u);
  EXPECT_EQ(seen[0].rules, (Fired{{"add zero", 4}, {"times one", 2}}));
  EXPECT_EQ(seen[1].name, "fold_identities_bottom_up");
  EXPECT_EQ(count_of(seen[1], "rewrites"), 3u);
  EXPECT_EQ(seen[1].rules, (Fired{{"add zero", 2}, {"times one", 1}}));
}

TEST(PassTrace, UnnamedRulesAndPassesGetPlaceholders) {
  ScopedSetting debug("ANNEAL_DEBUG", "1");
  clear_passes_seen();
  PatternMatcher pm;
  pm.add(UPat::var("x") * UPat::cnst(1), [](const Match& m) { return m["x"]; }, "times one");
  pm.add(UPat::var("x") + UPat::cnst(0), [](const Match& m) { return m["x"]; });  // no name: rule#1
  Example e;
  graph_rewrite(e.graph, pm);
  const std::vector<PassTotals> seen = passes_seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].name, "(unnamed)");
  using Fired = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(seen[0].rules, (Fired{{"rule#1", 2}, {"times one", 1}}));
}

TEST(PassTrace, FunctionPassesCountRewritesWithoutRules) {
  ScopedSetting debug("ANNEAL_DEBUG", "1");
  clear_passes_seen();
  Example e;
  // Every PARAM x becomes y: one rewrite (x is one interned node), the rest is rebuilt.
  auto x_to_y = [&](const UOp& u) { return u == e.x ? e.y : UOp(); };
  EXPECT_EQ(graph_rewrite(e.graph, FunctionRef<UOp(const UOp&)>(x_to_y), "x_to_y"), ((e.y + 0) + (e.y + 0)) * 1);
  const std::vector<PassTotals> seen = passes_seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].name, "x_to_y");
  EXPECT_EQ(count_of(seen[0], "rewrites"), 1u);
  EXPECT_GT(count_of(seen[0], "nodes"), 7u);
  EXPECT_TRUE(seen[0].rules.empty());
}

TEST(PassTrace, NothingIsRecordedOrPrintedAtLevelZero) {
  ScopedSetting debug("ANNEAL_DEBUG", "0");
  clear_passes_seen();
  CapturedLines out;
  {
    PassScope stage("quiet_stage");
    EXPECT_FALSE(stage.recording());
    Example e;
    graph_rewrite(e.graph, identity_rules(), "quiet_pass");
  }
  EXPECT_TRUE(passes_seen().empty());
  EXPECT_TRUE(out.lines.empty());
}

TEST(PassTrace, LevelTwoPrintsOneLinePerRunStagesBeforeTheirPasses) {
  ScopedSetting debug("ANNEAL_DEBUG", "2");
  clear_passes_seen();
  CapturedLines out;
  Example e;
  {
    PassScope stage("outer_stage");
    stage.count("kernels", 2);
    graph_rewrite(e.graph, identity_rules(), "fold_identities");
    {
      PassScope inner("inner_stage");
      inner.count("kernels", 1);
    }
    EXPECT_TRUE(out.lines.empty());  // printed when the outermost scope ends
  }
  ASSERT_EQ(out.lines.size(), 3u);
  EXPECT_TRUE(std::regex_match(out.lines[0], std::regex(R"(stage outer_stage +[0-9]+\.[0-9]{3} ms  2 kernels)")))
      << out.lines[0];
  EXPECT_TRUE(std::regex_match(out.lines[1], std::regex(R"(  pass fold_identities +[0-9]+\.[0-9]{3} ms  10 nodes  3 rewrites  \[add zero x2; times one x1\])")))
      << out.lines[1];
  EXPECT_TRUE(std::regex_match(out.lines[2], std::regex(R"(  stage inner_stage +[0-9]+\.[0-9]{3} ms  1 kernel)")))
      << out.lines[2];
  // The time column lines up whatever the nesting.
  EXPECT_EQ(out.lines[0].find(" ms"), out.lines[1].find(" ms"));
  EXPECT_EQ(out.lines[1].find(" ms"), out.lines[2].find(" ms"));
  const std::vector<PassTotals> seen = passes_seen();
  ASSERT_NE(find(seen, "outer_stage"), nullptr);
  EXPECT_EQ(find(seen, "outer_stage")->kind, "stage");
  EXPECT_EQ(count_of(*find(seen, "inner_stage"), "kernels"), 1u);
}

TEST(PassTrace, LevelThreePrintsTheGraphAfterEachRewritePass) {
  ScopedSetting debug("ANNEAL_DEBUG", "3");
  CapturedLines out;
  Example e;
  graph_rewrite(e.graph, identity_rules(), "fold_identities");
  std::vector<std::string> want;
  const std::string graph = print_graph(e.x + e.y);
  for (size_t at = 0; at < graph.size();) {
    const size_t nl = graph.find('\n', at);
    want.push_back("  " + graph.substr(at, nl - at));
    at = nl + 1;
  }
  ASSERT_EQ(out.lines.size(), 1 + want.size());
  EXPECT_EQ(out.lines[0].rfind("pass fold_identities", 0), 0u) << out.lines[0];
  EXPECT_EQ(std::vector<std::string>(out.lines.begin() + 1, out.lines.end()), want);
}

TEST(PassTrace, RunsOnSeveralThreadsAddUp) {
  REQUIRE_THREADS_AND_PROCESSES();
  ScopedSetting debug("ANNEAL_DEBUG", "1");
  clear_passes_seen();
  const PatternMatcher pm = identity_rules();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&pm] {
      Example e;
      for (int i = 0; i < 25; ++i) graph_rewrite(e.graph, pm, "fold_identities");
    });
  for (std::thread& t : threads) t.join();
  const std::vector<PassTotals> seen = passes_seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].runs, 100u);
  EXPECT_EQ(count_of(seen[0], "rewrites"), 300u);
  using Fired = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(seen[0].rules, (Fired{{"add zero", 200}, {"times one", 100}}));
}

// Helper run in a child process with ANNEAL_DEBUG=1 by TotalsArePrintedAtExit (disabled in normal runs).
TEST(PassTrace, DISABLED_RunAPassAndExit) {
  Example e;
  for (int i = 0; i < 3; ++i) graph_rewrite(e.graph, identity_rules(), "fold_identities");
}

TEST(PassTrace, TotalsArePrintedAtExit) {
  REQUIRE_THREADS_AND_PROCESSES();
  const anneal::testing::ChildRun child = anneal::testing::run_own_test("ANNEAL_DEBUG=1", "PassTrace.DISABLED_RunAPassAndExit");
  const std::string& out = child.output;
  ASSERT_EQ(child.status, 0) << out;
  const std::regex summary(
      "ANNEAL_DEBUG: 1 passes and stages in this process \\(totals\\)\n"
      "pass fold_identities +3 runs +[0-9]+\\.[0-9]{3} ms  30 nodes  9 rewrites  \\[add zero x6; times one x3\\]\n$");
  EXPECT_TRUE(std::regex_search(out, summary)) << out;
}
