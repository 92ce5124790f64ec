#include "beam_cache.h"

#include <sstream>

#include "anneal/support/disk_cache.h"
#include "anneal/support/error.h"
#include "anneal/support/hash.h"

namespace anneal::beam_cache {
namespace {

constexpr const char* kMagic = "anneal-beam 1";

std::optional<std::vector<Opt>> parse_opts(const std::string& text) {
  std::vector<Opt> out;
  std::string rest = text;
  while (!rest.empty()) {
    const size_t close = rest.find(')');
    if (close == std::string::npos) return std::nullopt;
    const std::optional<Opt> o = parse_opt(rest.substr(0, close + 1));
    if (!o) return std::nullopt;
    out.push_back(*o);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest[0] == ' ') rest = rest.substr(1);
  }
  return out;
}

std::string checksum(const std::string& body) {
  Hasher h;
  h.bytes(body);
  return to_hex(h.finish());
}

}  // namespace

std::string opts_text(const std::vector<Opt>& opts) {
  std::string s;
  for (const Opt& o : opts) s += (s.empty() ? "" : " ") + o.str();
  return s;
}

ScheduledKernel with_opts(const ScheduledKernel& k, const std::vector<Opt>& opts) {
  ScheduledKernel out = k;
  for (const Opt& o : opts) out = apply_opt(out, o);
  return out;
}

// The cached opts, if the entry is intact and meant for this kernel and device, and still applies.
Lookup read_entry(const std::string& path, const std::string& key, const std::string& device, const ScheduledKernel& k) {
  const std::optional<std::string> file = disk_cache::read(path);
  if (!file) return {};
  auto reject = [] { return Lookup{std::nullopt, true}; };
  const size_t sum_at = file->rfind("checksum ");
  if (sum_at == std::string::npos) return reject();
  const std::string body = file->substr(0, sum_at);
  std::string sum = file->substr(sum_at + 9);
  while (!sum.empty() && (sum.back() == '\n' || sum.back() == '\r')) sum.pop_back();
  if (sum != checksum(body)) return reject();
  std::istringstream in(body);
  std::string magic, key_line, device_line, opts_line;
  std::getline(in, magic);
  std::getline(in, key_line);
  std::getline(in, device_line);
  std::getline(in, opts_line);
  if (magic != kMagic || key_line != "key " + key || device_line != "device " + device || opts_line.rfind("opts", 0) != 0)
    return reject();
  const std::optional<std::vector<Opt>> opts = parse_opts(opts_line.size() > 5 ? opts_line.substr(5) : "");
  if (!opts) return reject();
  try {
    with_opts(k, *opts);
  } catch (const Error&) {
    return reject();
  }
  return {opts, false};
}

void write_entry(const std::string& path, const std::string& key, const std::string& device,
                 const std::vector<Opt>& opts, double ms) {
  std::ostringstream body;
  body << kMagic << "\nkey " << key << "\ndevice " << device << "\nopts " << opts_text(opts) << "\nms " << ms << "\n";
  disk_cache::write(path, body.str() + "checksum " + checksum(body.str()) + "\n");
}

}  // namespace anneal::beam_cache
