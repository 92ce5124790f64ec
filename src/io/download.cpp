#include "anneal/io/download.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "anneal/support/disk_cache.h"
#include "anneal/support/atomic_file.h"
#include "anneal/support/error.h"

namespace anneal::io {
namespace {

// Receives the body into memory, bounded by the pinned size (a server sending more is wrong anyway).
struct Sink {
  std::string bytes;
  int64_t limit;
  bool overflow = false;
};

size_t on_data(char* data, size_t, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->limit >= 0 && int64_t(sink->bytes.size() + n) > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->bytes.append(data, n);
  return n;
}

std::string download(const Asset& a, const std::string& path) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  check(curl != nullptr, "download: cannot initialise libcurl");
  Sink sink{{}, a.size};
  char why[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, a.url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);  // HTTP 4xx/5xx is an error, not a body
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);  // give up on a transfer stalled for a minute
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
  const CURLcode rc = curl_easy_perform(c);
  const std::string where = "download of " + a.name + " from " + a.url;
  if (sink.overflow) throw Error(where + ": the server sent more than the expected " + std::to_string(a.size) + " bytes");
  if (rc == CURLE_PARTIAL_FILE) {
    curl_off_t announced = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
    throw Error(where + ": the transfer was cut off after " + std::to_string(sink.bytes.size()) + " of " +
                std::to_string(announced) + " bytes");
  }
  if (rc != CURLE_OK) {
    std::string msg = where + " failed: " + (why[0] ? why : curl_easy_strerror(rc));
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT)
      msg += " (no network? the file can also be put at " + path + " by hand)";
    throw Error(msg);
  }
  return std::move(sink.bytes);
}

// Why `bytes` are not the asset, or "" when they are.
std::string mismatch(const Asset& a, const std::string& bytes) {
  if (a.size >= 0 && int64_t(bytes.size()) != a.size)
    return "size is " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(a.size);
  const std::string got = sha256_hex(bytes);
  return got == a.sha256 ? "" : "SHA-256 is " + got + ", expected " + a.sha256;
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  check(EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr) == 1, "sha256: OpenSSL failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return out;
}

std::string fetch_asset(const Asset& a, const std::string& dir) {
  const std::string folder = dir.empty() ? disk_cache::folder("assets") : dir;
  const std::string path = folder + "/" + a.name;
  if (const auto cached = disk_cache::read(path); cached && mismatch(a, *cached).empty()) return path;
  const std::string bytes = download(a, path);
  if (const std::string why = mismatch(a, bytes); !why.empty())
    throw Error("download of " + a.name + " from " + a.url + ": " + why + " (the file was not kept)");
  disk_cache::make_dirs(folder);
  write_file_atomically(path, "download of " + a.name, bytes);  // the caller reads this file: it must exist
  return path;
}

const Asset& tinyshakespeare_asset() {
  static const Asset a{"tinyshakespeare.txt",
                       "https://raw.githubusercontent.com/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/"
                       "data/tinyshakespeare/input.txt",
                       "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", 1115394};
  return a;
}

}  // namespace anneal::io
