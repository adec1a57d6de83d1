// Sessions of "cuda" artifacts through the C API, without a GPU: the driver is missing, or it is
// the fake of fake_cuda_driver.cpp (LLMOPT_CUDA_DRIVER), which has no device or a host-memory
// "device" that runs cuda_reference_kernels.h. Proves the error paths, and that a CUDA session
// uploads, lays out, launches (with the geometry and OpArgs of op_args.h), downloads, reports
// faults and frees everything, with the CPU session's results, op by op and as CUDA graphs.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "api_test_util.h"
#include "plan_builder.h"

#ifndef LLMOPT_FAKE_CUDA_DRIVER
#error "LLMOPT_FAKE_CUDA_DRIVER must be the path of the fake driver library"
#endif

namespace llmopt::testing {
namespace {

// The fake driver's own counters (the runtime dlopens the same library, so they are shared).
struct FakeDriver {
  void* library = dlopen(LLMOPT_FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
  int call(const char* name) const {
    auto* function = reinterpret_cast<int (*)()>(dlsym(library, name));
    EXPECT_NE(function, nullptr) << name;
    return function ? function() : -1;
  }
  int liveAllocations() const { return call("llmopt_fake_cuda_live_allocations"); }
  int liveHandles() const { return call("llmopt_fake_cuda_live_handles"); }
  int retainedContexts() const { return call("llmopt_fake_cuda_retained_contexts"); }
  int contextDepth() const { return call("llmopt_fake_cuda_context_depth"); }
  int launches() const { return call("llmopt_fake_cuda_launches"); }
  int liveHostAllocations() const { return call("llmopt_fake_cuda_live_host_allocations"); }
  int graphCaptures() const { return call("llmopt_fake_cuda_graph_captures"); }
  int graphLaunches() const { return call("llmopt_fake_cuda_graph_launches"); }
};

// Appends the fake "fatbin" (text, NUL-terminated) to the builder's weights as its cuda module.
void makeCuda(PlanBuilder& b, const std::string& image_archs,
              const std::vector<std::string>& plan_archs, const std::string& kernels) {
  const std::string image = "LLMOPT-FAKE-CUDA archs=" + image_archs + " kernels=" + kernels;
  b.target = "cuda";
  b.cuda_archs = plan_archs;
  b.cuda_image_offset = (b.weights.size() + 63) / 64 * 64;
  b.cuda_image_bytes = image.size() + 1;
  b.weights.resize(b.cuda_image_offset, 0);
  b.weights.insert(b.weights.end(), image.c_str(), image.c_str() + image.size() + 1);
}

class CudaSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(fake_.library, nullptr) << dlerror();
    setenv("LLMOPT_CUDA_DRIVER", LLMOPT_FAKE_CUDA_DRIVER, 1);
    setenv("LLMOPT_FAKE_CUDA_SM", "80", 1);
  }
  void TearDown() override {
    // Whatever the test made, everything is given back once its sessions are freed.
    EXPECT_EQ(fake_.liveAllocations(), 0);
    EXPECT_EQ(fake_.liveHandles(), 0);
    EXPECT_EQ(fake_.retainedContexts(), 0);
    EXPECT_EQ(fake_.contextDepth(), 0);
    unsetenv("LLMOPT_CUDA_DRIVER");
    unsetenv("LLMOPT_FAKE_CUDA_SM");
  }

  llmopt_status create(const std::vector<uint8_t>& artifact, ModelPtr* model, SessionPtr* session) {
    *model = loadOrFail(artifact);
    if (!*model) return LLMOPT_ERROR_INVALID_ARTIFACT;
    llmopt_session* raw = reinterpret_cast<llmopt_session*>(0x1);
    const llmopt_status status = llmopt_session_create(model->get(), nullptr, &raw);
    if (status != LLMOPT_OK) {
      EXPECT_EQ(raw, nullptr);
    }
    session->reset(raw);
    EXPECT_EQ(fake_.contextDepth(), 0);  // every call pops the context it pushed
    return status;
  }

  // A session of plan `b` with the fake image for sm_80 (the fake device's): `kernels` per op.
  llmopt_status createOnSm80(PlanBuilder b, const std::string& kernels, ModelPtr* model,
                             SessionPtr* session) {
    makeCuda(b, "sm_80", {"sm_80"}, kernels);
    artifact_ = b.build();  // the model reads it in place
    return create(artifact_, model, session);
  }

