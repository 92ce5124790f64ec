#include "anneal/uop/arg.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "anneal/support/bits.h"

namespace anneal {

int64_t ConstValue::as_int() const {
  if (kind_ == Kind::Float) {
    if (!std::isfinite(f_)) return 0;
    if (f_ >= 9.2233720368547758e18) return INT64_MAX;
    if (f_ <= -9.2233720368547758e18) return INT64_MIN;
    return int64_t(f_);
  }
  return i_;
}
double ConstValue::as_float() const { return kind_ == Kind::Float ? f_ : double(i_); }
bool ConstValue::as_bool() const { return kind_ == Kind::Float ? f_ != 0.0 : i_ != 0; }

bool operator==(const ConstValue& a, const ConstValue& b) {
  if (a.kind_ != b.kind_) return false;
  if (a.kind_ != ConstValue::Kind::Float) return a.i_ == b.i_;
  if (std::isnan(a.f_) && std::isnan(b.f_)) return true;
  return bit_cast<uint64_t>(a.f_) == bit_cast<uint64_t>(b.f_);
}

void ConstValue::hash(Hasher& h) const {
  h.word(uint64_t(kind_));
  if (kind_ == Kind::Float) h.word(std::isnan(f_) ? 0x7FF8000000000000ULL : bit_cast<uint64_t>(f_));
  else h.word(uint64_t(i_));
}

std::string ConstValue::str() const {
  switch (kind_) {
    case Kind::Bool: return i_ ? "True" : "False";
    case Kind::Int: return std::to_string(i_);
    case Kind::Invalid: return "Invalid";
    case Kind::Float: {
      if (std::isnan(f_)) return "nan";
      if (std::isinf(f_)) return f_ > 0 ? "inf" : "-inf";
      std::ostringstream os;
      os.precision(9);
      os << f_;
      std::string s = os.str();
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      return s;
    }
  }
  return "?";
}

bool ParamArg::equals(const ArgObject& other) const {
  const auto* o = dynamic_cast<const ParamArg*>(&other);
  return o && slot == o->slot && name == o->name && addrspace == o->addrspace && bounds == o->bounds;
}
void ParamArg::hash(Hasher& h) const {
  h.bytes("ParamArg");
  h.word(uint64_t(slot));
  h.bytes(name);
  h.word(uint64_t(addrspace));
  h.word(bounds ? 1 : 0);
  if (bounds) {
    h.word(uint64_t(bounds->first));
    h.word(uint64_t(bounds->second));
  }
}
std::string ParamArg::str() const {
  std::string s = name.empty() ? "param" + std::to_string(slot) : name;
  if (bounds) s += "[" + std::to_string(bounds->first) + ".." + std::to_string(bounds->second) + "]";
  return s;
}

bool BufferArg::equals(const ArgObject& other) const {
  const auto* o = dynamic_cast<const BufferArg*>(&other);
  return o && id == o->id;
}
void BufferArg::hash(Hasher& h) const {
  h.bytes("BufferArg");
  h.word(uint64_t(id));
}
std::string BufferArg::str() const { return device + ":buf" + std::to_string(id) + "[" + std::to_string(size) + "]"; }

bool operator==(const Arg& a, const Arg& b) {
  if (a.v_.index() != b.v_.index()) return false;
  if (const auto* oa = std::get_if<Arg::Object>(&a.v_)) {
    const auto& ob = std::get<Arg::Object>(b.v_);
    return oa->get() == ob.get() || (*oa && ob && (*oa)->equals(*ob));
  }
  return a.v_ == b.v_;
}

void Arg::hash(Hasher& h) const {
  h.word(v_.index());
  std::visit(
      [&h](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ConstValue>) x.hash(h);
        else if constexpr (std::is_same_v<T, int64_t>) h.word(uint64_t(x));
        else if constexpr (std::is_same_v<T, std::string>) h.bytes(x);
        else if constexpr (std::is_same_v<T, Tuple>) {
          h.word(x.size());
          for (int64_t v : x) h.word(uint64_t(v));
        } else if constexpr (std::is_same_v<T, Object>) {
          if (x) x->hash(h);
        }
      },
      v_);
}

std::string Arg::str() const {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "";
        else if constexpr (std::is_same_v<T, ConstValue>) return x.str();
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(x);
        else if constexpr (std::is_same_v<T, std::string>) return "'" + x + "'";
        else if constexpr (std::is_same_v<T, Tuple>) {
          std::string s = "(";
          for (size_t i = 0; i < x.size(); ++i) s += (i ? ", " : "") + std::to_string(x[i]);
          return s + (x.size() == 1 ? ",)" : ")");
        } else return x ? x->str() : "null";
      },
      v_);
}

int Arg::compare(const Arg& a, const Arg& b) {
  if (a.v_.index() != b.v_.index()) return a.v_.index() < b.v_.index() ? -1 : 1;
  if (a == b) return 0;
  if (const auto* ca = a.as_const()) {
    const ConstValue& cb = *b.as_const();
    if (ca->kind() != cb.kind()) return ca->kind() < cb.kind() ? -1 : 1;
    if (ca->is_float()) return ca->as_float() < cb.as_float() ? -1 : 1;
    return ca->as_int() < cb.as_int() ? -1 : 1;
  }
  if (const auto* ia = a.as_int()) return *ia < *b.as_int() ? -1 : 1;
  if (const auto* sa = a.as_string()) return *sa < *b.as_string() ? -1 : 1;
  if (const auto* ta = a.as_tuple()) return *ta < *b.as_tuple() ? -1 : 1;
  // Objects: order by their printed form, then by hash; both are process independent.
  std::string sa = a.str(), sb = b.str();
  if (sa != sb) return sa < sb ? -1 : 1;
  Hasher ha, hb;
  a.hash(ha);
  b.hash(hb);
  return ha.finish() < hb.finish() ? -1 : 1;
}

}  // namespace anneal
