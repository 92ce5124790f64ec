// Counter-based random numbers (Threefry-2x32, 20 rounds): value i of a draw depends only on the
// seed, the draw number and i, so results are reproducible on every device and in every order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace anneal {

// Sets the global seed and restarts the draw counter (like torch.manual_seed).
void manual_seed(uint64_t seed);

// The values Tensor::rand / Tensor::randn would give n elements, made on the host: the same draw (it
// takes the next key), for initial values computed without a kernel.
std::vector<float> rand_values(size_t n);
std::vector<float> randn_values(size_t n);

// Threefry-2x32 of the 64-bit counter under the 64-bit key (Salmon et al., SC'11), 20 rounds.
uint64_t threefry2x32(uint64_t key, uint64_t counter);

}  // namespace anneal
