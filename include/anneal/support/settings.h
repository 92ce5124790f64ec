// The ANNEAL_* settings: every environment variable anneal reads, declared once in one table
// (src/support/settings.cpp) with its kind, default and a one-line description.
//
// Code reads a setting through its named handle (`settings::beam.get()`), which is bound to the table
// row at compile time; tools and tests may also name a setting by string, and an undeclared name is
// an anneal::Error. A value comes from the environment on first use (an empty value counts as unset),
// and a malformed one (ANNEAL_THREADS=abc) is an anneal::Error naming the variable and the expected
// form, raised where the value is read. `ScopedSetting` overrides a value in this process for as long
// as it lives. Reads are safe from any thread; int and bool reads are two atomic loads.
//
// Some consumers read their setting once and keep it for the life of the process (the thread pool,
// the default device, the cache folder, the C compiler, profiling, the dump folder); an override set
// after that first read does not reach them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace anneal::settings {

enum class Kind : uint8_t { Int, Bool, String };

// One row of the table.
struct Declaration {
  std::string_view name;          // "ANNEAL_BEAM"
  Kind kind;
  std::string_view default_text;  // as it would be written in the environment ("0", "1", "", "CPU")
  int64_t min = 0, max = 0;       // Int only: the accepted range
  std::string_view doc;           // one line
};

// Where the current value comes from.
enum class Source : uint8_t { Default, Environment, Override };

// The table, in declaration order.
std::span<const Declaration> declarations();
// The row of `name`; an Error naming the known settings when it is not declared.
const Declaration& declaration(std::string_view name);

// The current value of any setting, as text in its canonical form (bools "1"/"0", ints in decimal).
std::string value_text(std::string_view name);
Source source(std::string_view name);
std::string_view source_name(Source s);  // "default", "environment", "override"

// Typed reads by name; an Error if `name` is undeclared or of another kind.
int64_t get_int(std::string_view name);
bool get_bool(std::string_view name);
std::string get_string(std::string_view name);

// A handle on one row, made only in settings.cpp, checked there at compile time against the table.
class Handle {
 public:
  constexpr explicit Handle(size_t index) : index_(index) {}
  const Declaration& declaration() const;
  std::string_view name() const { return declaration().name; }
  Source source() const;

 protected:
  size_t index_;
};
class IntSetting : public Handle {
 public:
  using Handle::Handle;
  int64_t get() const;
};
class BoolSetting : public Handle {
 public:
  using Handle::Handle;
  bool get() const;
};
class StringSetting : public Handle {
 public:
  using Handle::Handle;
  std::string get() const;
};

// Sets `name` to `value` (parsed like an environment value: a malformed one is an Error here) until
// destroyed, then restores whatever was there before, including "not read yet". Nest in LIFO order.
class ScopedSetting {
 public:
  ScopedSetting(std::string_view name, std::string_view value);
  ~ScopedSetting();
  ScopedSetting(const ScopedSetting&) = delete;
  ScopedSetting& operator=(const ScopedSetting&) = delete;

 private:
  size_t index_;
  struct Saved {
    bool loaded;
    int64_t number;
    std::string text;
    Source source;
  } saved_;
};

// ---- the handles (one per row of the table) ----
extern const StringSetting device;          // ANNEAL_DEVICE
extern const StringSetting webgpu_lib;      // ANNEAL_WEBGPU_LIB
extern const IntSetting threads;            // ANNEAL_THREADS
extern const StringSetting cc;              // ANNEAL_CC
extern const StringSetting cache_dir;       // ANNEAL_CACHE_DIR
extern const BoolSetting schedule_cache;    // ANNEAL_SCHEDULE_CACHE
extern const BoolSetting opt;               // ANNEAL_OPT
extern const BoolSetting tensor_cores;      // ANNEAL_TC
extern const BoolSetting wgmma;             // ANNEAL_WGMMA
extern const BoolSetting stage;             // ANNEAL_STAGE
extern const BoolSetting simd;              // ANNEAL_SIMD
extern const BoolSetting tf32;              // ANNEAL_TF32
extern const IntSetting beam;               // ANNEAL_BEAM
extern const BoolSetting profile;           // ANNEAL_PROFILE
extern const StringSetting dump_dir;        // ANNEAL_DUMP_DIR
extern const IntSetting debug;              // ANNEAL_DEBUG

}  // namespace anneal::settings
