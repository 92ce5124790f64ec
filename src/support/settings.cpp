#include "anneal/support/settings.h"

#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <mutex>

#include "anneal/support/error.h"

namespace anneal::settings {
namespace {

// Every setting anneal reads, and the only place one is declared. Keep one line of doc per row: it
// is what `anneal settings` prints.
constexpr Declaration kTable[] = {
    {"ANNEAL_DEVICE", Kind::String, "CPU", 0, 0,
     "default device: CPU, CUDA, CUDA:N, WEBGPU or auto (the CLI's --device overrides it)"},
    {"ANNEAL_WEBGPU_LIB", Kind::String, "", 0, 0,
     "WebGPU library (Dawn) for the WEBGPU device; empty: the one `make deps` fetched, else libwebgpu_dawn.so"},
    {"ANNEAL_THREADS", Kind::Int, "0", 0, 1024, "CPU threads that run each kernel; 0: one per core"},
    {"ANNEAL_CC", Kind::String, "", 0, 0, "C compiler for CPU kernels; empty: clang, else gcc, else cc"},
    {"ANNEAL_CACHE_DIR", Kind::String, "", 0, 0,
     "folder of the kernel, BEAM and asset caches; empty: $XDG_CACHE_HOME/anneal, else ~/.cache/anneal"},
    {"ANNEAL_SCHEDULE_CACHE", Kind::Bool, "1", 0, 0, "reuse the schedule of a graph whose structure was scheduled before"},
    {"ANNEAL_OPT", Kind::Bool, "1", 0, 0, "kernel optimizer heuristics; 0: every kernel is a plain loop nest"},
    {"ANNEAL_TC", Kind::Bool, "1", 0, 0, "tensor cores for float16/bfloat16 matmuls on GPUs"},
    {"ANNEAL_WGMMA", Kind::Bool, "1", 0, 0, "Hopper's warpgroup MMA for tensor cores; 0: mma.sync"},
    {"ANNEAL_STAGE", Kind::Bool, "1", 0, 0, "GPU matmul tiles staged through shared memory"},
    {"ANNEAL_SIMD", Kind::Bool, "1", 0, 0, "explicit CPU vector register tiles for float32 matmuls"},
    {"ANNEAL_TF32", Kind::Bool, "0", 0, 0, "tf32 tensor cores for float32 matmuls (off by default, as in PyTorch)"},
    {"ANNEAL_BEAM", Kind::Int, "0", 0, 1000,
     "BEAM width: time candidate opts per kernel, cache winners under $ANNEAL_CACHE_DIR/beam; 0: off"},
    {"ANNEAL_PROFILE", Kind::Bool, "0", 0, 0, "time every kernel launch; print the slowest kernels at exit"},
    {"ANNEAL_DUMP_DIR", Kind::String, "", 0, 0, "write every generated program source into this folder; empty: off"},
    {"ANNEAL_DEBUG", Kind::Int, "0", 0, 9,
     "pass trace: 1 totals per pass at exit, 2 a line per pass and stage, 3 also each rewritten graph"},
};
constexpr size_t kCount = std::size(kTable);

// ---- compile-time checks of the table and of the handles bound to it ----

constexpr bool is_int_text(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

constexpr int64_t int_of(std::string_view s) {
  int64_t v = 0;
  for (char c : s.substr(s[0] == '-' ? 1 : 0)) v = v * 10 + (c - '0');
  return s[0] == '-' ? -v : v;
}

consteval bool table_is_well_formed() {
  for (size_t i = 0; i < kCount; ++i) {
    const Declaration& d = kTable[i];
    if (!d.name.starts_with("ANNEAL_") || d.doc.empty()) return false;
    for (size_t j = 0; j < i; ++j)
      if (kTable[j].name == d.name) return false;
    if (d.kind == Kind::Bool && d.default_text != "0" && d.default_text != "1") return false;
    if (d.kind == Kind::Int) {
      if (!is_int_text(d.default_text) || d.min > d.max) return false;
      if (int_of(d.default_text) < d.min || int_of(d.default_text) > d.max) return false;
    }
  }
  return true;
}
static_assert(table_is_well_formed(), "settings table: a name without ANNEAL_, a duplicate, or a bad default");

// The row a handle refers to. Not a constant expression (a compile error) when `name` is not in the
// table or is declared with another kind.
consteval size_t row(std::string_view name, Kind kind) {
  for (size_t i = 0; i < kCount; ++i)
    if (kTable[i].name == name) {
      if (kTable[i].kind != kind) throw "settings: handle kind differs from the table";
      return i;
    }
  throw "settings: handle names an undeclared setting";
}

// ---- values ----

struct Slot {
  std::atomic<bool> loaded{false};  // number/text hold the value (set with release, read with acquire)
  std::atomic<int64_t> number{0};   // Int and Bool values
  std::string text;                 // canonical text; guarded by Registry::mu
  Source source = Source::Default;  // guarded by Registry::mu
};

struct Registry {
  std::mutex mu;
  std::array<Slot, kCount> slots;
};

// Immortal: exit handlers (the profile table, the pass summary) read settings after static destructors.
Registry& registry() {
  static Registry& r = *new Registry();
  return r;
}

struct Parsed {
  int64_t number = 0;
  std::string text;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `raw` as a value of `d`; an empty text is the default.
Parsed parse(const Declaration& d, std::string_view raw) {
  if (raw.empty()) raw = d.default_text;
  switch (d.kind) {
    case Kind::String: return {0, std::string(raw)};
    case Kind::Bool: {
      const std::string v = lower(raw);
      if (v == "1" || v == "true" || v == "yes" || v == "on") return {1, "1"};
      if (v == "0" || v == "false" || v == "no" || v == "off") return {0, "0"};
      throw Error(std::string(d.name) + "='" + std::string(raw) + "': expected 1 or 0 (or true/false, yes/no, on/off)");
    }
    case Kind::Int: {
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
      if (ec != std::errc() || end != raw.data() + raw.size() || v < d.min || v > d.max)
        throw Error(std::string(d.name) + "='" + std::string(raw) + "': expected a whole number from " +
                    std::to_string(d.min) + " to " + std::to_string(d.max));
      return {v, std::to_string(v)};
    }
  }
  throw Error("settings: unknown kind of " + std::string(d.name));
}

size_t index_of(std::string_view name) {
  for (size_t i = 0; i < kCount; ++i)
    if (kTable[i].name == name) return i;
  std::string known;
  for (const Declaration& d : kTable) known += (known.empty() ? "" : ", ") + std::string(d.name);
  throw Error("unknown setting '" + std::string(name) + "' (declared: " + known + ")");
}

// Reads the environment on the first use of a slot. Caller holds the registry's mutex. A malformed
// value throws and leaves the slot unloaded, so every read reports it.
void load(size_t i) {
  Slot& s = registry().slots[i];
  if (s.loaded.load(std::memory_order_relaxed)) return;
  const char* env = std::getenv(std::string(kTable[i].name).c_str());
  const bool set = env && *env;
  Parsed p = parse(kTable[i], set ? env : "");
  s.text = std::move(p.text);
  s.source = set ? Source::Environment : Source::Default;
  s.number.store(p.number, std::memory_order_relaxed);
  s.loaded.store(true, std::memory_order_release);
}

int64_t number_at(size_t i) {
  Slot& s = registry().slots[i];
  if (!s.loaded.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(registry().mu);
    load(i);
  }
  return s.number.load(std::memory_order_relaxed);
}

std::string text_at(size_t i) {
  std::lock_guard<std::mutex> lock(registry().mu);
  load(i);
  return registry().slots[i].text;
}

size_t checked_index(std::string_view name, Kind kind) {
  static constexpr std::string_view kKindNames[] = {"an int", "a bool", "a string"};
  const size_t i = index_of(name);
  if (kTable[i].kind != kind)
    throw Error("setting " + std::string(name) + " is " + std::string(kKindNames[size_t(kTable[i].kind)]) +
                ", not " + std::string(kKindNames[size_t(kind)]));
  return i;
}

}  // namespace

std::span<const Declaration> declarations() { return kTable; }
const Declaration& declaration(std::string_view name) { return kTable[index_of(name)]; }

std::string value_text(std::string_view name) { return text_at(index_of(name)); }

Source source(std::string_view name) {
  const size_t i = index_of(name);
  std::lock_guard<std::mutex> lock(registry().mu);
  load(i);
  return registry().slots[i].source;
}

std::string_view source_name(Source s) {
  switch (s) {
    case Source::Default: return "default";
    case Source::Environment: return "environment";
    case Source::Override: return "override";
  }
  return "?";
}

int64_t get_int(std::string_view name) { return number_at(checked_index(name, Kind::Int)); }
bool get_bool(std::string_view name) { return number_at(checked_index(name, Kind::Bool)) != 0; }
std::string get_string(std::string_view name) { return text_at(checked_index(name, Kind::String)); }

const Declaration& Handle::declaration() const { return kTable[index_]; }
Source Handle::source() const { return settings::source(name()); }
int64_t IntSetting::get() const { return number_at(index_); }
bool BoolSetting::get() const { return number_at(index_) != 0; }
std::string StringSetting::get() const { return text_at(index_); }

ScopedSetting::ScopedSetting(std::string_view name, std::string_view value) : index_(index_of(name)) {
  Parsed p = parse(kTable[index_], value);
  std::lock_guard<std::mutex> lock(registry().mu);
  Slot& s = registry().slots[index_];
  saved_ = {s.loaded.load(std::memory_order_relaxed), s.number.load(std::memory_order_relaxed), s.text, s.source};
  s.text = std::move(p.text);
  s.source = Source::Override;
  s.number.store(p.number, std::memory_order_relaxed);
  s.loaded.store(true, std::memory_order_release);
}

ScopedSetting::~ScopedSetting() {
  std::lock_guard<std::mutex> lock(registry().mu);
  Slot& s = registry().slots[index_];
  s.text = std::move(saved_.text);
  s.source = saved_.source;
  s.number.store(saved_.number, std::memory_order_relaxed);
  s.loaded.store(saved_.loaded, std::memory_order_release);
}

// ---- the handles: each bound by name to its row, checked at compile time ----
constinit const StringSetting device{row("ANNEAL_DEVICE", Kind::String)};
constinit const StringSetting webgpu_lib{row("ANNEAL_WEBGPU_LIB", Kind::String)};
constinit const IntSetting threads{row("ANNEAL_THREADS", Kind::Int)};
constinit const StringSetting cc{row("ANNEAL_CC", Kind::String)};
constinit const StringSetting cache_dir{row("ANNEAL_CACHE_DIR", Kind::String)};
constinit const BoolSetting schedule_cache{row("ANNEAL_SCHEDULE_CACHE", Kind::Bool)};
constinit const BoolSetting opt{row("ANNEAL_OPT", Kind::Bool)};
constinit const BoolSetting tensor_cores{row("ANNEAL_TC", Kind::Bool)};
constinit const BoolSetting wgmma{row("ANNEAL_WGMMA", Kind::Bool)};
constinit const BoolSetting stage{row("ANNEAL_STAGE", Kind::Bool)};
constinit const BoolSetting simd{row("ANNEAL_SIMD", Kind::Bool)};
constinit const BoolSetting tf32{row("ANNEAL_TF32", Kind::Bool)};
constinit const IntSetting beam{row("ANNEAL_BEAM", Kind::Int)};
constinit const BoolSetting profile{row("ANNEAL_PROFILE", Kind::Bool)};
constinit const StringSetting dump_dir{row("ANNEAL_DUMP_DIR", Kind::String)};
constinit const IntSetting debug{row("ANNEAL_DEBUG", Kind::Int)};

}  // namespace anneal::settings