  FakeDriver fake_;
  std::vector<uint8_t> artifact_;
};

// x [batch, 3] + b [3] -> t; s = t[batch - 1 : batch]; m = t * s; c = concat(m, x) along 1;
// y = c transposed [6, batch]; z = s reshaped [3].
PlanBuilder elementwisePlan() {
  PlanBuilder b;
  const uint32_t batch = b.symbol("batch");
  const DimSpec rows = dimOfSymbol(batch);
  const uint32_t x = b.input("x", {rows, dimOf(3)});
  const uint32_t bias = b.constant("b", {3}, {0.5f, -1.0f, 2.0f});
  const uint32_t t = b.intermediate("t", {rows, dimOf(3)}, 0);
  const uint32_t s = b.intermediate("s", {dimOf(1), dimOf(3)}, 1);
  const uint32_t m = b.intermediate("m", {rows, dimOf(3)}, 2);
  const uint32_t c = b.intermediate("c", {rows, dimOf(6)}, 3);
  const uint32_t y = b.output("y", {dimOf(6), rows}, 4);
  const uint32_t z = b.output("z", {dimOf(3)}, 5);
  b.binary("add", plan::BinaryKind::Add, x, bias, t);
  b.slice("last_row", {0}, {symInt(-1, rows)}, {1}, t, s);
  b.binary("mul", plan::BinaryKind::Mul, t, s, m);
  b.concat("join", 1, {m, x}, c);
  b.transpose("flip", {1, 0}, c, y);
  b.copy("flatten", s, z);
  return b;
}
const char* kElementwiseKernels = "add_f32,view,mul_f32,concat1,view,view";

// table [4, 2] gathered by ids [n] (int64).
PlanBuilder gatherPlan() {
  PlanBuilder b;
  const uint32_t n = b.symbol("n");
  const uint32_t ids = b.input("ids", {dimOfSymbol(n)}, plan::DType::I64);
  const uint32_t table = b.constant("table", {4, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
  const uint32_t y = b.output("rows", {dimOfSymbol(n), dimOf(2)}, 0);
  b.gather("lookup", 0, table, ids, y);
  return b;
}

std::vector<float> outputFloats(llmopt_session* session, size_t index,
                                std::vector<int64_t>* dims = nullptr) {
  llmopt_tensor out;
  EXPECT_EQ(llmopt_session_get_output(session, index, &out), LLMOPT_OK) << llmopt_last_error();
  if (dims) dims->assign(out.dims, out.dims + out.rank);
  const float* data = static_cast<const float*>(out.data);
  return std::vector<float>(data, data + out.size_bytes / sizeof(float));
}

// The CPU session's outputs for the same plan and input.
std::vector<std::vector<float>> cpuOutputs(PlanBuilder b, const std::vector<float>& x,
                                           int64_t batch) {
  std::unique_ptr<Loaded> cpu = load(b);
  const int64_t dims[2] = {batch, 3};
  EXPECT_EQ(llmopt_session_set_input(cpu->session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                     x.size() * sizeof(float)),
            LLMOPT_OK);
  EXPECT_EQ(llmopt_session_run(cpu->session.get()), LLMOPT_OK) << llmopt_last_error();
  return {outputFloats(cpu->session.get(), 0), outputFloats(cpu->session.get(), 1)};
}

TEST_F(CudaSessionTest, NoDriverIsUnsupportedAndNamesTheLibrary) {
  setenv("LLMOPT_CUDA_DRIVER", "/nonexistent/libcuda-for-llmopt-tests.so.1", 1);
  PlanBuilder b = elementwisePlan();
  makeCuda(b, "sm_80", {"sm_80"}, kElementwiseKernels);
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model;
  SessionPtr session;
  EXPECT_TRUE(failsWith(create(artifact, &model, &session), LLMOPT_ERROR_UNSUPPORTED,
                        "this artifact targets CUDA, but no CUDA driver was found "
                        "(LLMOPT_CUDA_DRIVER: /nonexistent/libcuda-for-llmopt-tests.so.1: "
                        "cannot open shared object file"));
}

TEST_F(CudaSessionTest, NoDeviceIsUnsupported) {
  unsetenv("LLMOPT_FAKE_CUDA_SM");  // the fake's cuInit: CUDA_ERROR_NO_DEVICE
  PlanBuilder b = elementwisePlan();
  makeCuda(b, "sm_80", {"sm_80"}, kElementwiseKernels);
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model;
  SessionPtr session;
  EXPECT_TRUE(failsWith(create(artifact, &model, &session), LLMOPT_ERROR_UNSUPPORTED,
                        "this artifact targets CUDA, but no CUDA device was found (cuInit: "
                        "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected))"));
}

TEST_F(CudaSessionTest, CodeForOtherArchitecturesIsUnsupported) {
  PlanBuilder b = elementwisePlan();
  makeCuda(b, "sm_90,sm_100", {"sm_90", "sm_100"}, kElementwiseKernels);
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model;
  SessionPtr session;
  EXPECT_TRUE(failsWith(create(artifact, &model, &session), LLMOPT_ERROR_UNSUPPORTED,
                        "the artifact's GPU code is for sm_90,sm_100 and cannot run on llmopt "
                        "fake GPU (sm_80): cuModuleLoadData: CUDA_ERROR_NO_BINARY_FOR_GPU"));
}

TEST_F(CudaSessionTest, AMissingKernelIsAnInvalidArtifact) {
  PlanBuilder b = elementwisePlan();
  makeCuda(b, "sm_80", {"sm_80"}, "add_f32,view");
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model;
  SessionPtr session;
  EXPECT_TRUE(failsWith(create(artifact, &model, &session), LLMOPT_ERROR_INVALID_ARTIFACT,
                        "op 'mul' (mul_f32): the artifact's GPU code has no kernel llmopt_k2 "
                        "(cuModuleGetFunction: CUDA_ERROR_NOT_FOUND"));
}

TEST_F(CudaSessionTest, RunsLikeTheCpuSessionAcrossShapes) {
  PlanBuilder b = elementwisePlan();
  PlanBuilder cpu_plan = b;
  makeCuda(b, "sm_80,sm_90", {"sm_80", "sm_90"}, kElementwiseKernels);
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model;
  SessionPtr session;
  ASSERT_EQ(create(artifact, &model, &session), LLMOPT_OK) << llmopt_last_error();

  llmopt_tensor out;
  EXPECT_TRUE(failsWith(llmopt_session_get_output(session.get(), 0, &out), LLMOPT_ERROR_STATE,
                        "no successful run yet"));
  EXPECT_TRUE(
      failsWith(llmopt_session_run(session.get()), LLMOPT_ERROR_STATE, "input 'x' is not set"));
  EXPECT_EQ(llmopt_session_allocations(session.get()), 0u);
  // Device allocations each run makes: the arena and the input's copy at first, then the arena
  // again when 5 rows outgrow it (the input's copy has 256 bytes at least).
  const std::vector<std::pair<int64_t, uint64_t>> runs = {{2, 2}, {1, 0}, {2, 0}, {5, 1}};
  for (auto [batch, new_allocations] : runs) {
    std::vector<float> x(batch * 3);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.25f - 1.0f;
    const int64_t dims[2] = {batch, 3};
    ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                       x.size() * sizeof(float)),
              LLMOPT_OK);
    ASSERT_EQ(llmopt_session_plan(session.get()), LLMOPT_OK) << llmopt_last_error();
    // The device arena: the six slots in 64-byte multiples, no CPU scratch.
    const auto aligned = [](int64_t bytes) { return uint64_t((bytes + 63) / 64 * 64); };
    EXPECT_EQ(llmopt_session_arena_bytes(session.get()),
              2 * aligned(12 * batch) + 2 * aligned(24 * batch) + 2 * aligned(12));
    const uint64_t allocations = llmopt_session_allocations(session.get());
    const int launches = fake_.launches();
    ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
    EXPECT_EQ(fake_.launches() - launches, 6);
    EXPECT_EQ(fake_.contextDepth(), 0);
    std::vector<int64_t> y_dims, z_dims;
    const std::vector<float> y = outputFloats(session.get(), 0, &y_dims);
    const std::vector<float> z = outputFloats(session.get(), 1, &z_dims);
    EXPECT_EQ(y_dims, (std::vector<int64_t>{6, batch}));
    EXPECT_EQ(z_dims, (std::vector<int64_t>{3}));
    const std::vector<std::vector<float>> expected = cpuOutputs(cpu_plan, x, batch);
    EXPECT_EQ(y, expected[0]) << "batch " << batch;
    EXPECT_EQ(z, expected[1]) << "batch " << batch;
    EXPECT_EQ(llmopt_session_allocations(session.get()) - allocations, new_allocations)
        << "batch " << batch;
  }
  // The outputs come down into page-locked host memory (one block each, 256 bytes at least).
  EXPECT_EQ(fake_.liveHostAllocations(), 2);
  // Another symbol value invalidates the outputs until the next run, as on the CPU.
  std::vector<float> x(9, 1.0f);
  const int64_t dims[2] = {3, 3};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                     x.size() * sizeof(float)),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_plan(session.get()), LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_get_output(session.get(), 0, &out), LLMOPT_ERROR_STATE,
                        "no successful run yet"));
}

