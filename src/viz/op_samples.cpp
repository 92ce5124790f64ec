#include "viz/op_samples.h"

#include "anneal/support/error.h"
#include "anneal/tensor/gradient.h"
#include "anneal/tensor/tensor.h"
#include "anneal/tensor/variable.h"
#include "anneal/uop/graph.h"

namespace anneal::viz {

UOp symbolic_operand(const Shape& shape, DType dtype) {
  return UOp::buffer("CPU", max_numel(shape), dtype).view_as(shape);
}

namespace {

// Collects the operands of one sample as it is built.
class SampleBuilder {
 public:
  Tensor operand(const std::string& name, const Shape& shape, DType dtype = dtypes::float32) {
    return operand(name, symbolic_operand(shape, dtype));
  }
  Tensor operand(const std::string& name, const UOp& u) {
    operands_.push_back({name, u});
    return Tensor(u);
  }
  // A sample whose node is the program's result.
  OpSample done(std::string code, const Tensor& out) const { return {std::move(code), operands_, out.uop(), out.uop()}; }
  // A sample whose node is a part of the program (a leaf it reads), or of no program (out null).
  OpSample part(std::string code, const UOp& node, const UOp& out) const { return {std::move(code), operands_, node, out}; }

 private:
  std::vector<Operand> operands_;
};

// The first node of `op` in `root`'s graph.
UOp find_op(const UOp& root, Ops op) {
  for (const UOp& u : toposort(root))
    if (u.is(op)) return u;
  throw Error("explain: no " + std::string(op_name(op)) + " in the sample graph");
}

// The TUPLE a gradient rule returns for `node` given an incoming gradient of its shape.
UOp gradient_tuple(const UOp& node) {
  UOp g = symbolic_operand(shape_of(node), node.dtype());
  return gradient_rules().rewrite(node, &g);
}

const Shape k23{2, 3};

std::optional<OpSample> build_ir_sample(Ops op) {
  SampleBuilder s;
  using enum Ops;
  switch (op) {
    case BUFFER: {
      const Tensor a = s.operand("a", k23);
      return s.part("Tensor out = a * 2;", a.uop().src(0), (a * 2.0).uop());
    }
    case CONST: {
      const Tensor a = s.operand("a", k23);
      const Tensor out = a * 0.5;
      return s.part("Tensor out = a * 0.5;", find_op(out.uop(), CONST), out.uop());
    }
    case PARAM:
    case BIND: {
      const Variable n("n", 1, 8);
      const Dim rows = n.bind(4);  // a BIND of the variable (a PARAM) to 4
      const Tensor a = s.operand("a", symbolic_operand({rows, 3}));
      const Tensor out = a * 2.0;
      return s.part("Variable n(\"n\", 1, 8); a: float32 (n.bind(4), 3); Tensor out = a * 2;",
                    op == PARAM ? n.uop() : rows.uop(), out.uop());
    }
    case NOOP:
    case TUPLE: {  // what the gradient rule of WHERE returns: no gradient for the condition
      const Tensor c = s.operand("c", k23, dtypes::bool_), a = s.operand("a", k23), b = s.operand("b", k23);
      const UOp tuple = gradient_tuple(c.where(a, b).uop());
      return s.part("gradient_rules().rewrite(c.where(a, b), &g)", op == TUPLE ? tuple : tuple.src(0), UOp());
    }
    case CAST: {
      const Tensor a = s.operand("a", k23);
      return s.done("Tensor out = a.cast(dtypes::float16);", a.cast(dtypes::float16));
    }
    case EXP2: return s.done("Tensor out = a.exp2();", s.operand("a", k23).exp2());
    case LOG2: return s.done("Tensor out = a.log2();", s.operand("a", k23).log2());
    case SIN: return s.done("Tensor out = a.sin();", s.operand("a", k23).sin());
    case SQRT: return s.done("Tensor out = a.sqrt();", s.operand("a", k23).sqrt());
    case RECIPROCAL: return s.done("Tensor out = a.reciprocal();", s.operand("a", k23).reciprocal());
    case ADD:
    case MUL:
    case MAX:
    case POW:
    case CMPLT:
    case CMPNE:
    case CMPEQ: {
      const Tensor a = s.operand("a", k23), b = s.operand("b", k23);
      if (op == ADD) return s.done("Tensor out = a + b;", a + b);
      if (op == MUL) return s.done("Tensor out = a * b;", a * b);
      if (op == MAX) return s.done("Tensor out = a.maximum(b);", a.maximum(b));
      if (op == POW) return s.done("Tensor out = a.pow(b);", a.pow(b));
      if (op == CMPLT) return s.done("Tensor out = a.lt(b);", a.lt(b));
      if (op == CMPNE) return s.done("Tensor out = a.ne(b);", a.ne(b));
      // The tensor layer writes a == b as not(a != b); the node itself, built directly:
      return s.done("Tensor out(a.uop().alu(Ops::CMPEQ, b.uop()));", Tensor(a.uop().alu(CMPEQ, b.uop())));
    }
    case XOR: {  // min() of an int32 tensor reverses its order with x ^ -1
      const Tensor a = s.operand("a", k23, dtypes::int32), b = s.operand("b", k23, dtypes::int32);
      return s.done("Tensor out(a.uop().alu(Ops::XOR, b.uop()));", Tensor(a.uop().alu(XOR, b.uop())));
    }
    case WHERE: {
      const Tensor c = s.operand("c", k23, dtypes::bool_), a = s.operand("a", k23), b = s.operand("b", k23);
      return s.done("Tensor out = c.where(a, b);", c.where(a, b));
    }
    case CONTIGUOUS: return s.done("Tensor out = a.contiguous();", s.operand("a", k23).contiguous());
    case DETACH: return s.done("Tensor out = a.detach();", s.operand("a", k23).detach());
    case RESHAPE: return s.done("Tensor out = a.reshape({3, 2});", s.operand("a", k23).reshape({3, 2}));
    case PERMUTE: return s.done("Tensor out = a.permute({1, 0});", s.operand("a", k23).permute({1, 0}));
    case EXPAND: return s.done("Tensor out = a.expand({2, 3});", s.operand("a", {2, 1}).expand({2, 3}));
    case PAD: return s.done("Tensor out = a.pad({{1, 0}, {0, 2}});", s.operand("a", k23).pad({{1, 0}, {0, 2}}));
    case SHRINK:
      return s.done("Tensor out = a.shrink({{1, 3}, {0, 2}});", s.operand("a", {3, 4}).shrink({{1, 3}, {0, 2}}));
    case FLIP: return s.done("Tensor out = a.flip({1});", s.operand("a", k23).flip({1}));
    case REDUCE: return s.done("Tensor out = a.sum({1}, true);", s.operand("a", k23).sum({1}, true));
    case WINDOW:
      return s.done("Tensor out = a.windows(1, 3, 1, 1);", s.operand("a", {2, 5}).windows(1, 3, 1, 1));
    case ARANGE: {
      const Tensor out = Tensor::arange(6);
      return s.done("Tensor out = Tensor::arange(6);", out);
    }
    default: return std::nullopt;
  }
}

// ---- the Tensor-level ops ---------------------------------------------------------------------------

template <class F>
OpSample unary(const char* code, F f) {
  SampleBuilder s;
  return s.done(code, f(s.operand("a", k23)));
}
template <class F>
OpSample binary(const char* code, F f) {
  SampleBuilder s;
  const Tensor a = s.operand("a", k23), b = s.operand("b", k23);
  return s.done(code, f(a, b));
}

const std::vector<TensorOp>& tensor_op_table() {
  static const std::vector<TensorOp> ops{
      {"add", "a + b, broadcasting", [] { return binary("Tensor out = a + b;", [](const Tensor& a, const Tensor& b) { return a + b; }); }},
      {"sub", "a - b, written a + b*-1", [] { return binary("Tensor out = a - b;", [](const Tensor& a, const Tensor& b) { return a - b; }); }},
      {"mul", "a * b, broadcasting", [] { return binary("Tensor out = a * b;", [](const Tensor& a, const Tensor& b) { return a * b; }); }},
      {"div", "a / b, written a * (1/b)", [] { return binary("Tensor out = a / b;", [](const Tensor& a, const Tensor& b) { return a / b; }); }},
      {"max", "the elementwise maximum of a and b", [] {
         return binary("Tensor out = a.maximum(b);", [](const Tensor& a, const Tensor& b) { return a.maximum(b); });
       }},
      {"pow", "a to the power b", [] { return binary("Tensor out = a.pow(b);", [](const Tensor& a, const Tensor& b) { return a.pow(b); }); }},
      {"lt", "a < b as bools (no gradient flows through a comparison)", [] {
         return binary("Tensor out = a.lt(b);", [](const Tensor& a, const Tensor& b) { return a.lt(b); });
       }},
      {"neg", "-a, written a*-1", [] { return unary("Tensor out = -a;", [](const Tensor& a) { return -a; }); }},
      {"exp", "e^a, written exp2(a / ln 2)", [] { return unary("Tensor out = a.exp();", [](const Tensor& a) { return a.exp(); }); }},
      {"log", "the natural logarithm, written log2(a) * ln 2", [] {
         return unary("Tensor out = a.log();", [](const Tensor& a) { return a.log(); });
       }},
      {"sin", "the sine", [] { return unary("Tensor out = a.sin();", [](const Tensor& a) { return a.sin(); }); }},
      {"sqrt", "the square root", [] { return unary("Tensor out = a.sqrt();", [](const Tensor& a) { return a.sqrt(); }); }},
      {"relu", "max(a, 0)", [] { return unary("Tensor out = a.relu();", [](const Tensor& a) { return a.relu(); }); }},
      {"sigmoid", "1 / (1 + e^-a)", [] { return unary("Tensor out = a.sigmoid();", [](const Tensor& a) { return a.sigmoid(); }); }},
      {"tanh", "the hyperbolic tangent", [] { return unary("Tensor out = a.tanh();", [](const Tensor& a) { return a.tanh(); }); }},
      {"where", "a where c holds, else b", [] {
         SampleBuilder s;
         const Tensor c = s.operand("c", k23, dtypes::bool_), a = s.operand("a", k23), b = s.operand("b", k23);
         return s.done("Tensor out = c.where(a, b);", c.where(a, b));
       }},
      {"cast", "the values converted to another dtype", [] {
         return unary("Tensor out = a.cast(dtypes::float16);", [](const Tensor& a) { return a.cast(dtypes::float16); });
       }},
      {"reshape", "the same elements with another shape", [] {
         return unary("Tensor out = a.reshape({3, 2});", [](const Tensor& a) { return a.reshape({3, 2}); });
       }},
      {"permute", "the axes reordered", [] {
         return unary("Tensor out = a.permute({1, 0});", [](const Tensor& a) { return a.permute({1, 0}); });
       }},
      {"expand", "size-1 axes repeated (broadcasting)", [] {
         SampleBuilder s;
         return s.done("Tensor out = a.expand({2, 3});", s.operand("a", {2, 1}).expand({2, 3}));
       }},
      {"pad", "zeros added before and after each axis", [] {
         return unary("Tensor out = a.pad({{1, 0}, {0, 2}});", [](const Tensor& a) { return a.pad({{1, 0}, {0, 2}}); });
       }},
      {"shrink", "a [start, end) range of each axis", [] {
         SampleBuilder s;
         return s.done("Tensor out = a.shrink({{1, 3}, {0, 2}});", s.operand("a", {3, 4}).shrink({{1, 3}, {0, 2}}));
       }},
      {"flip", "axes reversed", [] { return unary("Tensor out = a.flip({1});", [](const Tensor& a) { return a.flip({1}); }); }},
      {"sum", "the sum over axes", [] { return unary("Tensor out = a.sum({1});", [](const Tensor& a) { return a.sum({1}); }); }},
      {"max-reduce", "the maximum over axes", [] {
         return unary("Tensor out = a.max({1});", [](const Tensor& a) { return a.max({1}); });
       }},
      {"mean", "the sum over axes times 1/count", [] {
         return unary("Tensor out = a.mean({1});", [](const Tensor& a) { return a.mean({1}); });
       }},
      {"matmul", "the matrix product: (M, 1, K) * (1, N, K) summed over K", [] {
         SampleBuilder s;
         const Tensor a = s.operand("a", {2, 3}), b = s.operand("b", {3, 4});
         return s.done("Tensor out = a.matmul(b);", a.matmul(b));
       }},
      {"softmax", "exp(a - max) / sum(exp(a - max)) along the last axis", [] {
         return unary("Tensor out = a.softmax(-1);", [](const Tensor& a) { return a.softmax(-1); });
       }},
      {"log-softmax", "(a - max) - log(sum(exp(a - max))) along the last axis", [] {
         return unary("Tensor out = a.log_softmax(-1);", [](const Tensor& a) { return a.log_softmax(-1); });
       }},
      {"conv2d", "2-D convolution: windows of the input times the weights, summed over channels and window", [] {
         SampleBuilder s;
         const Tensor x = s.operand("a", {1, 2, 5, 5}), w = s.operand("b", {3, 2, 3, 3});
         return s.done("Tensor out = a.conv2d(b);  // a: (N, C, H, W), b: (O, C, KH, KW)", x.conv2d(w));
       }},
      {"max-pool2d", "the maximum of each 2-D window", [] {
         SampleBuilder s;
         return s.done("Tensor out = a.max_pool2d({2, 2});", s.operand("a", {1, 1, 4, 4}).max_pool2d({2, 2}));
       }},
  };
  return ops;
}

}  // namespace

std::optional<OpSample> ir_op_sample(Ops op) {
  std::optional<OpSample> s = build_ir_sample(op);
  // The sample must show the op itself: a tensor-layer change that builds it differently is caught here.
  check(!s || s->node.is(op), [&] {
    return "explain: the sample of " + std::string(op_name(op)) + " is a " + std::string(op_name(s->node.op())) + " node";
  });
  return s;
}

std::span<const TensorOp> tensor_ops() { return tensor_op_table(); }

const TensorOp* find_tensor_op(std::string_view name) {
  for (const TensorOp& t : tensor_op_table())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace anneal::viz
