// BEAM search: the winner computes what the unoptimized kernel computes, is cached on disk, and cache
// entries that are corrupt, stale or no longer applicable are detected and ignored (then replaced).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "anneal/engine/engine.h"
#include "anneal/engine/beam.h"
#include "anneal/render/renderer.h"
#include "anneal/runtime/device.h"
#include "anneal/support/hash.h"
#include "../tensor/op_test_util.h"
#include "anneal/tensor/tensor.h"

namespace anneal {
namespace {

Tensor random(const Shape& shape, uint64_t seed) { return testing::random_tensor(shape, seed); }

struct Case {
  ScheduledKernel kernel;
  std::vector<void*> bufs;
  std::string device;
};

// A small matmul kernel whose inputs are realized buffers.
Case matmul_case(int64_t m) {
  Tensor a = random({m, 24}, 1).realize(), b = random({24, 16}, 2).realize();
  const std::vector<UOp> outs{(a.matmul(b) * 2.0).uop()};
  Case c{create_schedule(outs).kernels.at(0), {}, ""};
  for (const UOp& buf : c.kernel.buffers) c.bufs.push_back(buf.arg().as<BufferArg>()->storage.get());
  c.device = c.kernel.buffers[0].arg().as<BufferArg>()->device;
  return c;
}

std::vector<uint8_t> run(const ScheduledKernel& k, const std::string& device, std::vector<void*> bufs) {
  Device& dev = get_device(device);
  const size_t bytes = size_t(k.buffers[0].arg().as<BufferArg>()->size) * 4;
  std::shared_ptr<void> out = dev.allocate(bytes);
  bufs[0] = out.get();
  dev.compile(render_program(std::vector<ScheduledKernel>{k}, dev.target()))[0]->launch(bufs.data());
  std::vector<uint8_t> host(bytes);
  dev.copy_to_host(host.data(), out.get(), bytes);
  return host;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Beam, WinnerIsCorrectAndCached) {
  Case c = matmul_case(32);
  std::remove(beam_cache_path(c.kernel, get_device(c.device)).c_str());
  const BeamStats before = beam_stats();
  const std::vector<Opt> opts = beam_search(c.kernel, get_device(c.device), c.bufs.data(), 2);
  EXPECT_EQ(beam_stats().searches, before.searches + 1);
  EXPECT_GT(beam_stats().candidates, before.candidates + 10);
  ScheduledKernel tuned = c.kernel;
  for (const Opt& o : opts) tuned = apply_opt(tuned, o);
  EXPECT_EQ(run(tuned, c.device, c.bufs), run(c.kernel, c.device, c.bufs));
  const std::string entry = read_file(beam_cache_path(c.kernel, get_device(c.device)));
  EXPECT_EQ(entry.rfind("anneal-beam 1\nkey ", 0), 0u) << entry;
  // The next search is a cache hit with the same answer.
  EXPECT_EQ(beam_search(c.kernel, get_device(c.device), c.bufs.data(), 2), opts);
  EXPECT_EQ(beam_stats().cache_hits, before.cache_hits + 1);
  EXPECT_EQ(beam_stats().searches, before.searches + 1);
}

TEST(Beam, BadCacheEntriesAreIgnoredAndReplaced) {
  Case c = matmul_case(48);
  const std::string path = beam_cache_path(c.kernel, get_device(c.device));
  std::remove(path.c_str());
  beam_search(c.kernel, get_device(c.device), c.bufs.data(), 1);
  const std::string good = read_file(path);
  ASSERT_FALSE(good.empty());
  // Corrupt, truncated, tampered (checksum no longer matches), for another kernel or device (stale).
  std::string tampered = good;
  tampered.replace(tampered.find("opts "), 5, "opts UPCAST(0, 3) ");
  std::string other_key = good;
  other_key.replace(other_key.find("key ") + 4, 4, "0000");
  std::string other_device = good;
  other_device.replace(other_device.find("device ") + 7, 0, "X");
  // Intact (its checksum recomputed) but naming an opt that no longer applies to this kernel.
  std::string inapplicable = good.substr(0, good.find("opts ")) + "opts UPCAST(7, 3)\nms 1\n";
  Hasher h;
  h.bytes(inapplicable);
  inapplicable += "checksum " + to_hex(h.finish()) + "\n";
  const std::vector<std::string> bad = {"garbage\n", good.substr(0, good.size() / 2), tampered, other_key, other_device,
                                        inapplicable};
  for (const std::string& b : bad) {
    write_file(path, b);
    const BeamStats before = beam_stats();
    beam_search(c.kernel, get_device(c.device), c.bufs.data(), 1);
    EXPECT_EQ(beam_stats().rejected_entries, before.rejected_entries + 1) << b;
    EXPECT_EQ(beam_stats().searches, before.searches + 1) << b;
    EXPECT_EQ(read_file(path).rfind("anneal-beam 1\n", 0), 0u);  // replaced by a valid entry
  }
}

TEST(Beam, ParsesOnlyCanonicalOpts) {
  EXPECT_EQ(parse_opt("UPCAST(1, 4)")->str(), "UPCAST(1, 4)");
  EXPECT_EQ(parse_opt("LOCAL(0, 16)")->str(), "LOCAL(0, 16)");
  EXPECT_EQ(parse_opt("SWAP(0, 2)")->str(), "SWAP(0, 2)");
  EXPECT_FALSE(parse_opt("UPCAST(1,4)"));
  EXPECT_FALSE(parse_opt("UPCAST(1, 4"));
  for (const char* o : {"UNROLL(1, 4)", "THREAD(0, 2)", "NOLOCALS(0, 0)", "GROUP(0, 256)", "GROUPTOP(0, 64)",
                        "STAGE(0, 128)", "SIMD(0, 32)", "TC(0, 128)"})
    EXPECT_EQ(parse_opt(o)->str(), o);
  EXPECT_FALSE(parse_opt("UNROL(1, 4)"));
  EXPECT_FALSE(parse_opt("GROUP(0 , 4)"));
  EXPECT_FALSE(parse_opt("UPCAST(1, 4)x"));
}

}  // namespace
}  // namespace anneal