TEST_F(CudaSessionTest, GatherFaultsNameTheOpAndEmptyOpsAreSkipped) {
  ModelPtr model;
  SessionPtr session;
  ASSERT_EQ(createOnSm80(gatherPlan(), "gather", &model, &session), LLMOPT_OK)
      << llmopt_last_error();

  const std::vector<int64_t> ids = {3, -1, 0};
  int64_t n = 3;
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 1, &n, ids.data(),
                                     ids.size() * sizeof(int64_t)),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(outputFloats(session.get(), 0), (std::vector<float>{30, 31, 30, 31, 0, 1}));

  const std::vector<int64_t> bad = {1, 4};
  n = 2;
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 1, &n, bad.data(),
                                     bad.size() * sizeof(int64_t)),
            LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(session.get()), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "op 'lookup' (gather): a gather index (from 'ids') is outside [-4, 4) "
                        "along axis 0 of 'table'"));
  llmopt_tensor out;
  EXPECT_TRUE(failsWith(llmopt_session_get_output(session.get(), 0, &out), LLMOPT_ERROR_STATE,
                        "no successful run yet"));

  // The fault word is zeroed again for the next run.
  n = 3;
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 1, &n, ids.data(),
                                     ids.size() * sizeof(int64_t)),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();

  n = 0;  // no rows: the op has nothing to do and is not launched
  const int launches = fake_.launches();
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 1, &n, nullptr, 0),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(fake_.launches(), launches);
  ASSERT_EQ(llmopt_session_get_output(session.get(), 0, &out), LLMOPT_OK);
  EXPECT_EQ(out.rank, 2);
  EXPECT_EQ(out.dims[0], 0);
  EXPECT_EQ(out.size_bytes, 0u);
}

