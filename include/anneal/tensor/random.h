// Counter-based random numbers (Threefry-2x32, 20 rounds): value i of a draw depends only on the
// seed, the draw number and i, so results are reproducible on every device and in every order.
#pragma once
#include <cstdint>

namespace anneal {

// Sets the global seed and restarts the draw counter (like torch.manual_seed).
void manual_seed(uint64_t seed);

// Threefry-2x32 of the 64-bit counter under the 64-bit key (Salmon et al., SC'11), 20 rounds.
uint64_t threefry2x32(uint64_t key, uint64_t counter);

}  // namespace anneal
