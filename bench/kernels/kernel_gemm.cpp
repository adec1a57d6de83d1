#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "kernels.h"
#include "kernels/cpu/generic/gemm.h"
#include "kernels/cpu/generic/pack_b.h"
#include "kernels/cpu/generic/qgemm_microkernel.h"
#include "kernels/cpu/generic/qlinear.h"
#include "kernels/cpu/generic/qpack.h"
#include "random_fill.h"
#include "thread_pool.h"

namespace llmopt::bench {
namespace {

namespace kc = kernels::cpu;

volatile int32_t g_sink;  // microkernel results end here

std::string shapeText(int64_t m, int64_t k, int64_t n) {
  return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
}

// The variant's microkernel over every row block x panel group of an m-row product: the int8
// multiply-accumulate alone, with no quantization and no dequantizing epilogue. u holds the
// quantized rows lda bytes apart, padded to a whole block of the widest variant.
void microkernelPass(const kc::QGemmVariant& v, int64_t m, int64_t kq, const uint8_t* u,
                     int64_t lda, const int8_t* w, int64_t panels) {
  alignas(64) int32_t acc[kc::kQGemmMaxMr * kc::kQGemmAccStride];
  const int64_t panel_stride = kq * 64;
  const kc::QGemmRun run(v, kq);
  for (int64_t p0 = 0; p0 < panels; p0 += kc::kQGemmPanels) {
    const int group = static_cast<int>(std::min<int64_t>(kc::kQGemmPanels, panels - p0));
    for (int64_t i = 0; i < m; i += v.mr) {
      const int rows = static_cast<int>(std::min<int64_t>(v.mr, m - i));
      v.microkernel(kq, u + i * lda, lda, w + p0 * panel_stride, panel_stride, group, rows, acc);
    }
  }
  g_sink = g_sink + acc[0];
}

void addInt8Fractions(Row& row, const Limits& lim, bool amx) {
  addFraction(row, "vnni_zmm", "of vpdpbusd peak", lim.vnni_zmm_gmacs);
  if (amx) addFraction(row, "amx", "of amx peak", lim.amx_gmacs);
}

}  // namespace

void benchInt8Gemm(const Settings& s, const Limits& lim, RowLog& log) {
  const int64_t m = s.gemm_m, k = s.gemm_k, n = s.gemm_n;
  const int64_t kq = (k + 3) / 4, panels = kc::qPanelCount(n);
  std::vector<int8_t> w(n * k);
  fillBytes(w.data(), w.size(), 1);
  AlignedBuffer packed(kc::packedW8A8Bytes(n, k));
  kc::packW8A8(w.data(), n, k, packed.as<int8_t>());
  std::vector<int32_t> colsum(panels * 16);
  kc::w8a8ColumnSums(w.data(), n, k, colsum.data());
  std::vector<float> w_scale(panels * 16, 0.01f), bias(n);
  fillFloats(bias.data(), bias.size(), 2);
  AlignedBuffer x(m * k * sizeof(float)), y(m * n * sizeof(float));
  fillFloats(x.as<float>(), m * k, 3);
  AlignedBuffer scratch(kc::linearW8A8ScratchBytes(m, k, n));
  // The microkernel's operand: quantized rows, as linearW8A8 lays them out in its scratch.
  const int64_t lda = (4 * kq + 63) / 64 * 64;
  const int64_t padded_rows = (m + kc::kQGemmMaxMr - 1) / kc::kQGemmMaxMr * kc::kQGemmMaxMr;
  AlignedBuffer u(padded_rows * lda);
  fillBytes(u.data(), u.size(), 4);

  const std::string shape = shapeText(m, k, n);
  const double macs = static_cast<double>(m) * n * k;
  size_t count = 0;
  const kc::QGemmVariant* variants = kc::qgemmVariants(&count);
  for (size_t i = 0; i < count; ++i) {
    const kc::QGemmVariant& v = variants[i];
    const std::string id = std::string("int8_gemm.") + v.name;
    const std::string label = "int8 gemm " + shape + " " + v.name;
    if (!v.supported) {
      log.add(unsupportedRow(id + ".linear", label + " linearW8A8", 1));
      log.add(unsupportedRow(id + ".microkernel", label + " microkernel", 1));
      continue;
    }
    const bool amx = std::string(v.name) == "amx";

    kc::LinearW8A8Args args;
    args.x = x.as<float>();
    args.m = m;
    args.k = k;
    args.n = n;
    args.w = packed.as<int8_t>();
    args.w_colsum = colsum.data();
    args.w_scale = w_scale.data();
    args.bias = bias.data();
    args.y = y.as<float>();
    args.scratch = scratch.data();
    args.variant = &v;
    Row linear = rateRow(id + ".linear", label + " linearW8A8", 1,
                         measureRate(s.timing, macs, [&] { kc::linearW8A8(args); }), 1e9, "GMAC/s");
    linear.params = {{"m", m}, {"k", k}, {"n", n}, {"mr", v.mr}};
    addInt8Fractions(linear, lim, amx);
    const auto params = linear.params;
    log.add(std::move(linear));
    if (s.threads > 1 && &v == &kc::bestQGemmVariant()) {
      // The whole layer on the thread pool, as the runtime runs it: the scaling from one thread
      // (the fraction is of the peak of that many cores).
      rt::ThreadPool pool(s.threads);
      Row many = rateRow(
          id + ".linear." + std::to_string(s.threads), label + " linearW8A8", s.threads,
          measureRate(s.timing, macs, [&] { kc::linearW8A8(args, &pool); }), 1e9, "GMAC/s");
      many.params = params;
      if (amx)
        addFraction(many, "amx", "of amx peak x threads", lim.amx_gmacs * s.threads);
      else
        addFraction(many, "vnni_zmm", "of vpdpbusd peak x threads", lim.vnni_zmm_gmacs * s.threads);
      log.add(std::move(many));
    }

    Row micro = rateRow(
        id + ".microkernel", label + " microkernel", 1,
        measureRate(
            s.timing, macs,
            [&] { microkernelPass(v, m, kq, u.as<uint8_t>(), lda, packed.as<int8_t>(), panels); }),
        1e9, "GMAC/s");
    micro.params = {{"m", m}, {"k", k}, {"n", n}, {"mr", v.mr}};
    addInt8Fractions(micro, lim, amx);
    log.add(std::move(micro));
  }
}

void benchFp32Gemm(const Settings& s, const Limits& lim, RowLog& log) {
  const int64_t m = s.gemm_m, k = s.gemm_k, n = s.gemm_n;
  AlignedBuffer a(m * k * sizeof(float)), c(m * n * sizeof(float));
  fillFloats(a.as<float>(), m * k, 5);
  std::vector<float> b(k * n);
  fillFloats(b.data(), b.size(), 6);
  AlignedBuffer packed(kc::panelCount(n) * k * 16 * sizeof(float));
  kc::packWeightsN16(b.data(), k, n, packed.as<float>());
  AlignedBuffer scratch(kc::gemmScratchFloats(m, n, k, kc::BLayout::PackedN16) * sizeof(float));

  kc::GemmArgs args;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a = a.as<float>();
  args.lda = k;
  args.b = packed.as<float>();
  args.b_layout = kc::BLayout::PackedN16;
  args.c = c.as<float>();
  args.ldc = n;
  args.scratch = scratch.as<float>();
  const double flops = 2.0 * m * n * k;
  Row row =
      rateRow("fp32_gemm." + std::string(kc::bestGemmMicrokernel().name),
              "fp32 gemm " + shapeText(m, k, n) + " " + kc::bestGemmMicrokernel().name + " gemmF32",
              1, measureRate(s.timing, flops, [&] { kc::gemmF32(args); }), 1e9, "GFLOP/s");
  row.params = {{"m", m}, {"k", k}, {"n", n}};
  // The machine's widest FMA is the limit, whichever microkernel the library picked.
  if (lim.fma_zmm_gflops > 0)
    addFraction(row, "fma_zmm", "of zmm fma peak", lim.fma_zmm_gflops);
  else
    addFraction(row, "fma_ymm", "of ymm fma peak", lim.fma_ymm_gflops);
  log.add(std::move(row));
}

}  // namespace llmopt::bench