TEST_F(CudaSessionTest, TheKvCacheIsUnsupported) {
  ModelPtr model;
  SessionPtr session;
  ASSERT_EQ(createOnSm80(gatherPlan(), "gather", &model, &session), LLMOPT_OK)
      << llmopt_last_error();
  const char* kMessage = "the KV cache does not run on CUDA yet";
  const int64_t token = 1;
  EXPECT_TRUE(failsWith(llmopt_session_reset(session.get()), LLMOPT_ERROR_UNSUPPORTED, kMessage));
  EXPECT_TRUE(failsWith(llmopt_session_extend(session.get()), LLMOPT_ERROR_UNSUPPORTED, kMessage));
  EXPECT_TRUE(failsWith(llmopt_session_prefill(session.get(), &token, 1), LLMOPT_ERROR_UNSUPPORTED,
                        kMessage));
  EXPECT_TRUE(
      failsWith(llmopt_session_step(session.get(), token), LLMOPT_ERROR_UNSUPPORTED, kMessage));
  EXPECT_EQ(llmopt_session_cache_length(session.get()), 0);
}

TEST_F(CudaSessionTest, ProfilingTimesEveryOp) {
  ModelPtr model;
  SessionPtr session;
  ASSERT_EQ(createOnSm80(elementwisePlan(), kElementwiseKernels, &model, &session), LLMOPT_OK)
      << llmopt_last_error();
  std::vector<float> x(12, 0.5f);
  const int64_t dims[2] = {4, 3};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                     x.size() * sizeof(float)),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_set_profiling(session.get(), 1), LLMOPT_OK);
  for (int run = 0; run < 2; ++run)
    ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(llmopt_session_profiled_runs(session.get()), 2u);
  for (size_t i = 0; i < llmopt_model_num_ops(model.get()); ++i) {
    double seconds = -1.0;
    ASSERT_EQ(llmopt_session_op_seconds(session.get(), i, &seconds), LLMOPT_OK);
    EXPECT_GE(seconds, 0.0);
  }
  double seconds;
  EXPECT_TRUE(failsWith(llmopt_session_op_seconds(session.get(), 6, &seconds),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "op index 6 is out of range (6 ops)"));
  ASSERT_EQ(llmopt_session_set_profiling(session.get(), 0), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_profiled_runs(session.get()), 2u);
}

