// The `anneal` command-line program. Each verb lives in its own <verb>_command.{h,cpp} with a
// register_<verb>(CLI::App&); adding one is an #include and a register call here.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <exception>

#include "anneal/runtime/device.h"
#include "anneal/support/error.h"
#include "cli/bench_command.h"
#include "cli/doctor_command.h"
#include "cli/explain_command.h"
#include "cli/gpt2_command.h"
#include "cli/program_commands.h"
#include "cli/sample_command.h"
#include "cli/settings_command.h"
#include "cli/simplify_command.h"
#include "cli/train_command.h"
#include "cli/viz_command.h"

// ANNEAL_VERSION is project(VERSION) from CMakeLists.txt, passed in by the build.
#ifndef ANNEAL_VERSION
#error "build anneal with CMake, which defines ANNEAL_VERSION"
#endif

int main(int argc, char** argv) {
  CLI::App app{"anneal: a tensor compiler", "anneal"};
  app.set_version_flag("--version", "anneal " ANNEAL_VERSION);
  app.require_subcommand(1);
  // Global, so every verb takes it (before or after the verb): where tensors live and kernels run.
  app.fallthrough();
  app.add_option("--device", "Device to run on: CPU, CUDA, CUDA:N or auto (default: $ANNEAL_DEVICE, else CPU)")
      ->each([](const std::string& d) { anneal::set_default_device(d); });

  anneal::cli::register_simplify(app);
  anneal::cli::register_graph(app);
  anneal::cli::register_kernels(app);
  anneal::cli::register_train(app);
  anneal::cli::register_doctor(app);
  anneal::cli::register_bench(app);
  anneal::cli::register_sample(app);
  anneal::cli::register_gpt2(app);
  anneal::cli::register_settings(app);
  anneal::cli::register_explain(app);
  anneal::cli::register_viz(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors, --help, --version, and the exit statuses that verbs choose.
    return app.exit(e);
  } catch (const anneal::Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
