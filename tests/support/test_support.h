// Helpers shared by the test suites (header only).
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "anneal/support/error.h"

// Tests that start threads or child processes skip in the WASM build (no pthreads, no popen there).
#ifdef __EMSCRIPTEN__
#define REQUIRE_THREADS_AND_PROCESSES() GTEST_SKIP() << "the WASM build has no threads or child processes"
#else
#define REQUIRE_THREADS_AND_PROCESSES() static_assert(true)
#endif

namespace anneal::testing {

// The message of the anneal::Error that `f` throws, or "<no error>".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// What a child process printed (stdout and stderr) and its exit status.
struct ChildRun {
  std::string output;
  int status = -1;
};

// Runs this test binary again on one (usually disabled) test, with `env` prepended to the command:
// for what a process reads once (its environment, what it prints at exit).
inline ChildRun run_own_test(const std::string& env, const std::string& test) {
  ChildRun run;
  char self[4096] = {};
  if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) {
    run.output = "readlink failed";
    return run;
  }
  const std::string cmd =
      env + " '" + self + "' --gtest_also_run_disabled_tests --gtest_filter=" + test + " 2>&1";
  FILE* child = popen(cmd.c_str(), "r");
  if (!child) {
    run.output = "popen failed";
    return run;
  }
  char buf[512];
  while (std::fgets(buf, sizeof buf, child)) run.output += buf;
  run.status = pclose(child);
  return run;
}

}  // namespace anneal::testing
