// BEAM search (ANNEAL_BEAM=N): for each kernel, time candidate opt lists on the device and keep the
// fastest, starting from no opts and the heuristic's choice and extending the best N by one opt per
// round. A candidate whose output differs from the unoptimized kernel's is rejected. Winners are kept
// in a disk cache ($ANNEAL_CACHE_DIR/beam) keyed on the kernel's structural key and the device's
// fingerprint; each entry carries its key, device and a checksum, and an entry that is corrupt, stale
// (for another kernel or device) or whose opts no longer apply is ignored and replaced.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "anneal/codegen/opt.h"
#include "anneal/runtime/device.h"
#include "anneal/schedule/schedule.h"

namespace anneal {

// ANNEAL_BEAM, else 0 (off).
int beam_width();

// The opts for `kernel` on `device`: from the cache when a valid entry exists, else by searching.
// `bufs` are the kernel's buffers (slot 0 is not written: candidates write a scratch buffer), with
// the inputs holding real values.
std::vector<Opt> beam_search(const ScheduledKernel& kernel, Device& device, void* const* bufs, int width);
// The cached winner for `kernel` on `device`, when a valid entry exists (no search).
std::optional<std::vector<Opt>> beam_cached(const ScheduledKernel& kernel, const Device& device);

struct BeamStats {
  size_t searches = 0;         // kernels searched (cache misses)
  size_t cache_hits = 0;       // valid cache entries used
  size_t rejected_entries = 0; // cache entries ignored as corrupt, stale or inapplicable
  size_t candidates = 0;       // candidates timed
  size_t wrong_results = 0;    // candidates rejected because their output differed
};
BeamStats beam_stats();

// The cache file of `kernel` on `device` (for tests and tools).
std::string beam_cache_path(const ScheduledKernel& kernel, const Device& device);

}  // namespace anneal
