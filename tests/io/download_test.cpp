// The SHA-pinned downloader against a real HTTP server on 127.0.0.1: a good file (downloaded once, then
// served from the cache), a wrong hash, a truncated transfer, an HTTP error and a refused connection.
// SHA-256 itself is checked against FIPS 180-2's known answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "anneal/io/download.h"
#include "anneal/models/gpt2.h"
#include "anneal/support/error.h"

namespace anneal::io {
namespace {

// One listening socket, one thread answering GET requests one connection at a time:
// `good` (default /good) the body; /truncated announces the whole body and closes after half of it;
// anything else 404.
class TinyHttpServer {
 public:
  explicit TinyHttpServer(std::string body, std::string good = "/good") : body_(std::move(body)), good_(std::move(good)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(listen(fd_, 8), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyHttpServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url(const std::string& path) const { return base() + path; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (true) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++requests_;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, size_t(n));
      }
      const std::string path = request.substr(4, request.find(' ', 4) - 4);  // "GET /path HTTP/1.1"
      std::string reply;
      if (path == good_ || path == "/truncated") {
        reply = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n";
        reply += path == good_ ? body_ : body_.substr(0, body_.size() / 2);
      } else {
        reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found";
      }
      for (size_t sent = 0; sent < reply.size();) {
        const ssize_t n = write(c, reply.data() + sent, reply.size() - sent);
        if (n <= 0) break;
        sent += size_t(n);
      }
      close(c);
    }
  }
  std::string body_, good_;
  int fd_ = -1, port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string body_of(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += char('a' + (i * 7 + i / 13) % 26);
  return s;
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("anneal-download-" + name + "-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(dir);
  return dir;
}

std::string error_of(const Asset& a, const std::string& dir) {
  try {
    fetch_asset(a, dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Download, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Download, GoodFileIsDownloadedOnceThenServedFromTheCache) {
  const std::string body = body_of(300000);
  TinyHttpServer server(body);
  const std::string dir = fresh_dir("good");
  const Asset a{"good.txt", server.url("/good"), sha256_hex(body), int64_t(body.size())};
  const std::string path = fetch_asset(a, dir);
  EXPECT_EQ(path, dir + "/good.txt");
  std::ifstream f(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), body);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(fetch_asset(a, dir), path);
  EXPECT_EQ(server.requests(), 1);  // the cached file's hash held: no second request
  // A cached file that was altered is not trusted: it is downloaded again.
  std::ofstream(path, std::ios::binary) << "tampered";
  EXPECT_EQ(fetch_asset(a, dir), path);
  EXPECT_EQ(server.requests(), 2);
  std::filesystem::remove_all(dir);
}

TEST(Download, WrongHashIsAnErrorAndNothingIsKept) {
  const std::string body = body_of(5000);
  TinyHttpServer server(body);
  const std::string dir = fresh_dir("hash");
  const Asset a{"x.txt", server.url("/good"), sha256_hex("something else"), -1};
  const std::string e = error_of(a, dir);
  EXPECT_NE(e.find("SHA-256 is " + sha256_hex(body) + ", expected " + a.sha256), std::string::npos) << e;
  EXPECT_NE(e.find(a.url), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.txt"));
}

TEST(Download, TruncatedTransferIsAnError) {
  const std::string body = body_of(200000);
  TinyHttpServer server(body);
  const std::string dir = fresh_dir("cut");
  const Asset a{"cut.txt", server.url("/truncated"), sha256_hex(body), int64_t(body.size())};
  const std::string e = error_of(a, dir);
  EXPECT_NE(e.find("cut off after 100000 of 200000 bytes"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir + "/cut.txt"));
}

TEST(Download, HttpErrorAndRefusedConnectionAreErrors) {
  const std::string dir = fresh_dir("fail");
  std::string url;
  {
    TinyHttpServer server("x");
    const std::string e = error_of({"m.txt", server.url("/missing"), sha256_hex("x"), 1}, dir);
    EXPECT_NE(e.find("404"), std::string::npos) << e;
    url = server.url("/good");
  }
  // The server is gone, nobody listens on its port: what an offline machine sees, told as such.
  const std::string e = error_of({"r.txt", url, sha256_hex("x"), 1}, dir);
  EXPECT_NE(e.find("no network?"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir + "/r.txt"));
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The GPT-2 weights' URL is the hub's (HF_ENDPOINT moves it, as for huggingface_hub), at the pinned
// revision, and what comes back is checked against the pinned size and hash.
TEST(Download, Gpt2WeightsComeFromThePinnedHubPathAndAreChecked) {
  const std::string pinned = "/openai-community/gpt2/resolve/607a30d783dfa663caf39e06633721c8d4cfcd7e/model.safetensors";
  const std::string tiny = read_all(std::string(ANNEAL_FIXTURE_DIR) + "/gpt2/gpt2_tiny/model.safetensors");
  TinyHttpServer server(tiny, pinned);
  setenv("HF_ENDPOINT", server.base().c_str(), 1);
  const Asset a = gpt2_weights_asset("gpt2");
  unsetenv("HF_ENDPOINT");
  EXPECT_EQ(a.url, server.url(pinned));
  const std::string e = error_of(a, fresh_dir("gpt2"));
  EXPECT_NE(e.find("size is " + std::to_string(tiny.size()) + " bytes, expected 548105171"), std::string::npos) << e;
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(gpt2_weights_asset("gpt2").url, "https://huggingface.co" + pinned);
  EXPECT_THROW(gpt2_weights_asset("gpt3"), Error);
}

TEST(Download, ACheckpointStreamsToDiskWithProgress) {
  const std::string tiny = read_all(std::string(ANNEAL_FIXTURE_DIR) + "/gpt2/gpt2_tiny/model.safetensors");
  TinyHttpServer server(tiny);
  const std::string dir = fresh_dir("progress");
  std::vector<std::pair<int64_t, int64_t>> seen;
  const Asset a{"tiny.safetensors", server.url("/good"), sha256_hex(tiny), int64_t(tiny.size())};
  const std::string path = fetch_asset(a, dir, [&](int64_t got, int64_t total) { seen.emplace_back(got, total); });
  EXPECT_EQ(read_all(path), tiny);
  EXPECT_EQ(sha256_file(path), a.sha256);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), std::make_pair(int64_t(tiny.size()), int64_t(tiny.size())));
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i - 1].first, seen[i].first);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anneal::io
