// Assets fetched over the network, trusted only by a pinned SHA-256: a download goes to a temporary
// file (streamed, hashed as it arrives), is checked (size, then hash) and only then renamed into the
// cache, so a truncated or altered transfer never becomes a cached file. A cached file is re-hashed
// before every use.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace anneal::io {

struct Asset {
  std::string name;    // the file name in the cache
  std::string url;
  std::string sha256;  // lowercase hex
  int64_t size = -1;   // bytes, or -1 when not pinned
};

// The SHA-256 of `bytes`, or of the file at `path` (read in blocks), as lowercase hex.
std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);

// Called as a download goes: bytes received so far, and the total (the pinned size, else what the
// server announced, else 0).
using DownloadProgress = std::function<void(int64_t received, int64_t total)>;

// The path of `asset` under `dir` (default: $ANNEAL_CACHE_DIR/assets, else the user's cache), downloaded
// first when it is missing or its hash is wrong. Every failure (no network, HTTP error, truncated transfer,
// wrong size or hash) is an anneal::Error naming the URL and what went wrong.
std::string fetch_asset(const Asset& asset, const std::string& dir = "", const DownloadProgress& progress = {});

// tinyshakespeare (Karpathy's char-rnn input.txt at a fixed commit).
const Asset& tinyshakespeare_asset();

}  // namespace anneal::io
