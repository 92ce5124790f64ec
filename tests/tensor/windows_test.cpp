// Convolution, pooling and index ops against direct loop implementations written here, plus the
// reference evaluator of the same graphs.
#include <cmath>

#include "op_test_util.h"

using namespace anneal;
using namespace anneal::testing;

namespace {

struct Conv {
  int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};

std::vector<double> naive_conv(const std::vector<double>& x, const std::vector<double>& wt, const std::vector<double>& b,
                               const Conv& p, int64_t& oh, int64_t& ow) {
  oh = (p.h + 2 * p.ph - p.dh * (p.kh - 1) - 1) / p.sh + 1;
  ow = (p.w + 2 * p.pw - p.dw * (p.kw - 1) - 1) / p.sw + 1;
  const int64_t cin = p.c / p.groups, cout = p.o / p.groups;
  std::vector<double> out(size_t(p.n * p.o * oh * ow), 0.0);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t o = 0; o < p.o; ++o)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double acc = b.empty() ? 0.0 : b[size_t(o)];
          const int64_t g = o / cout;
          for (int64_t ci = 0; ci < cin; ++ci)
            for (int64_t ky = 0; ky < p.kh; ++ky)
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                const int64_t iy = y * p.sh + ky * p.dh - p.ph, ix = xx * p.sw + kx * p.dw - p.pw;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                const int64_t c = g * cin + ci;
                acc += x[size_t(((n * p.c + c) * p.h + iy) * p.w + ix)] *
                       wt[size_t(((o * cin + ci) * p.kh + ky) * p.kw + kx)];
              }
          out[size_t(((n * p.o + o) * oh + y) * ow + xx)] = acc;
        }
  return out;
}

}  // namespace

TEST(Conv2d, MatchesDirectLoops) {
  const std::vector<Conv> cases = {
      {1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},  // the classic 3x3, pad 1
      {2, 2, 7, 9, 3, 2, 3, 2, 1, 0, 1, 1, 1, 1},  // strides and rectangular kernels
      {1, 2, 9, 9, 2, 3, 3, 1, 2, 2, 0, 2, 2, 1},  // dilation
      {2, 4, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2},  // groups
      {1, 1, 5, 5, 1, 5, 5, 1, 1, 0, 0, 1, 1, 1},  // kernel as large as the input
  };
  uint64_t seed = 40;
  for (const Conv& p : cases) {
    SCOPED_TRACE("conv case seed " + std::to_string(seed));
    Tensor x = random_tensor({p.n, p.c, p.h, p.w}, seed++);
    Tensor w = random_tensor({p.o, p.c / p.groups, p.kh, p.kw}, seed++);
    Tensor b = random_tensor({p.o}, seed++);
    const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>(), bv = b.to_vector<double>();
    int64_t oh = 0, ow = 0;
    const std::vector<double> want = naive_conv(xv, wv, bv, p, oh, ow);
    Tensor y = x.conv2d(w, b, {p.sh, p.sw}, {p.ph, p.pw}, {p.dh, p.dw}, p.groups);
    ASSERT_EQ(y.shape(), (Shape{p.n, p.o, oh, ow}));
    expect_matches_reference(y, 1e-5, 1e-5);
    const std::vector<double> got = y.to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << i;
  }
}

