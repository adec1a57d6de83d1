// The loader refuses every broken artifact with a status and a one-line message saying what is
// wrong. Plans with semantic errors are built with a correct checksum, so they reach validation.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "api_test_util.h"
#include "format/artifact_container.h"

namespace llmopt::testing {
namespace {

llmopt_status loadBytes(const std::vector<uint8_t>& bytes, int verify_checksum = 1) {
  llmopt_load_options options = LLMOPT_LOAD_OPTIONS_INIT;
  options.verify_checksum = verify_checksum;
  llmopt_model* model = nullptr;
  llmopt_status status = llmopt_model_load_memory(bytes.data(), bytes.size(), &options, &model);
  EXPECT_EQ(status == LLMOPT_OK, model != nullptr);
  llmopt_model_free(model);
  return status;
}

artifact::ArtifactHeader headerOf(const std::vector<uint8_t>& file) {
  artifact::ArtifactHeader h;
  std::memcpy(&h, file.data(), sizeof h);
  return h;
}

// Rewrites a header field and fixes the checksum, so only the edited field is wrong.
void editHeader(std::vector<uint8_t>& file,
                const std::function<void(artifact::ArtifactHeader&)>& edit) {
  artifact::ArtifactHeader h = headerOf(file);
  edit(h);
  std::memcpy(file.data(), &h, sizeof h);
  h.checksum = artifact::checksumOfFile(file.data(), file.size());
  std::memcpy(file.data(), &h, sizeof h);
}

TEST(LoaderRejects, MissingFile) {
  llmopt_model* model = reinterpret_cast<llmopt_model*>(1);
  EXPECT_TRUE(failsWith(llmopt_model_load_file("/nonexistent/dir/m.llmo", nullptr, &model),
                        LLMOPT_ERROR_IO, "cannot open '/nonexistent/dir/m.llmo'"));
  EXPECT_EQ(model, nullptr);
}

TEST(LoaderRejects, Directory) {
  llmopt_model* model;
  EXPECT_TRUE(failsWith(llmopt_model_load_file("/", nullptr, &model), LLMOPT_ERROR_IO,
                        "not a regular file"));
}

TEST(LoaderRejects, EmptyFile) {
  const std::string path = writeTempFile("empty", {});
  llmopt_model* model;
  EXPECT_TRUE(failsWith(llmopt_model_load_file(path.c_str(), nullptr, &model),
                        LLMOPT_ERROR_INVALID_ARTIFACT, "truncated artifact: 0 bytes"));
  EXPECT_NE(std::string(llmopt_last_error()).find(path), std::string::npos);
  std::remove(path.c_str());
  EXPECT_TRUE(failsWith(loadBytes({}), LLMOPT_ERROR_INVALID_ARTIFACT, "truncated"));
}

TEST(LoaderRejects, TruncatedFile) {
  Mlp mlp = makeMlp(8, 4, plan::WeightLayout::KN);
  std::vector<uint8_t> cut(mlp.artifact.begin(), mlp.artifact.end() - 10);
  const std::string path = writeTempFile("truncated", cut);
  llmopt_model* model;
  EXPECT_TRUE(failsWith(llmopt_model_load_file(path.c_str(), nullptr, &model),
                        LLMOPT_ERROR_INVALID_ARTIFACT, "truncated artifact: header says"));
  std::remove(path.c_str());
  cut.resize(40);
  EXPECT_TRUE(failsWith(loadBytes(cut), LLMOPT_ERROR_INVALID_ARTIFACT,
                        "smaller than the 64-byte header"));
}

TEST(LoaderRejects, BadMagic) {
  Mlp mlp = makeMlp(8, 4, plan::WeightLayout::KN);
  mlp.artifact[0] = 'X';
  EXPECT_TRUE(failsWith(loadBytes(mlp.artifact), LLMOPT_ERROR_INVALID_ARTIFACT, "bad magic"));
}

TEST(LoaderRejects, NewerFormatVersion) {
  Mlp mlp = makeMlp(8, 4, plan::WeightLayout::KN);
  editHeader(mlp.artifact, [](auto& h) { h.format_version = LLMOPT_FORMAT_VERSION + 1; });
  EXPECT_TRUE(failsWith(loadBytes(mlp.artifact), LLMOPT_ERROR_UNSUPPORTED,
                        "format version 5 is newer than this runtime reads (4)"));
}

TEST(LoaderRejects, OlderFormatVersion) {
  Mlp mlp = makeMlp(8, 4, plan::WeightLayout::KN);
  editHeader(mlp.artifact, [](auto& h) { h.format_version = 1; });
  EXPECT_TRUE(failsWith(loadBytes(mlp.artifact), LLMOPT_ERROR_UNSUPPORTED,
                        "artifact format version 1 is older than this runtime reads (4): "
                        "recompile the model"));
}

TEST(LoaderRejects, HeaderTargetOtherThanThePlans) {
  Mlp mlp = makeMlp(8, 4, plan::WeightLayout::KN);
  editHeader(mlp.artifact, [](auto& h) { h.target = 1; });
  EXPECT_TRUE(failsWith(loadBytes(mlp.artifact), LLMOPT_ERROR_INVALID_ARTIFACT,
                        "the header's target (cuda) is not the plan's (cpu)"));
}

// The counterpart of the cuda rejections below: a well-formed cuda plan loads (running it needs a
// GPU; tests/cuda covers that), its code and architectures reported.
TEST(LoaderAccepts, CudaPlan) {
  Mlp mlp = makeMlp(8, 20, plan::WeightLayout::PackedN16);
  PlanBuilder& b = mlp.builder;
  b.target = "cuda";
  b.cuda_archs = {"sm_80", "sm_90"};
  b.cuda_image_offset = (b.weights.size() + 63) / 64 * 64;
  b.cuda_image_bytes = 100;
  b.weights.resize(b.cuda_image_offset + b.cuda_image_bytes, 0x5a);
  const std::vector<uint8_t> bytes = b.build();
  llmopt_model* model = nullptr;
  ASSERT_EQ(llmopt_model_load_memory(bytes.data(), bytes.size(), nullptr, &model), LLMOPT_OK)
      << llmopt_last_error();
  EXPECT_STREQ(llmopt_model_target(model), "cuda");
  EXPECT_STREQ(llmopt_model_cuda_archs(model), "sm_80,sm_90");
  EXPECT_EQ(llmopt_model_cuda_code_bytes(model), 100u);
  llmopt_model_free(model);
}

TEST(LoaderRejects, AnyFlippedByteAfterTheHeader) {
  Mlp mlp = makeMlp(8, 20, plan::WeightLayout::PackedN16);
  const artifact::ArtifactHeader h = headerOf(mlp.artifact);
  ASSERT_GT(h.weights_bytes, 0u);
  for (size_t i = artifact::kHeaderBytes; i < mlp.artifact.size(); ++i) {
    std::vector<uint8_t> bad = mlp.artifact;
    bad[i] ^= 0x20;
    ASSERT_TRUE(failsWith(loadBytes(bad), LLMOPT_ERROR_INVALID_ARTIFACT, "checksum mismatch"))
        << "byte " << i;
  }
  // Header bytes: always refused, by a header check or the checksum.
  for (size_t i = 0; i < artifact::kHeaderBytes; ++i) {
    std::vector<uint8_t> bad = mlp.artifact;
    bad[i] ^= 0x20;
    ASSERT_NE(loadBytes(bad), LLMOPT_OK) << "byte " << i;
  }
}

TEST(LoaderRejects, ChecksumCheckCanBeTurnedOff) {
  Mlp mlp = makeMlp(8, 4, plan::WeightLayout::KN);
  const artifact::ArtifactHeader h = headerOf(mlp.artifact);
  mlp.artifact[h.weights_offset] ^= 0x20;  // a weight changes; the plan is intact
  EXPECT_EQ(loadBytes(mlp.artifact, 0), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(loadBytes(mlp.artifact, 1), LLMOPT_ERROR_INVALID_ARTIFACT);
}

TEST(LoaderRejects, GarbagePlanWithValidChecksum) {
  std::vector<uint8_t> garbage(200);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 5);
  auto file = artifact::packArtifact(artifact::Target::Cpu, garbage.data(), garbage.size(),
                                     nullptr, 0);
  EXPECT_TRUE(failsWith(loadBytes(file), LLMOPT_ERROR_INVALID_ARTIFACT,
                        "plan fails FlatBuffers verification"));
}

TEST(LoaderRejects, MisalignedMemory) {
  Mlp mlp = makeMlp(8, 4, plan::WeightLayout::KN);
  std::vector<uint8_t> shifted(mlp.artifact.size() + 1);
  std::memcpy(shifted.data() + 1, mlp.artifact.data(), mlp.artifact.size());
  llmopt_model* model;
  EXPECT_TRUE(failsWith(
      llmopt_model_load_memory(shifted.data() + 1, mlp.artifact.size(), nullptr, &model),
      LLMOPT_ERROR_INVALID_ARGUMENT, "8-byte aligned"));
}

TEST(LoaderRejects, NullArguments) {
  llmopt_model* model;
  EXPECT_TRUE(failsWith(llmopt_model_load_file(nullptr, nullptr, &model),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "path is NULL"));
  EXPECT_TRUE(failsWith(llmopt_model_load_memory(nullptr, 10, nullptr, &model),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "data is NULL"));
  EXPECT_TRUE(failsWith(llmopt_model_load_memory(nullptr, 0, nullptr, nullptr),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "out_model is NULL"));
}

// --- semantic validation: each case breaks one thing in a valid MLP plan -------------------------

struct SemanticCase {
  const char* what;
  std::function<void(PlanBuilder&)> breakIt;
  llmopt_status status;
  const char* message;
};

void PrintTo(const SemanticCase& c, std::ostream* os) { *os << c.what; }

class SemanticRejection : public ::testing::TestWithParam<SemanticCase> {};

TEST_P(SemanticRejection, RefusedWithMessage) {
  Mlp mlp = makeMlp(8, 20, plan::WeightLayout::PackedN16);
  // Tensors: 0 x, 1 W, 2 b, 3 h, 4 r, 5 y. Ops: 0 fc, 1 act, 2 probs.
  GetParam().breakIt(mlp.builder);
  EXPECT_TRUE(failsWith(loadBytes(mlp.builder.build()), GetParam().status, GetParam().message));
}

const SemanticCase kSemanticCases[] = {
    {"op input index out of range", [](PlanBuilder& b) { b.ops[0].inputs[0] = 99; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'fc': input 0 is tensor 99, the plan has 6 tensors"},
    {"op output index out of range", [](PlanBuilder& b) { b.ops[1].outputs[0] = 6; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'act': output is tensor 6"},
    {"constant past the blob",
     [](PlanBuilder& b) { b.tensors[1].weight_offset = b.weights.size() - 64; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "constant 'W': bytes ["},
    {"constant offset wraps",
     [](PlanBuilder& b) { b.tensors[2].weight_offset = ~uint64_t(0) - 63; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "run past the"},
    {"constant bytes disagree with shape", [](PlanBuilder& b) { b.tensors[2].weight_bytes -= 4; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "constant 'b': weight_bytes is 76"},
    {"constant misaligned", [](PlanBuilder& b) { b.tensors[2].weight_offset -= 4; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "not 64-byte aligned"},
    {"symbolic constant", [](PlanBuilder& b) { b.tensors[2].shape[0] = dimOfSymbol(0); },
     LLMOPT_ERROR_INVALID_ARTIFACT, "constant 'b': dim 0 is symbolic"},
    {"slot out of range",
     [](PlanBuilder& b) {
       b.tensors[4].slot = 7;
       b.num_slots = 2;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "tensor 'r': slot 7 is out of range (the plan has 2 slots)"},
    {"symbol out of range", [](PlanBuilder& b) { b.tensors[3].shape[0].syms[0] = 4; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "tensor 'h': dim 0 uses symbol 4"},
    {"zero denominator", [](PlanBuilder& b) { b.tensors[3].shape[0].den = 0; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "tensor 'h': dim 0 has num 1, den 0"},
    {"rank over 8", [](PlanBuilder& b) { b.tensors[4].shape.resize(9, dimOf(1)); },
     LLMOPT_ERROR_INVALID_ARTIFACT, "tensor 'r': rank 9 exceeds 8"},
    {"unknown dtype", [](PlanBuilder& b) { b.tensors[4].dtype = static_cast<plan::DType>(42); },
     LLMOPT_ERROR_INVALID_ARTIFACT, "tensor 'r': unknown dtype 42"},
    {"unbound symbol",
     [](PlanBuilder& b) {
       b.symbol("seq");
       b.tensors[3].shape[0] = dimOfSymbol(1);
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "symbol 'seq' is not bound"},
    {"symbol bound only through a compound dim",
     [](PlanBuilder& b) { b.tensors[0].shape[0] = dimOfSymbol(0, 2); },
     LLMOPT_ERROR_INVALID_ARTIFACT, "symbol 'batch' is not bound"},
    {"op without params", [](PlanBuilder& b) { b.ops[1].params_type = plan::OpParams::NONE; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'act': has no params"},
    {"linear missing bias input", [](PlanBuilder& b) { b.ops[0].inputs.pop_back(); },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'fc' (linear_f32): 2 inputs, the kernel takes 3"},
    {"linear weight shape", [](PlanBuilder& b) { b.ops[0].n = 40; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "weight 'W' must have shape [ceil(n/16), k, 16]"},
    {"linear residual flag without the residual",
     [](PlanBuilder& b) { b.ops[0].residual = true; }, LLMOPT_ERROR_INVALID_ARTIFACT,
     "op 'fc' (linear_f32): 3 inputs, the kernel takes 4"},
    {"linear epilogue activation unknown",
     [](PlanBuilder& b) { b.ops[0].activation = static_cast<plan::Activation>(9); },
     LLMOPT_ERROR_UNSUPPORTED, "op 'fc' (linear_f32): unknown epilogue activation 9"},
    {"swiglu epilogue with an odd n",
     [](PlanBuilder& b) {
       b.ops[0].activation = plan::Activation::Swiglu;
       b.ops[0].n = 21;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT,
     "op 'fc' (linear_f32): the swiglu epilogue needs an even n (gate and up rows), not 21"},
    {"linear weight not constant", [](PlanBuilder& b) { b.ops[0].inputs[1] = 0; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "weight 'x' is not a constant"},
    {"wrong dtype", [](PlanBuilder& b) { b.tensors[4].dtype = plan::DType::I32; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'act' (relu_f32): output 'r' is i32"},
    {"softmax axis", [](PlanBuilder& b) { b.ops[2].axis = 2; }, LLMOPT_ERROR_INVALID_ARTIFACT,
     "op 'probs' (softmax_f32): axis 2 is outside [0, 2)"},
    {"unknown unary kind", [](PlanBuilder& b) { b.ops[1].kind = 17; }, LLMOPT_ERROR_UNSUPPORTED,
     "op 'act': unknown unary kind 17"},
    {"read before written", [](PlanBuilder& b) { std::swap(b.ops[0], b.ops[1]); },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'act': input 0, tensor 'h', is read before any op writes"},
    {"written twice", [](PlanBuilder& b) { b.ops[2].outputs[0] = 4; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'probs': writes tensor 'r', already written"},
    {"writes a constant", [](PlanBuilder& b) { b.ops[2].outputs[0] = 1; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "op 'probs': writes tensor 'W', which is a constant"},
    // act writes r over h, which probs still reads.
    {"slot shared by live tensors",
     [](PlanBuilder& b) {
       b.tensors[4].slot = 0;
       b.ops[2].inputs = {3};
     },
     LLMOPT_ERROR_INVALID_ARTIFACT,
     "slot 0 holds tensors 'h' and 'r' while both are live (ops 0-2 and 1-1)"},
    {"output never written",
     [](PlanBuilder& b) {
       b.ops.pop_back();
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "tensor 'y' is never written"},
    {"outputs list names an intermediate", [](PlanBuilder& b) { b.outputs = {3}; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "plan output 0, tensor 'h', is not of kind Output"},
    {"input listed twice", [](PlanBuilder& b) { b.inputs = {0, 0}; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "tensor 'x' is listed twice in the plan's inputs"},
    {"too many slots", [](PlanBuilder& b) { b.num_slots = 1000; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "plan declares 1000 arena slots for 6 tensors"},
    {"plan for another target", [](PlanBuilder& b) { b.target = "tpu"; },
     LLMOPT_ERROR_UNSUPPORTED, "plan targets 'tpu'; this runtime executes 'cpu' and 'cuda' plans"},
    {"cuda plan without its module", [](PlanBuilder& b) { b.target = "cuda"; },
     LLMOPT_ERROR_INVALID_ARTIFACT, "a 'cuda' plan has no cuda module"},
    {"cpu plan with a cuda module",
     [](PlanBuilder& b) {
       b.cuda_archs = {"sm_90"};
       b.cuda_image_bytes = 64;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "a 'cpu' plan carries a cuda module"},
    {"cuda image outside the weights",
     [](PlanBuilder& b) {
       b.target = "cuda";
       b.cuda_archs = {"sm_90"};
       b.cuda_image_offset = b.weights.size();
       b.cuda_image_bytes = 64;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "is empty, misaligned or outside the"},
    {"cuda image misaligned",
     [](PlanBuilder& b) {
       b.target = "cuda";
       b.cuda_archs = {"sm_90"};
       b.cuda_image_offset = 8;
       b.cuda_image_bytes = 8;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "is empty, misaligned or outside the"},
    {"cuda module with an empty architecture",
     [](PlanBuilder& b) {
       b.target = "cuda";
       b.cuda_archs = {""};
       b.cuda_image_bytes = 64;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "cuda module has an empty architecture"},
    {"cuda module without a kernel for every op",
     [](PlanBuilder& b) {
       b.target = "cuda";
       b.cuda_archs = {"sm_90"};
       b.cuda_image_bytes = 64;
       b.cuda_op_kernels = std::vector<uint32_t>{0};
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "cuda module names kernels for 1 ops, the plan has"},
    {"cuda op runs a kernel not yet numbered",
     [](PlanBuilder& b) {
       b.target = "cuda";
       b.cuda_archs = {"sm_90"};
       b.cuda_image_bytes = 64;
       b.cuda_op_kernels = std::vector<uint32_t>(b.ops.size(), 0);
       b.cuda_op_kernels->back() = 5;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT, "runs kernel 5 before kernel 1 is used"},
};

INSTANTIATE_TEST_SUITE_P(Plans, SemanticRejection, ::testing::ValuesIn(kSemanticCases),
                         [](const auto& info) {
                           std::string name = info.param.what;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// Runs `mlp` (built by makeMlp(8, 20, ...), then edited) on x [2, 8]: the run must fail with
// an invalid-artifact error containing `message`.
void expectRunRejects(Mlp& mlp, const char* message) {
  const std::vector<uint8_t> artifact = mlp.builder.build();
  ModelPtr model = loadOrFail(artifact);
  ASSERT_TRUE(model);
  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  std::vector<float> x(16);
  const int64_t dims[2] = {2, 8};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(), 64),
            LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(session.get()), LLMOPT_ERROR_INVALID_ARTIFACT, message));
}

// Shapes that only resolve at run time are checked against each kernel before anything runs.
TEST(RunRejects, OutputShapeDisagreesWithKernel) {
  Mlp mlp = makeMlp(8, 20, plan::WeightLayout::KN);
  mlp.builder.tensors[3].shape[1] = dimOf(21);  // h: [batch, 21] but fc computes [batch, 20]
  expectRunRejects(mlp, "op 'fc' (linear_f32): output 'h' has shape [2, 21], the op computes "
                        "[2, 20]");
}

// The swiglu epilogue halves the product's features: an output of the product's width is wrong.
TEST(RunRejects, SwigluOutputOfTheProductsWidth) {
  Mlp mlp = makeMlp(8, 20, plan::WeightLayout::KN);
  mlp.builder.ops[0].activation = plan::Activation::Swiglu;
  expectRunRejects(mlp, "op 'fc' (linear_f32): output 'h' has shape [2, 20], the op computes "
                        "[2, 10]");
}

TEST(RunRejects, BinaryShapesThatDoNotBroadcast) {
  PlanBuilder b;
  const uint32_t n = b.symbol("n");
  const uint32_t x = b.input("x", {dimOfSymbol(n)});
  const uint32_t c = b.constant("c", {3}, {1, 2, 3});
  const uint32_t y = b.output("y", {dimOfSymbol(n)}, 0);
  b.binary("add", plan::BinaryKind::Add, x, c, y);
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model = loadOrFail(artifact);
  ASSERT_TRUE(model);
  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  std::vector<float> data(4);
  int64_t dims[1] = {4};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 1, dims, data.data(), 16),
            LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(session.get()), LLMOPT_ERROR_INVALID_ARTIFACT,
                        "op 'add' (add_f32): 'x' [4] and 'c' [3] do not broadcast"));
  dims[0] = 3;  // now it is fine
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 1, dims, data.data(), 12),
            LLMOPT_OK);
  EXPECT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
}

TEST(RunRejects, AbsurdArena) {
  // y = copy(x) reshaped as [n * 2^40]: over 1 TiB for any n >= 1.
  PlanBuilder b;
  const uint32_t n = b.symbol("n");
  const uint32_t x = b.input("x", {dimOfSymbol(n)});
  const uint32_t y = b.output("y", {dimOfSymbol(n, int64_t(1) << 40)}, 0);
  b.copy("huge", x, y);
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model = loadOrFail(artifact);
  ASSERT_TRUE(model);
  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  float data[1] = {0};
  const int64_t dims[1] = {1};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 1, dims, data, 4),
            LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(session.get()), LLMOPT_ERROR_OUT_OF_MEMORY,
                        "tensor 'y': shape [1099511627776] of f32 is over 1 TiB"));
}

// --- in place: an op may write its output over an input it reads for the last time ------------

// y = 1 + copy(neg(relu(x))) with x [n, 4]: every op after relu writes over its input, all in
// slot 0. Tensors: 0 x, 1 one, 2 a, 3 b, 4 c, 5 y. Ops: 0 relu, 1 neg, 2 reshape, 3 add (in place
// on its second input).
PlanBuilder inPlaceChain() {
  PlanBuilder b;
  const uint32_t n = b.symbol("n");
  const uint32_t x = b.input("x", {dimOfSymbol(n), dimOf(4)});
  const uint32_t one = b.constant("one", {1}, {1.0f});
  const uint32_t a = b.intermediate("a", {dimOfSymbol(n), dimOf(4)}, 0);
  const uint32_t neg = b.intermediate("b", {dimOfSymbol(n), dimOf(4)}, 0);
  const uint32_t c = b.intermediate("c", {dimOfSymbol(n, 4)}, 0);
  const uint32_t y = b.output("y", {dimOfSymbol(n, 4)}, 0);
  b.unary("relu", plan::UnaryKind::Relu, x, a);
  b.unary("neg", plan::UnaryKind::Neg, a, neg);
  b.copy("reshape", neg, c);
  b.binary("add", plan::BinaryKind::Add, one, c, y);
  return b;
}

// Runs the model on x [n, 4] and checks y = 1 - relu(x).
void expectChainComputes(const llmopt_model* model, int64_t n) {
  SessionPtr session = createSessionOrFail(model);
  ASSERT_TRUE(session);
  std::vector<float> x(n * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 5.5f;
  const int64_t dims[2] = {n, 4};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                     x.size() * sizeof(float)),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  llmopt_tensor y;
  ASSERT_EQ(llmopt_session_get_output(session.get(), 0, &y), LLMOPT_OK);
  ASSERT_EQ(y.size_bytes, x.size() * sizeof(float));
  const float* values = static_cast<const float*>(y.data);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(values[i], 1.0f + -(x[i] > 0 ? x[i] : 0.0f)) << "element " << i;
}

TEST(InPlace, ChainLoadsAndRuns) {
  const std::vector<uint8_t> artifact = inPlaceChain().build();
  ModelPtr model = loadOrFail(artifact);
  ASSERT_TRUE(model);
  const int32_t expected[] = {-1, 0, 0, 1};  // relu reads the model input: memory of its own
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(llmopt_model_op_in_place_input(model.get(), i), expected[i]) << "op " << i;
  EXPECT_EQ(llmopt_model_op_in_place_input(model.get(), 4), -1);
  EXPECT_EQ(llmopt_model_op_in_place_input(nullptr, 0), -1);
  expectChainComputes(model.get(), 3);
}

// A reshape in place needs the same byte count, however the dims spell it.
TEST(InPlace, ReshapeOfEqualBytesInAnyFactoring) {
  const uint32_t n = 0;
  const std::vector<std::vector<DimSpec>> shapes = {
      {dimOfSymbol(n, 2), dimOf(2)},      // [2n, 2]
      {dimOfSymbol(n, 1, 2), dimOf(8)},   // [n/2, 8]
      {dimOf(2), dimOfSymbol(n), dimOf(2)}};
  for (const std::vector<DimSpec>& shape : shapes) {
    PlanBuilder b = inPlaceChain();
    b.tensors[4].shape = shape;
    b.tensors[5].shape = shape;
    const std::vector<uint8_t> artifact = b.build();
    ModelPtr model = loadOrFail(artifact);
    ASSERT_TRUE(model);
    EXPECT_EQ(llmopt_model_op_in_place_input(model.get(), 2), 0);
    expectChainComputes(model.get(), 4);
  }
}

class InPlaceRejection : public ::testing::TestWithParam<SemanticCase> {};

TEST_P(InPlaceRejection, RefusedWithMessage) {
  PlanBuilder b = inPlaceChain();
  GetParam().breakIt(b);
  EXPECT_TRUE(failsWith(loadBytes(b.build()), GetParam().status, GetParam().message));
}

const SemanticCase kInPlaceCases[] = {
    {"input read again later",  // neg writes b over a, which add still reads
     [](PlanBuilder& b) { b.ops[3].inputs = {2, 4}; }, LLMOPT_ERROR_INVALID_ARTIFACT,
     "slot 0 holds tensors 'a' and 'b' while both are live (ops 0-3 and 1-2)"},
    {"kernel that does not run in place",
     [](PlanBuilder& b) {
       b.ops[1].name = "t";
       b.ops[1].params_type = plan::OpParams::TransposeParams;
       b.ops[1].perm = {1, 0};
       b.tensors[3].shape = {dimOf(4), dimOfSymbol(0)};
     },
     LLMOPT_ERROR_INVALID_ARTIFACT,
     "slot 0 holds tensors 'a' and 'b' while both are live (ops 0-1 and 1-2): op 't' "
     "(transpose) cannot write over 'a' in place: its kernel does not run in place on that "
     "input"},
    {"broadcast input overwritten",  // y = c + z is [2, 4n]: c would be read after overwritten
     [](PlanBuilder& b) {
       const uint32_t z = b.constant("z", {2, 1}, {1.0f, 2.0f});
       b.ops[3].inputs = {4, z};
       b.tensors[5].shape = {dimOf(2), dimOfSymbol(0, 4)};
     },
     LLMOPT_ERROR_INVALID_ARTIFACT,
     "op 'add' (add_f32) cannot write over 'c' in place: the output's shape differs"},
    {"reshape to another size", [](PlanBuilder& b) { b.tensors[4].shape = {dimOfSymbol(0, 2)}; },
     LLMOPT_ERROR_INVALID_ARTIFACT,
     "op 'reshape' (copy) cannot write over 'b' in place: the output's byte count differs"},
    {"cast to a wider dtype",
     [](PlanBuilder& b) {
       b.ops.pop_back();
       b.cast("cast", 4, 5);
       b.tensors[5].dtype = plan::DType::I64;
     },
     LLMOPT_ERROR_INVALID_ARTIFACT,
     "op 'cast' (cast) cannot write over 'c' in place: the output's element size differs"},
    {"input read twice", [](PlanBuilder& b) { b.ops[3].inputs = {4, 4}; },
     LLMOPT_ERROR_INVALID_ARTIFACT,
     "op 'add' (add_f32) cannot write over 'c' in place: it reads that input more than once"},
};

INSTANTIATE_TEST_SUITE_P(Plans, InPlaceRejection, ::testing::ValuesIn(kInPlaceCases),
                         [](const auto& info) {
                           std::string name = info.param.what;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace llmopt::testing