TEST_F(CudaSessionTest, GraphReplayRunsLikeLaunchesOpByOp) {
  ModelPtr model;
  SessionPtr session;
  ASSERT_EQ(createOnSm80(elementwisePlan(), kElementwiseKernels, &model, &session), LLMOPT_OK)
      << llmopt_last_error();
  ASSERT_EQ(llmopt_session_set_graph_replay(session.get(), 1), LLMOPT_OK) << llmopt_last_error();

  // A graph is captured by the first run and again when the batch (every shape) changes; 5 rows
  // also grow the arena. New input values with the same shapes reuse it: the input's copy to the
  // GPU is outside the graph.
  const std::vector<std::pair<int64_t, int>> runs = {{2, 1}, {2, 0}, {1, 1}, {1, 0},
                                                     {5, 1}, {5, 0}, {2, 1}};
  int round = 0;
  std::vector<float> x;  // bound to the session until the test ends: the later runs read it
  for (auto [batch, new_captures] : runs) {
    x.assign(batch * 3, 0.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + round) * 0.25f - 1.0f;
    ++round;
    const int64_t dims[2] = {batch, 3};
    ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                       x.size() * sizeof(float)),
              LLMOPT_OK);
    const int captures = fake_.graphCaptures(), graph_launches = fake_.graphLaunches();
    const int launches = fake_.launches();
    ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
    EXPECT_EQ(fake_.graphCaptures() - captures, new_captures) << "batch " << batch;
    EXPECT_EQ(fake_.graphLaunches() - graph_launches, 1);
    EXPECT_EQ(fake_.launches() - launches, 6);  // the graph's kernels, run once each
    const std::vector<std::vector<float>> expected = cpuOutputs(elementwisePlan(), x, batch);
    EXPECT_EQ(outputFloats(session.get(), 0), expected[0]) << "batch " << batch;
    EXPECT_EQ(outputFloats(session.get(), 1), expected[1]) << "batch " << batch;
  }

  // Profiling runs launch op by op, between their events; the graph stays for later runs.
  ASSERT_EQ(llmopt_session_set_profiling(session.get(), 1), LLMOPT_OK);
  int graph_launches = fake_.graphLaunches();
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(fake_.graphLaunches(), graph_launches);
  EXPECT_EQ(llmopt_session_profiled_runs(session.get()), 1u);
  ASSERT_EQ(llmopt_session_set_profiling(session.get(), 0), LLMOPT_OK);
  const int captures = fake_.graphCaptures();
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(fake_.graphLaunches(), graph_launches + 1);
  EXPECT_EQ(fake_.graphCaptures(), captures);

  // Off: the graph is destroyed (TearDown would see it live otherwise) and ops launch one by one.
  const int handles = fake_.liveHandles();
  ASSERT_EQ(llmopt_session_set_graph_replay(session.get(), 0), LLMOPT_OK);
  EXPECT_EQ(fake_.liveHandles(), handles - 2);  // the graph and its executable
  graph_launches = fake_.graphLaunches();
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(fake_.graphLaunches(), graph_launches);
}

TEST_F(CudaSessionTest, GraphReplayReportsFaultsAndZeroesThemForTheNextRun) {
  ModelPtr model;
  SessionPtr session;
  ASSERT_EQ(createOnSm80(gatherPlan(), "gather", &model, &session), LLMOPT_OK)
      << llmopt_last_error();
  ASSERT_EQ(llmopt_session_set_graph_replay(session.get(), 1), LLMOPT_OK);
  const std::vector<int64_t> bad = {1, 4}, good = {3, 0};
  const int64_t n = 2;
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 1, &n, bad.data(),
                                     bad.size() * sizeof(int64_t)),
            LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(session.get()), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "op 'lookup' (gather): a gather index (from 'ids') is outside [-4, 4)"));
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 1, &n, good.data(),
                                     good.size() * sizeof(int64_t)),
            LLMOPT_OK);
  const int captures = fake_.graphCaptures();
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(fake_.graphCaptures(), captures);  // the same shapes: the same graph
  EXPECT_EQ(outputFloats(session.get(), 0), (std::vector<float>{30, 31, 0, 1}));
}

TEST_F(CudaSessionTest, GraphReplayIsForCudaSessionsOnly) {
  std::unique_ptr<Loaded> cpu = load(gatherPlan());
  EXPECT_TRUE(failsWith(llmopt_session_set_graph_replay(cpu->session.get(), 1),
                        LLMOPT_ERROR_UNSUPPORTED,
                        "CUDA graph replay is for sessions of cuda artifacts"));
  EXPECT_TRUE(failsWith(llmopt_session_set_graph_replay(nullptr, 1), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "llmopt_session_set_graph_replay: session is NULL"));
}

}  // namespace
}  // namespace llmopt::testing
