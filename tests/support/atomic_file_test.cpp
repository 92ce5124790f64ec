// Atomic file writes: a writer killed mid-write leaves the old file whole, and its orphaned
// temporary is removed by the next write into the folder; temporaries of live writers are kept.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "anneal/support/atomic_file.h"

using namespace anneal;
namespace fs = std::filesystem;

namespace {

fs::path fresh_folder(const char* name) {
  const fs::path p = fs::temp_directory_path() / (std::string(name) + "." + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string contents(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

size_t temporaries_in(const fs::path& folder) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(folder)) n += e.path().filename().string().find(".tmp.") != std::string::npos;
  return n;
}

}  // namespace

TEST(AtomicFile, AWriterKilledMidWriteLeavesTheOldFileAndItsTemporaryIsSweptNextTime) {
  const fs::path folder = fresh_folder("anneal_atomic_kill");
  const std::string target = (folder / "model.safetensors").string();
  write_file_atomically(target, "test", std::string("old contents"));

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // half of a new file, then killed before the rename
    write_file_atomically(target, "test", [](const std::string& tmp) {
      std::ofstream(tmp, std::ios::binary) << "new cont";
      ::raise(SIGKILL);
    });
    std::_Exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(contents(target), "old contents");
  EXPECT_EQ(temporaries_in(folder), 1u);  // the killed writer's

  EXPECT_EQ(remove_orphaned_temporaries(folder.string()), 1);
  EXPECT_EQ(temporaries_in(folder), 0u);
  fs::remove_all(folder);
}

TEST(AtomicFile, TheFirstWriteIntoAFolderSweepsOrphansButNotLiveWriters) {
  const fs::path folder = fresh_folder("anneal_atomic_sweep");
  const pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) std::_Exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const fs::path orphan = folder / ("ckpt.safetensors.tmp." + std::to_string(dead) + ".3");
  const fs::path live = folder / ("ckpt.safetensors.tmp." + std::to_string(::getppid()) + ".0");  // our parent runs
  const fs::path unrelated = folder / "notes.tmp.txt";
  for (const fs::path& p : {orphan, live, unrelated}) std::ofstream(p) << "x";

  write_file_atomically((folder / "ckpt.safetensors").string(), "test", std::string("whole"));
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(unrelated));
  EXPECT_EQ(contents(folder / "ckpt.safetensors"), "whole");
  fs::remove_all(folder);
}

TEST(AtomicFile, AFailingWriterLeavesNoTemporaryAndTheOldFile) {
  const fs::path folder = fresh_folder("anneal_atomic_fail");
  const std::string target = (folder / "f.bin").string();
  write_file_atomically(target, "test", std::string("old"));
  EXPECT_THROW(write_file_atomically(target, "test", [](const std::string& tmp) {
                 std::ofstream(tmp) << "partial";
                 throw std::runtime_error("disk full");
               }),
               std::runtime_error);
  EXPECT_EQ(contents(target), "old");
  EXPECT_EQ(temporaries_in(folder), 0u);
  fs::remove_all(folder);
}
