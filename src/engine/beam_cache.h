// The BEAM cache's entry format (internal to the engine): one text file per kernel and device,
//   anneal-beam 1 / key <kernel key> / device <fingerprint> / opts <opts> / ms <time> / checksum <hex>
// An entry that is corrupt, for another kernel or device, or whose opts no longer apply is rejected.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "anneal/codegen/opt.h"

namespace anneal::beam_cache {

std::string opts_text(const std::vector<Opt>& opts);  // "UPCAST(0, 4) LOCAL(1, 16)"
ScheduledKernel with_opts(const ScheduledKernel& k, const std::vector<Opt>& opts);

struct Lookup {
  std::optional<std::vector<Opt>> opts;  // the winner, when the entry is valid
  bool rejected = false;                 // an entry existed but was not valid
};
Lookup read_entry(const std::string& path, const std::string& key, const std::string& device, const ScheduledKernel& k);
void write_entry(const std::string& path, const std::string& key, const std::string& device, const std::vector<Opt>& opts,
                 double ms);

}  // namespace anneal::beam_cache
