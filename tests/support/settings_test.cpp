// The settings registry: the table, parsing, malformed values, overrides, undeclared names, and values
// read from a real environment (in a child process, since a value is read once per process).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "anneal/support/error.h"
#include "anneal/support/settings.h"
#include "test_support.h"

using namespace anneal;
using settings::ScopedSetting;
using anneal::testing::error_of;

namespace {

// The child runs with none of the settings the test sets itself inherited from this environment.
std::string run_child(const std::string& env, const std::string& test) {
  const std::string clean = "env -u ANNEAL_BEAM -u ANNEAL_THREADS -u ANNEAL_TF32 -u ANNEAL_OPT -u ANNEAL_CC ";
  return anneal::testing::run_own_test(clean + env, test).output;
}

}  // namespace

TEST(Settings, TableDeclaresEveryHandleOnce) {
  std::set<std::string> names;
  for (const settings::Declaration& d : settings::declarations()) {
    EXPECT_EQ(d.name.substr(0, 7), "ANNEAL_") << d.name;
    EXPECT_FALSE(d.doc.empty()) << d.name;
    EXPECT_TRUE(names.insert(std::string(d.name)).second) << d.name << " declared twice";
  }
  EXPECT_EQ(names.size(), 16u);
  EXPECT_EQ(settings::beam.name(), "ANNEAL_BEAM");
  EXPECT_EQ(settings::tensor_cores.name(), "ANNEAL_TC");
  EXPECT_EQ(settings::debug.name(), "ANNEAL_DEBUG");
  EXPECT_EQ(settings::threads.declaration().kind, settings::Kind::Int);
  EXPECT_EQ(settings::threads.declaration().max, 1024);
  EXPECT_EQ(settings::declaration("ANNEAL_TF32").default_text, "0");
}

TEST(Settings, UndeclaredNamesAreErrors) {
  EXPECT_NE(error_of([] { settings::get_int("ANNEAL_NOPE"); }).find("unknown setting 'ANNEAL_NOPE' (declared: ANNEAL_DEVICE,"),
            std::string::npos);
  EXPECT_NE(error_of([] { ScopedSetting s("ANNEAL_NOPE", "1"); }).find("unknown setting 'ANNEAL_NOPE'"), std::string::npos);
  EXPECT_NE(error_of([] { settings::value_text("HOME"); }).find("unknown setting 'HOME'"), std::string::npos);
}

TEST(Settings, ReadingAsAnotherKindIsAnError) {
  EXPECT_EQ(error_of([] { settings::get_int("ANNEAL_OPT"); }), "setting ANNEAL_OPT is a bool, not an int");
  EXPECT_EQ(error_of([] { settings::get_bool("ANNEAL_CC"); }), "setting ANNEAL_CC is a string, not a bool");
}

TEST(Settings, OverridesParseEveryBoolSpelling) {
  for (const char* yes : {"1", "true", "TRUE", "yes", "On"}) {
    ScopedSetting s("ANNEAL_TF32", yes);
    EXPECT_TRUE(settings::tf32.get()) << yes;
    EXPECT_EQ(settings::value_text("ANNEAL_TF32"), "1") << yes;
  }
  for (const char* no : {"0", "false", "No", "off"}) {
    ScopedSetting s("ANNEAL_OPT", no);
    EXPECT_FALSE(settings::opt.get()) << no;
    EXPECT_FALSE(settings::get_bool("ANNEAL_OPT")) << no;
  }
}

TEST(Settings, OverridesParseInts) {
  ScopedSetting s("ANNEAL_BEAM", "17");
  EXPECT_EQ(settings::beam.get(), 17);
  EXPECT_EQ(settings::get_int("ANNEAL_BEAM"), 17);
  EXPECT_EQ(settings::value_text("ANNEAL_BEAM"), "17");
  EXPECT_EQ(settings::beam.source(), settings::Source::Override);
  ScopedSetting top("ANNEAL_DEBUG", "9");
  EXPECT_EQ(settings::debug.get(), 9);
}

TEST(Settings, AnEmptyOverrideIsTheDefault) {
  ScopedSetting s("ANNEAL_DEVICE", "");
  EXPECT_EQ(settings::device.get(), "CPU");
  ScopedSetting t("ANNEAL_SCHEDULE_CACHE", "");
  EXPECT_TRUE(settings::schedule_cache.get());
}

TEST(Settings, MalformedValuesNameTheVariableAndTheForm) {
  EXPECT_EQ(error_of([] { ScopedSetting s("ANNEAL_THREADS", "abc"); }),
            "ANNEAL_THREADS='abc': expected a whole number from 0 to 1024");
  EXPECT_EQ(error_of([] { ScopedSetting s("ANNEAL_THREADS", "4x"); }),
            "ANNEAL_THREADS='4x': expected a whole number from 0 to 1024");
  EXPECT_EQ(error_of([] { ScopedSetting s("ANNEAL_BEAM", "-1"); }),
            "ANNEAL_BEAM='-1': expected a whole number from 0 to 1000");
  EXPECT_EQ(error_of([] { ScopedSetting s("ANNEAL_DEBUG", "10"); }),
            "ANNEAL_DEBUG='10': expected a whole number from 0 to 9");
  EXPECT_EQ(error_of([] { ScopedSetting s("ANNEAL_TF32", "2"); }),
            "ANNEAL_TF32='2': expected 1 or 0 (or true/false, yes/no, on/off)");
}