TEST(Pooling, MaxAndAverageMatchDirectLoops) {
  Tensor x = random_tensor({2, 3, 6, 7}, 5);
  const std::vector<double> xv = x.to_vector<double>();
  Tensor m = x.max_pool2d({2, 2});
  Tensor a = x.avg_pool2d({3, 2}, {1, 2});
  Tensor mp = x.max_pool2d({3, 3}, {2, 2}, {1, 1});
  ASSERT_EQ(m.shape(), (Shape{2, 3, 3, 3}));
  ASSERT_EQ(a.shape(), (Shape{2, 3, 4, 3}));
  ASSERT_EQ(mp.shape(), (Shape{2, 3, 3, 4}));
  auto at = [&](int64_t n, int64_t c, int64_t y, int64_t xx) { return xv[size_t(((n * 3 + c) * 6 + y) * 7 + xx)]; };
  const std::vector<double> mv = m.to_vector<double>(), av = a.to_vector<double>(), mpv = mp.to_vector<double>();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t y = 0; y < 3; ++y)
        for (int64_t xx = 0; xx < 3; ++xx) {
          double best = -INFINITY;
          for (int64_t ky = 0; ky < 2; ++ky)
            for (int64_t kx = 0; kx < 2; ++kx) best = std::max(best, at(n, c, 2 * y + ky, 2 * xx + kx));
          EXPECT_DOUBLE_EQ(mv[size_t(((n * 3 + c) * 3 + y) * 3 + xx)], best);
        }
      for (int64_t y = 0; y < 4; ++y)
        for (int64_t xx = 0; xx < 3; ++xx) {
          double sum = 0;
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 2; ++kx) sum += at(n, c, y + ky, 2 * xx + kx);
          EXPECT_NEAR(av[size_t(((n * 3 + c) * 4 + y) * 3 + xx)], sum / 6, 1e-6);
        }
      for (int64_t y = 0; y < 3; ++y)
        for (int64_t xx = 0; xx < 4; ++xx) {
          double best = -INFINITY;
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx) {
              const int64_t iy = 2 * y + ky - 1, ix = 2 * xx + kx - 1;
              if (iy >= 0 && iy < 6 && ix >= 0 && ix < 7) best = std::max(best, at(n, c, iy, ix));
            }
          EXPECT_DOUBLE_EQ(mpv[size_t(((n * 3 + c) * 3 + y) * 4 + xx)], best);
        }
    }
}

TEST(IndexOps, ArgmaxCumsumGatherOneHotVar) {
  Tensor x = Tensor::of({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 9}, {3, 4});
  EXPECT_EQ(x.argmax(1).to_vector<int>(), (std::vector<int>{2, 1, 3}));  // first maximum wins
  EXPECT_EQ(x.argmax(0).to_vector<int>(), (std::vector<int>{1, 1, 2, 2}));
  EXPECT_EQ(x.cumsum(1).to_vector<float>(), (std::vector<float>{3, 4, 8, 9, 5, 14, 16, 22, 5, 8, 13, 22}));
  EXPECT_EQ(x.cumsum(0).to_vector<float>(), (std::vector<float>{3, 1, 4, 1, 8, 10, 6, 7, 13, 13, 11, 16}));
  Tensor idx = Tensor::from_vector(std::vector<int32_t>{3, 0, 1, 1, 2, 2}, {3, 2});
  EXPECT_EQ(x.gather(1, idx).to_vector<float>(), (std::vector<float>{1, 3, 9, 9, 5, 5}));
  EXPECT_EQ(Tensor::from_vector(std::vector<int32_t>{2, 0}, {2}).one_hot(3).to_vector<int>(),
            (std::vector<int>{0, 0, 1, 1, 0, 0}));
  // var with Bessel's correction: row 0 = {3,1,4,1}: mean 2.25, squares sum 6.75, /3.
  EXPECT_NEAR(x.var({1}).to_vector<double>()[0], 2.25, 1e-6);
  expect_matches_reference(random_tensor({5, 6}, 3).var({0}, true));
  expect_matches_reference(random_tensor({4, 6}, 4).cumsum(1), 1e-5, 1e-5);
}

TEST(IndexOps, RandomInputsAgainstTheReference) {
  Tensor x = random_tensor({4, 6, 5}, 70);
  expect_matches_reference(x.argmax(1));
  expect_matches_reference(x.argmax(-1, true));
  Tensor idx = Tensor::randint({4, 3, 5}, 0, 6);
  expect_matches_reference(x.gather(1, idx));
  expect_matches_reference(Tensor::randint({7}, 0, 5).one_hot(5));
  expect_matches_reference(x.cumsum(0), 1e-5, 1e-5);
}

TEST(Views, OpsOnNonContiguousInputs) {
  Tensor x = random_tensor({6, 5}, 80), w = random_tensor({6, 4}, 81);
  expect_matches_reference(x.transpose().flip({0}).matmul(w), 1e-5, 1e-5);
  expect_matches_reference(x.permute({1, 0}).softmax(-1));
  expect_matches_reference(x.pad({{1, 1}, {0, 2}}).shrink({{0, 7}, {1, 7}}).max({0}));
  Tensor img = random_tensor({1, 2, 6, 6}, 82).flip({3}).permute({0, 1, 3, 2});
  expect_matches_reference(img.conv2d(random_tensor({3, 2, 3, 3}, 83), Tensor(), {1, 1}, {1, 1}), 1e-5, 1e-5);
  expect_matches_reference(img.max_pool2d({2, 2}));
}
