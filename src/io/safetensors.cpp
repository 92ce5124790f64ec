#include "anneal/io/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "anneal/runtime/buffer_io.h"
#include "anneal/support/atomic_file.h"
#include "anneal/support/checked_int.h"
#include "anneal/uop/graph.h"

namespace anneal::io {
namespace {

// More elements than any tensor this reads; a header claiming more is damaged or hostile.
constexpr int64_t kMaxElements = int64_t(1) << 40;

const std::vector<std::pair<std::string, DType>>& dtype_names() {
  static const std::vector<std::pair<std::string, DType>> names = {
      {"F64", dtypes::float64}, {"F32", dtypes::float32}, {"F16", dtypes::float16}, {"BF16", dtypes::bfloat16},
      {"I64", dtypes::int64},   {"I32", dtypes::int32},   {"I16", dtypes::int16},   {"I8", dtypes::int8},
      {"U64", dtypes::uint64},  {"U32", dtypes::uint32},  {"U16", dtypes::uint16},  {"U8", dtypes::uint8},
      {"BOOL", dtypes::bool_},  {"F8_E4M3", dtypes::fp8e4m3}, {"F8_E5M2", dtypes::fp8e5m2}};
  return names;
}

std::string name_of(DType d) {
  for (const auto& [n, t] : dtype_names())
    if (t == d) return n;
  throw Error("safetensors: no name for dtype " + std::string(d.name()));
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<std::vector<uint8_t>> blobs;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    check(t.defined(), "safetensors: tensor '" + name + "' is uninitialised");
    check(!header.contains(name), "safetensors: duplicate tensor name '" + name + "'");
    blobs.push_back(t.host_bytes());
    header[name] = {{"dtype", name_of(t.dtype())}, {"shape", const_shape(t.shape())}, {"data_offsets", {offset, offset + blobs.back().size()}}};
    offset += blobs.back().size();
  }
  std::string text = header.dump();
  while (text.size() % 8) text += ' ';  // the data starts 8-byte aligned, like the reference writer
  // Checkpoints are rewritten while training runs: a process killed mid-write leaves the old file.
  write_file_atomically(path, "safetensors", [&](const std::string& tmp) {
    std::ofstream f(tmp, std::ios::binary);
    check(bool(f), "safetensors: cannot write " + tmp);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
    f.write(reinterpret_cast<const char*>(len), 8);
    f.write(text.data(), std::streamsize(text.size()));
    for (const auto& b : blobs) f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    f.flush();
    if (!f) throw Error("safetensors: writing " + path + " failed");
  });
}

NamedTensors load_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  check(bool(f), "safetensors: cannot open " + path);
  const std::vector<uint8_t> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto fail = [&](const std::string& why) { throw Error("safetensors: " + path + ": " + why); };
  if (raw.size() < 8) fail("file is shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(raw[size_t(i)]) << (8 * i);
  if (n > raw.size() - 8) fail("header length " + std::to_string(n) + " runs past the end of the file");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(raw.begin() + 8, raw.begin() + 8 + std::ptrdiff_t(n));
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) fail("header is not a JSON object");
  const uint64_t data_size = raw.size() - 8 - n;
  const uint8_t* data = raw.data() + 8 + n;
  NamedTensors out;
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string& name = it.key();
    const nlohmann::json& e = it.value();
    auto bad = [&](const std::string& why) { fail("tensor '" + name + "': " + why); };
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      bad("needs dtype, shape and data_offsets");
    if (!e["dtype"].is_string()) bad("dtype is not a string");
    const std::string dname = e["dtype"];
    auto dt = std::find_if(dtype_names().begin(), dtype_names().end(), [&](const auto& p) { return p.first == dname; });
    if (dt == dtype_names().end()) bad("unknown dtype '" + dname + "'");
    if (!e["shape"].is_array()) bad("shape is not an array");
    Shape shape;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned()) bad("shape has a non-integer or negative dimension");
      const uint64_t extent = d.get<uint64_t>();
      if (extent > uint64_t(kMaxElements)) bad("dimension " + std::to_string(extent) + " is implausibly large");
      shape.push_back(int64_t(extent));
    }
    // Checked before anything (numel, strides, the byte count below) multiplies the extents.
    const std::vector<int64_t> extents = const_shape(shape);
    const std::optional<int64_t> count = checked_product(std::span<const int64_t>(extents));
    if (!count || *count > kMaxElements) bad("shape " + shape_str(shape) + " is implausibly large (more than 2^40 elements)");
    const auto& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      bad("data_offsets must be two non-negative integers");
    const uint64_t begin = off[0], end = off[1];
    if (begin > end || end > data_size)
      bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + ") are outside the " +
          std::to_string(data_size) + "-byte data section");
    const uint64_t want = uint64_t(*count) * uint64_t(dt->second.itemsize());  // <= 2^40 elements of <= 8 bytes
    if (end - begin != want)
      bad("holds " + std::to_string(end - begin) + " bytes but shape " + shape_str(shape) + " of " + dname + " needs " +
          std::to_string(want));
    spans.push_back({begin, end});
    out.push_back({name, Tensor::from_blob(data + begin, shape, dt->second)});
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].first < spans[i - 1].second) fail("tensors overlap in the data section");
  return out;
}

void load_state_dict(nn::Module& module, const NamedTensors& state) {
  nn::NamedTensors params = module.named_parameters();
  std::vector<std::pair<Tensor*, const Tensor*>> plan;
  for (auto& entry : params) {
    const std::string& name = entry.first;
    Tensor& p = entry.second;
    auto it = std::find_if(state.begin(), state.end(), [&name](const auto& s) { return s.first == name; });
    check(it != state.end(), "load_state_dict: missing '" + name + "'");
    check(it->second.shape() == p.shape() && it->second.dtype() == p.dtype(), [&] {
      return "load_state_dict: '" + name + "' is " + shape_str(it->second.shape()) + " " +
             std::string(it->second.dtype().name()) + " in the file but " + shape_str(p.shape()) + " " +
             std::string(p.dtype().name()) + " in the model";
    });
    plan.push_back({&p, &it->second});
  }
  for (const auto& entry : state) {
    const std::string& name = entry.first;
    check(std::any_of(params.begin(), params.end(), [&name](const auto& p) { return p.first == name; }),
          "load_state_dict: unexpected '" + name + "'");
  }
  for (auto& [p, v] : plan) p->assign(*v);  // handles share state: the module's parameters change
}

}  // namespace anneal::io
