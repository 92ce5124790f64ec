#include "anneal/io/download.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <vector>
#include <memory>
#include <mutex>

#include "anneal/support/disk_cache.h"
#include "anneal/support/atomic_file.h"
#include "anneal/support/error.h"

namespace anneal::io {
namespace {

// An incremental SHA-256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    check(ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1, "sha256: OpenSSL failed");
  }
  void update(const char* data, size_t n) { check(EVP_DigestUpdate(ctx_.get(), data, n) == 1, "sha256: OpenSSL failed"); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    check(EVP_DigestFinal_ex(ctx_.get(), digest, &n) == 1, "sha256: OpenSSL failed");
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) out += {digits[digest[i] >> 4], digits[digest[i] & 15]};
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Receives the body into a file while hashing it, bounded by the pinned size (a server sending more
// is wrong anyway), and reports progress.
struct Sink {
  std::FILE* file;
  Sha256 hash;
  int64_t received = 0, limit;
  bool overflow = false, write_failed = false;
  const DownloadProgress* progress;
};

size_t on_data(char* data, size_t, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->limit >= 0 && sink->received + int64_t(n) > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  if (std::fwrite(data, 1, n, sink->file) != n) {
    sink->write_failed = true;
    return 0;
  }
  sink->hash.update(data, n);
  sink->received += int64_t(n);
  return n;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  const auto* sink = static_cast<Sink*>(user);
  if (*sink->progress) (*sink->progress)(int64_t(now), sink->limit >= 0 ? sink->limit : int64_t(total));
  return 0;
}

// Downloads `a` into `tmp`; returns why the bytes are not the asset ("" when they are).
std::string download(const Asset& a, const std::string& path, const std::string& tmp, const DownloadProgress& progress) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  check(curl != nullptr, "download: cannot initialise libcurl");
  const std::string where = "download of " + a.name + " from " + a.url;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(tmp.c_str(), "wb"), std::fclose);
  check(file != nullptr, [&] { return where + ": cannot write " + tmp; });
  Sink sink{file.get(), {}, 0, a.size, false, false, &progress};
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
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, progress ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
  const CURLcode rc = curl_easy_perform(c);
  if (sink.overflow) throw Error(where + ": the server sent more than the expected " + std::to_string(a.size) + " bytes");
  if (sink.write_failed) throw Error(where + ": writing " + tmp + " failed (disk full?)");
  if (rc == CURLE_PARTIAL_FILE) {
    curl_off_t announced = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
    throw Error(where + ": the transfer was cut off after " + std::to_string(sink.received) + " of " +
                std::to_string(announced) + " bytes");
  }
  if (rc != CURLE_OK) {
    std::string msg = where + " failed: " + (why[0] ? why : curl_easy_strerror(rc));
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT)
      msg += " (no network? the file can also be put at " + path + " by hand)";
    throw Error(msg);
  }
  check(std::fflush(file.get()) == 0 && fsync(fileno(file.get())) == 0, [&] { return where + ": writing " + tmp + " failed"; });
  if (a.size >= 0 && sink.received != a.size)
    return "size is " + std::to_string(sink.received) + " bytes, expected " + std::to_string(a.size);
  const std::string got = sink.hash.hex();
  return got == a.sha256 ? "" : "SHA-256 is " + got + ", expected " + a.sha256;
}

// Whether the file at `path` is the asset: its size first (cheap), then its hash, read in blocks.
bool is_asset(const Asset& a, const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || (a.size >= 0 && int64_t(size) != a.size)) return false;
  return sha256_file(path) == a.sha256;
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.hex();
}

std::string sha256_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  check(f != nullptr, [&] { return "sha256: cannot read " + path; });
  Sha256 h;
  std::vector<char> block(size_t(1) << 20);
  while (const size_t n = std::fread(block.data(), 1, block.size(), f.get())) h.update(block.data(), n);
  check(!std::ferror(f.get()), [&] { return "sha256: reading " + path + " failed"; });
  return h.hex();
}

std::string fetch_asset(const Asset& a, const std::string& dir, const DownloadProgress& progress) {
  const std::string folder = dir.empty() ? disk_cache::folder("assets") : dir;
  const std::string path = folder + "/" + a.name;
  if (is_asset(a, path)) return path;
  disk_cache::make_dirs(folder);
  remove_orphaned_temporaries(folder);
  // The body streams into a temporary beside the file (a 6 GB checkpoint never sits in memory) and
  // becomes the file by a rename only once its size and hash are right.
  const std::string tmp = temporary_path_for(path);
  std::string why;
  try {
    why = download(a, path, tmp, progress);
  } catch (...) {
    std::filesystem::remove(tmp);
    throw;
  }
  if (!why.empty()) {
    std::filesystem::remove(tmp);
    throw Error("download of " + a.name + " from " + a.url + ": " + why + " (the file was not kept)");
  }
  std::filesystem::rename(tmp, path);
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
