// Two-stage sums for GPUs (split-K): a sum with many inputs per output but too few outputs to fill the
// GPU (a weight gradient: 384 x 384 outputs, each summing 16384 rows) becomes a first sum over part of
// its reduction into a realized buffer of `split` times the outputs, and a short second sum over that.
// The first kernel has enough outputs for register and block tiles on every SM.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

// The graph under `outputs` (in place) with each such REDUCE replaced by its two stages. `device_of`
// gives the (canonical) device of a node's value (null: `default_device`); only GPU reductions are
// split. Returns whether anything changed.
bool split_long_reductions(std::vector<UOp>& outputs, const std::vector<UOp>& order,
                           const std::unordered_map<const void*, const std::string*>& device_of,
                           const std::string& default_device);

}  // namespace anneal
