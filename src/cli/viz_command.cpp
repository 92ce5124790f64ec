#include "cli/viz_command.h"

#include <fmt/format.h>
#include <httplib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "anneal/io/idx.h"
#include "anneal/support/error.h"

// Where the build found the page and its parts (CMakeLists.txt): web/, the WASM compiler that
// `make wasm` builds, and dagre, which `make deps` fetches from npm.
#ifndef ANNEAL_WEB_DIR
#error "build anneal with CMake, which defines ANNEAL_WEB_DIR"
#endif

namespace anneal::cli {
namespace {

namespace fs = std::filesystem;

struct VizOptions {
  std::string program, out, wasm = ANNEAL_WASM_JS, data = "/usr/share/datasets/fashion-mnist";
  bool train = false;
  int port = 8765;
};

// The first images of Fashion-MNIST's training set for the page's live training: N*784 pixels
// (0..255) then N labels. The page divides by 255, as load_mnist did before us.
constexpr int64_t kSubsetImages = 4096;

std::string fashion_subset(const std::string& dir) {
  const io::Mnist data = io::load_mnist(dir);
  const int64_t n = std::min(kSubsetImages, data.train_count()), pixels = data.rows * data.cols;
  check(pixels == 784, [&] { return "viz: " + dir + " has " + std::to_string(pixels) + "-pixel images, the page expects 28x28"; });
  std::string out(size_t(n * (pixels + 1)), '\0');
  for (int64_t i = 0; i < n * pixels; ++i) out[size_t(i)] = char(uint8_t(std::lround(data.train_images[size_t(i)] * 255.0f)));
  for (int64_t i = 0; i < n; ++i) out[size_t(n * pixels + i)] = char(uint8_t(data.train_labels[size_t(i)]));
  return out;
}

std::string read_file(const fs::path& path, const std::string& what, const std::string& remedy) {
  std::ifstream in(path, std::ios::binary);
  check(bool(in), [&] { return "viz: " + what + " is missing (" + path.string() + "): " + remedy; });
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The site: file name -> contents.
std::map<std::string, std::string> site_files(const VizOptions& o) {
  const fs::path web = ANNEAL_WEB_DIR;
  std::map<std::string, std::string> files;
  for (const char* name : {"index.html", "viz.js", "viz.css"})
    files[name] = read_file(web / "viz" / name, std::string("the page's ") + name, "the source tree's web/viz/ is needed");
  files["anneal_webgpu.js"] = read_file(web / "anneal_webgpu.js", "the WebGPU runner", "the source tree's web/ is needed");
  files["dagre.min.js"] = read_file(ANNEAL_DAGRE_JS, "the layout library (dagre)", "run `make deps`, which fetches it from npm");
  files["anneal.js"] = read_file(o.wasm, "the WASM compiler", "run `make wasm`, or give its anneal.js with --wasm FILE");
  files["fashion-subset.bin"] = fashion_subset(o.data);
  return files;
}

std::string mime_type(const std::string& name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

// The page opens on PROGRAM when the address names it.
std::string start_address(const VizOptions& o, const std::string& base) {
  if (o.program.empty()) return base;
  return base + "#program=" + o.program + (o.train ? "&train=1" : "");
}

void write_site(const VizOptions& o, const std::map<std::string, std::string>& files) {
  std::error_code ec;
  fs::create_directories(o.out, ec);
  check(!ec, [&] { return "viz: cannot create " + o.out + ": " + ec.message(); });
  for (const auto& [name, bytes] : files) {
    const fs::path path = fs::path(o.out) / name;
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    check(bool(f), [&] { return "viz: cannot write " + path.string(); });
  }
  fmt::print("wrote the visualizer ({} files) to {}\n", files.size(), o.out);
  fmt::print("serve the folder over HTTP (the page fetches its parts), e.g. `python3 -m http.server -d {}`, and open {}\n", o.out,
             start_address(o, "/index.html"));
}

void serve(const VizOptions& o, const std::map<std::string, std::string>& files) {
  httplib::Server server;
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, with which a second server would
  // share a port that is taken instead of failing.
  server.set_socket_options([](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  for (const auto& file : files) {  // (clang 14 cannot capture a structured binding)
    const std::string& bytes = file.second;
    const std::string type = mime_type(file.first);
    server.Get("/" + file.first, [&bytes, type](const httplib::Request&, httplib::Response& res) { res.set_content(bytes, type.c_str()); });
  }
  server.Get("/", [&files](const httplib::Request&, httplib::Response& res) { res.set_content(files.at("index.html"), "text/html; charset=utf-8"); });
  check(server.bind_to_port("127.0.0.1", o.port), [&] {
    return "viz: cannot listen on 127.0.0.1:" + std::to_string(o.port) + " (the port is taken, or not allowed): choose another with --port N";
  });
  fmt::print("anneal viz: serving http://127.0.0.1:{}/{} (Ctrl-C stops)\n", o.port, start_address(o, ""));
  std::fflush(stdout);
  check(server.listen_after_bind(), "viz: the server stopped with an error");
}

}  // namespace

void register_viz(CLI::App& app) {
  auto o = std::make_shared<VizOptions>();
  CLI::App* cmd = app.add_subcommand("viz", "The visualizer: the real compiler, built to WASM, in the browser");
  cmd->add_option("program", o->program, "Program to open the page on (a built-in, or a classifier with --train)");
  cmd->add_flag("--train", o->train, "PROGRAM is a classifier (mlp, conv): open its training step");
  cmd->add_option("--port", o->port, "Port on 127.0.0.1 to serve on")->capture_default_str()->check(CLI::Range(1, 65535));
  cmd->add_option("--out", o->out, "Write the page's files to DIR instead of serving them");
  cmd->add_option("--wasm", o->wasm, "The WASM compiler (anneal.js) to serve")->capture_default_str();
  cmd->add_option("--data", o->data, "Fashion-MNIST folder (IDX files) for the page's live training")->capture_default_str();
  cmd->callback([o] {
    const std::map<std::string, std::string> files = site_files(*o);
    if (!o->out.empty()) write_site(*o, files);
    else serve(*o, files);
  });
}

}  // namespace anneal::cli
