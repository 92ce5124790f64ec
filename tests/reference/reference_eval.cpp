#include "reference_eval.h"

#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/host_memory.h"
#include "anneal/uop/exec_alu.h"
#include "anneal/uop/graph.h"

namespace anneal::reference {
namespace {

std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = shape[i] ? flat % shape[i] : 0;
    flat = shape[i] ? flat / shape[i] : 0;
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t flat = 0;
  for (size_t i = 0; i < shape.size(); ++i) flat = flat * shape[i] + idx[i];
  return flat;
}

double round_to(DType d, double v) {
  if (d.is_float()) return truncate_to(d, ConstValue::floating(v)).as_float();
  if (d.is_bool()) return v != 0.0 ? 1.0 : 0.0;
  if (std::isnan(v)) return 0.0;
  return double(truncate_to(d, ConstValue::integer(int64_t(std::trunc(v)))).as_int());
}

// out[i] = in[map(i)], or 0 where map says the element is outside (padding).
HostTensor gather(const HostTensor& in, const Shape& out_shape, DType dtype,
                  const std::function<bool(std::vector<int64_t>&)>& map) {
  HostTensor out{out_shape, dtype, std::vector<double>(size_t(numel(out_shape)), 0.0)};
  for (int64_t f = 0; f < numel(out_shape); ++f) {
    std::vector<int64_t> idx = unravel(f, out_shape);
    if (map(idx)) out.data[size_t(f)] = in.data[size_t(ravel(idx, in.shape))];
  }
  return out;
}

double alu(Ops op, DType operand, const std::vector<double>& a) {
  const bool f = operand.is_float();
  switch (op) {
    case Ops::ADD: return a[0] + a[1];
    case Ops::MUL: return a[0] * a[1];
    case Ops::MAX: return a[0] > a[1] ? a[0] : a[1];
    case Ops::CMPLT: return a[0] < a[1];
    case Ops::CMPNE: return a[0] != a[1];
    case Ops::WHERE: return a[0] != 0.0 ? a[1] : a[2];
    case Ops::EXP2: return std::exp2(a[0]);
    case Ops::LOG2: return std::log2(a[0]);
    case Ops::SIN: return std::sin(a[0]);
    case Ops::SQRT: return std::sqrt(a[0]);
    case Ops::RECIPROCAL: return 1.0 / a[0];
    case Ops::POW: return std::pow(a[0], a[1]);
    case Ops::NEG: return -a[0];
    case Ops::AND: return f ? 0.0 : double(int64_t(a[0]) & int64_t(a[1]));
    case Ops::OR: return f ? 0.0 : double(int64_t(a[0]) | int64_t(a[1]));
    case Ops::XOR: return f ? 0.0 : double(int64_t(a[0]) ^ int64_t(a[1]));
    default: throw Error("reference: no rule for " + std::string(op_name(op)));
  }
}

HostTensor eval_node(const UOp& u, const std::unordered_map<const void*, HostTensor>& done) {
  auto in = [&](size_t i) -> const HostTensor& { return done.at(u.src(i).get()); };
  const Shape& shape = shape_of(u);
  const DType d = u.dtype();
  const auto* tup = u.arg().as_tuple();
  switch (u.op()) {
    case Ops::BUFFER: {
      const auto* b = u.arg().as<BufferArg>();
      const std::vector<uint8_t> bytes = download(u);
      return {shape, d, read_elements(bytes.data(), d, size_t(b->size))};
    }
    case Ops::CONST: return {shape, d, {u.const_value().as_float()}};
    case Ops::ARANGE: {
      const int64_t n = shape[0];
      std::vector<double> v(static_cast<size_t>(n));
      for (size_t i = 0; i < v.size(); ++i) v[i] = double(i);
      return {shape, d, v};
    }
    case Ops::CONTIGUOUS:
    case Ops::DETACH: return in(0);
    case Ops::RESHAPE: return {shape, d, in(0).data};
    case Ops::EXPAND:
      return gather(in(0), shape, d, [&](std::vector<int64_t>& idx) {
        for (size_t i = 0; i < idx.size(); ++i)
          if (in(0).shape[i] == 1) idx[i] = 0;
        return true;
      });
    case Ops::PERMUTE:
      return gather(in(0), shape, d, [&](std::vector<int64_t>& idx) {
        std::vector<int64_t> src(idx.size());
        for (size_t i = 0; i < idx.size(); ++i) src[size_t((*tup)[i])] = idx[i];
        idx = src;
        return true;
      });
    case Ops::FLIP:
      return gather(in(0), shape, d, [&](std::vector<int64_t>& idx) {
        for (size_t i = 0; i < idx.size(); ++i)
          if ((*tup)[i]) idx[i] = shape[i] - 1 - idx[i];
        return true;
      });
    case Ops::WINDOW:  // (axis, k, s, d): element (o, j) of the window is x[o s + j d]
      return gather(in(0), shape, d, [&](std::vector<int64_t>& idx) {
        const size_t axis = size_t((*tup)[0]);
        idx[axis] = idx[axis] * (*tup)[2] + idx.back() * (*tup)[3];
        idx.pop_back();
        return true;
      });
    case Ops::SHRINK:
      return gather(in(0), shape, d, [&](std::vector<int64_t>& idx) {
        for (size_t i = 0; i < idx.size(); ++i) idx[i] += (*tup)[2 * i];
        return true;
      });
    case Ops::PAD:
      return gather(in(0), shape, d, [&](std::vector<int64_t>& idx) {
        for (size_t i = 0; i < idx.size(); ++i) {
          idx[i] -= (*tup)[2 * i];
          if (idx[i] < 0 || idx[i] >= in(0).shape[i]) return false;
        }
        return true;
      });
    case Ops::REDUCE: {
      const Ops op = Ops((*tup)[0]);
      const double init = op == Ops::ADD ? 0.0 : -std::numeric_limits<double>::infinity();
      HostTensor out{shape, d, std::vector<double>(size_t(numel(shape)), init)};
      for (int64_t f = 0; f < numel(in(0).shape); ++f) {
        std::vector<int64_t> idx = unravel(f, in(0).shape);
        for (size_t k = 1; k < tup->size(); ++k) idx[size_t((*tup)[k])] = 0;
        double& acc = out.data[size_t(ravel(idx, shape))];
        const double v = in(0).data[size_t(f)];
        acc = round_to(d, op == Ops::ADD ? acc + v : (v > acc ? v : acc));
      }
      return out;
    }
    case Ops::CAST: {
      HostTensor out{shape, d, in(0).data};
      for (double& v : out.data) v = round_to(d, v);
      return out;
    }
    default: {
      HostTensor out{shape, d, std::vector<double>(size_t(numel(shape)))};
      const DType operand = u.src(u.is(Ops::WHERE) ? 1 : 0).dtype();
      std::vector<double> args(u.num_srcs());
      for (int64_t f = 0; f < numel(shape); ++f) {
        for (size_t i = 0; i < u.num_srcs(); ++i) {
          const HostTensor& s = in(i);
          args[i] = s.data.size() == 1 && numel(shape) != 1 ? s.data[0] : s.data[size_t(f)];
        }
        out.data[size_t(f)] = round_to(d, alu(u.op(), operand, args));
      }
      return out;
    }
  }
}

}  // namespace

HostTensor evaluate(const UOp& root) {
  std::unordered_map<const void*, HostTensor> done;
  for (const UOp& u : toposort(root)) done.emplace(u.get(), eval_node(u, done));
  return done.at(root.get());
}

}  // namespace anneal::reference