TEST(Settings, OverridesRestoreThePreviousValueInLifoOrder) {
  const int64_t before = settings::beam.get();
  const settings::Source source_before = settings::beam.source();
  {
    ScopedSetting outer("ANNEAL_BEAM", "3");
    EXPECT_EQ(settings::beam.get(), 3);
    {
      ScopedSetting inner("ANNEAL_BEAM", "5");
      EXPECT_EQ(settings::beam.get(), 5);
    }
    EXPECT_EQ(settings::beam.get(), 3);
    EXPECT_EQ(settings::beam.source(), settings::Source::Override);
  }
  EXPECT_EQ(settings::beam.get(), before);
  EXPECT_EQ(settings::beam.source(), source_before);
  // A malformed override throws before changing anything.
  EXPECT_THROW(ScopedSetting("ANNEAL_BEAM", "many"), Error);
  EXPECT_EQ(settings::beam.get(), before);
}

// Readers on other threads see one of the values set, never a torn one (and ThreadSanitizer, which CI
// runs on the concurrency suites, finds no race in this pattern).
TEST(Settings, ReadsFromOtherThreadsSeeWholeValues) {
  ScopedSetting base("ANNEAL_DEBUG", "0");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      while (!stop.load()) {
        const int64_t v = settings::debug.get();
        const std::string text = settings::value_text("ANNEAL_DEBUG");
        if (v != 0 && v != 2 && v != 7) ++bad;
        if (text != "0" && text != "2" && text != "7") ++bad;
        ++reads;
      }
    });
  for (int i = 0; i < 2000; ++i) {
    ScopedSetting s("ANNEAL_DEBUG", i % 2 ? "2" : "7");
  }
  while (reads.load() < 100) std::this_thread::yield();
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// ---- values from a real environment ----

// Helper run in a child process by ValuesComeFromTheEnvironment (disabled in normal runs).
TEST(Settings, DISABLED_PrintFromEnvironment) {
  std::printf("beam=%lld %s\n", static_cast<long long>(settings::beam.get()),
              std::string(settings::source_name(settings::beam.source())).c_str());
  std::printf("tf32=%d %s\n", int(settings::tf32.get()), std::string(settings::source_name(settings::tf32.source())).c_str());
  std::printf("opt=%d %s\n", int(settings::opt.get()), std::string(settings::source_name(settings::opt.source())).c_str());
  std::printf("cc=[%s]\n", settings::cc.get().c_str());
  for (int i = 0; i < 2; ++i) {  // the error repeats: a malformed value is never cached
    try {
      std::printf("threads=%lld\n", static_cast<long long>(settings::threads.get()));
    } catch (const Error& e) {
      std::printf("threads error: %s\n", e.what());
    }
  }
  {
    ScopedSetting fixed("ANNEAL_THREADS", "2");  // an override does not need a readable environment
    std::printf("threads overridden=%lld\n", static_cast<long long>(settings::threads.get()));
  }
  try {
    settings::threads.get();
  } catch (const Error& e) {
    std::printf("threads after override: %s\n", e.what());
  }
}

TEST(Settings, ValuesComeFromTheEnvironment) {
  const std::string out = run_child("ANNEAL_BEAM=4 ANNEAL_TF32=on ANNEAL_OPT= ANNEAL_CC=my-cc ANNEAL_THREADS=abc",
                                    "Settings.DISABLED_PrintFromEnvironment");
  EXPECT_NE(out.find("beam=4 environment\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tf32=1 environment\n"), std::string::npos) << out;
  EXPECT_NE(out.find("opt=1 default\n"), std::string::npos) << out;  // empty counts as unset
  EXPECT_NE(out.find("cc=[my-cc]\n"), std::string::npos) << out;
  const std::string error = "threads error: ANNEAL_THREADS='abc': expected a whole number from 0 to 1024\n";
  EXPECT_NE(out.find(error + error), std::string::npos) << out;
  EXPECT_NE(out.find("threads overridden=2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("threads after override: ANNEAL_THREADS='abc'"), std::string::npos) << out;

  const std::string plain = run_child("", "Settings.DISABLED_PrintFromEnvironment");
  EXPECT_NE(plain.find("beam=0 default\n"), std::string::npos) << plain;
  EXPECT_NE(plain.find("tf32=0 default\n"), std::string::npos) << plain;
  EXPECT_NE(plain.find("threads=0\n"), std::string::npos) << plain;
}
