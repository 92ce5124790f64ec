// Shared by the fuzz targets: the loaders under test read files, so each input is written to a file
// of this process (in TMPDIR, else /tmp) and the real loader reads it. Only anneal::Error may escape a
// loader; anything else (a crash, a sanitizer report, another exception) is a finding.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "anneal/support/error.h"

namespace anneal::fuzz {

inline const std::string& scratch_path(const char* suffix) {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/anneal-fuzz-" + std::to_string(::getpid()) + suffix;
  }();
  return path;
}

inline const std::string& as_file(const uint8_t* data, size_t size, const char* suffix) {
  const std::string& path = scratch_path(suffix);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
  return path;
}

// Runs `load`; a clear error is the expected outcome for malformed input.
template <class Load>
void expect_value_or_error(Load&& load) {
  try {
    load();
  } catch (const anneal::Error&) {
  }
}

}  // namespace anneal::fuzz
