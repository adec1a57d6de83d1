//===- CompileCommand.cpp - llmopt compile --------------------------------===//
#include "backends/artifact/ArtifactWriter.h"
#include "backends/cpu/CppEmitter.h"
#include "backends/cuda/CudaCodegen.h"
#include "backends/cuda/NvccCompiler.h"
#include "frontends/onnx/OnnxImporter.h"
#include "ir/LLMOptOps.h"
#include "ir/QuantModes.h"
#include "passes/Passes.h"
#include "passes/pipeline/PipelineConfig.h"
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/Calibration.h"
#include "tools/llmopt/Diagnostics.h"
#include "tools/llmopt/InputShapes.h"
#include "tools/llmopt/OpCounts.h"
#include "tools/llmopt/QuantReport.h"
#include "tools/llmopt/RuntimeHandles.h"
#include "tools/llmopt/StructureReport.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

namespace llmopt {
namespace {

struct CompileOptions {
  std::string input;
  std::string output;
  std::string config;
  std::string emit;
  unsigned threads = 0;  // 0: one per core
  std::string quant;     // empty: fp32
  int64_t groupSize = 64;
  std::vector<std::string> keepFp32;
  std::string calib;
  int64_t calibWindows = 16;
  double smooth = -1.0;  // < 0: no SmoothQuant
  std::string report;
  std::vector<std::string> disableFusion;
  double pruneHeads = 0.0;  // fractions removed (llmopt-prune)
  double pruneFfn = 0.0;
  std::string pruneCriterion = "magnitude";
  bool pruneGlobal = false;  // the fractions are of the whole model
  double lowrankRatio = 0.0;  // llmopt-lowrank: parameters kept, or
  double lowrankEnergy = 0.0;  // spectrum kept, or
  double lowrankBudget = 0.0;  // parameters kept in all
  std::string lowrankCriterion = "plain";
  int64_t maxSeq = 0;    // KV cache positions; 0: the model's limit
  bool noKvCache = false;
  std::string kvCacheType = "auto";  // auto: fp16 when linear layers are quantized
  std::vector<std::string> shapes;    // --emit cpp: NAME=AxB per dynamic input
  bool embedWeights = false;          // --emit cpp
  std::string target = "cpu";         // cpu or cuda
  std::string cudaArchs;              // --cuda-arch; empty: kDefaultCudaArchs
};

constexpr const char* kDefaultCudaArchs = "sm_80,sm_90";  // A100; H100 and H200

/// The llmopt-lowrank pass the CLI's --lowrank-* options ask for; empty when they ask for none.
std::string lowrankPassText(const CompileOptions& options) {
  if (options.lowrankRatio <= 0.0 && options.lowrankEnergy <= 0.0 && options.lowrankBudget <= 0.0)
    return "";
  std::string text = "llmopt-lowrank{criterion=" + options.lowrankCriterion;
  if (options.lowrankRatio > 0.0) text += " ratio=" + std::to_string(options.lowrankRatio);
  if (options.lowrankEnergy > 0.0) text += " energy=" + std::to_string(options.lowrankEnergy);
  if (options.lowrankBudget > 0.0) text += " budget=" + std::to_string(options.lowrankBudget);
  return text + "}";
}

/// The llmopt-prune pass the CLI's --prune-* options ask for, in pipeline syntax; empty when
/// they ask for nothing.
std::string prunePassText(const CompileOptions& options) {
  if (options.pruneHeads <= 0.0 && options.pruneFfn <= 0.0) return "";
  return "llmopt-prune{heads=" + std::to_string(options.pruneHeads) +
         " ffn=" + std::to_string(options.pruneFfn) + " criterion=" + options.pruneCriterion +
         (options.pruneGlobal ? " global=true" : "") + "}";
}

/// The llmopt-quantize pass the CLI's --quant options ask for, in pipeline syntax.
std::string quantizePassText(const CompileOptions& options) {
  std::string text = "func.func(llmopt-quantize{mode=" + options.quant +
                     " group-size=" + std::to_string(options.groupSize);
  if (!options.keepFp32.empty()) {
    text += " keep-fp32=";
    for (size_t i = 0; i < options.keepFp32.size(); ++i)
      text += (i ? "," : "") + options.keepFp32[i];
  }
  return text + "})";
}

bool pipelineRuns(mlir::OpPassManager& pm, llvm::StringRef pass) {
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  return os.str().find(pass.str()) != std::string::npos;
}

bool pipelineQuantizes(mlir::OpPassManager& pm) { return pipelineRuns(pm, "llmopt-quantize"); }

std::string defaultOutputPath(const std::string& input) {
  size_t slash = input.find_last_of('/');
  size_t dot = input.find_last_of('.');
  std::string stem = dot != std::string::npos && (slash == std::string::npos || dot > slash)
                         ? input.substr(0, dot)
                         : input;
  return stem + ".llmo";
}

/// --emit cpp's base path: -o without a .h/.cpp extension, or the model's path without its own.
std::string cppOutputBase(const CompileOptions& options) {
  std::string base = options.output.empty() ? defaultOutputPath(options.input) : options.output;
  for (llvm::StringRef ext : {".llmo", ".cpp", ".h"})
    if (llvm::StringRef(base).endswith(ext)) return base.substr(0, base.size() - ext.size());
  return base;
}

std::string humanBytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (1u << 20))
    snprintf(text, sizeof text, "%.1f MiB", bytes / 1048576.0);
  else if (bytes >= 1024)
    snprintf(text, sizeof text, "%.1f KiB", bytes / 1024.0);
  else
    snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  return text;
}

/// The KV cache llmopt-kv-cache gave the model, in one line for the compile log ("" if none):
/// layers, positions and the bytes a batch-1 sequence of that length takes.
std::string describeKvCache(mlir::ModuleOp module) {
  int64_t maxSeq = 0, layers = 0, elementsPerPosition = 0, headsPerPosition = 0;
  std::string type = "f32";
  module.walk([&](mlir::func::FuncOp func) {
    if (auto attr = func->getAttrOfType<mlir::IntegerAttr>("llmopt.kv_cache_max_seq"))
      maxSeq = attr.getInt();
    if (auto attr = func->getAttrOfType<mlir::StringAttr>("llmopt.kv_cache_type"))
      type = attr.getValue().str();
  });
  if (maxSeq == 0) return "";
  module.walk([&](mlir::Operation* op) {
    if (!op->hasAttr("kv_cache")) return;
    ++layers;
    int64_t kvHeads = 0, dim = 0;
    if (auto a = llvm::dyn_cast<AttentionOp>(op)) {
      auto k = a.getKey().getType().cast<mlir::RankedTensorType>();
      kvHeads = k.getDimSize(2);
      dim = k.getDimSize(3);
    } else if (auto a = llvm::dyn_cast<PackedAttentionOp>(op)) {
      kvHeads = a.getKvHeads();
      dim = a.getQkv().getType().cast<mlir::RankedTensorType>().getDimSize(3);
    }
    elementsPerPosition += 2 * kvHeads * dim;  // keys and values
    headsPerPosition += 2 * kvHeads;
  });
  // int8 elements carry an fp32 scale per position and kv head (kv_cache.h).
  const int64_t bytesPerPosition = type == "f16"  ? 2 * elementsPerPosition
                                   : type == "i8" ? elementsPerPosition + 4 * headsPerPosition
                                                  : 4 * elementsPerPosition;
  const char* typeName = type == "f16" ? "fp16" : type == "i8" ? "int8" : "fp32";
  return "KV cache: " + std::to_string(layers) + " layers, " + std::to_string(maxSeq) +
         " positions, " + typeName + ", " +
         humanBytes(static_cast<uint64_t>(bytesPerPosition * maxSeq)) + " per sequence";
}

/// Writes what `print` prints to `path` ("-" or "" = stdout), atomically for files.
int writeTextOutput(const std::string& path, llvm::function_ref<void(llvm::raw_ostream&)> print) {
  if (path.empty() || path == "-") {
    print(llvm::outs());
    return 0;
  }
  std::string temp = path + ".tmp";
  std::error_code ec;
  {
    llvm::raw_fd_ostream out(temp, ec);
    if (ec) return fail("cannot write '" + path + "': " + ec.message());
    print(out);
    out.close();
    if (out.has_error()) {
      out.clear_error();
      llvm::sys::fs::remove(temp);
      return fail("cannot write '" + path + "'");
    }
  }
  if (llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return fail("cannot write '" + path + "'");
  }
  return 0;
}

/// Prints the module to `path` ("-" or "" = stdout), atomically for files.
int printModule(mlir::ModuleOp module, const std::string& path) {
  return writeTextOutput(path, [&](llvm::raw_ostream& out) {
    module.print(out);
    out << "\n";
  });
}

/// --emit cpp: the artifact goes to a temporary file beside the output, the C++ is emitted from
/// it (for the --shape input shapes), and the temporary file is removed.
int emitCppOutput(mlir::ModuleOp module, const CompileOptions& options) {
  const std::string base = cppOutputBase(options);
  llvm::SmallString<128> artifact;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(base + ".%%%%%%.llmo", artifact))
    return fail("cannot create a temporary file beside '" + base + "': " + ec.message());
  llvm::FileRemover removeArtifact(artifact);
  if (mlir::failed(writeArtifact(module, artifact.str().str()))) return 1;

  ModelPtr model;
  {
    llmopt_model* loaded = nullptr;
    if (llmopt_model_load_file(artifact.c_str(), nullptr, &loaded) != LLMOPT_OK)
      return fail(std::string("internal: the compiled model does not load: ") +
                  llmopt_last_error());
    model.reset(loaded);
  }
  std::vector<InputShape> shapes;
  std::string error;
  if (!resolveInputShapes(model.get(), options.shapes, shapes, error))
    return fail("--emit cpp fixes every shape: " + error);
  CppEmitOptions emit;
  emit.artifactPath = artifact.str().str();
  emit.sourceName = llvm::sys::path::filename(options.input).str();
  for (const InputShape& shape : shapes) emit.inputDims.push_back(shape.dims);
  emit.outputBase = base;
  emit.embedWeights = options.embedWeights;
  CppEmitStats stats;
  if (!emitCpp(emit, &stats, error)) return fail(error);
  std::string files;
  for (const std::string& file : stats.files) files += (files.empty() ? "" : ", ") + file;
  llvm::errs() << "llmopt: " << options.input << " (" << shapeSpecsText(shapes) << ") -> " << files
               << ": " << stats.numOps << " ops, workspace " << humanBytes(stats.workspaceBytes)
               << ", weights " << humanBytes(stats.weightBytes) << "\n";
  return 0;
}

/// --target cuda and --emit cuda: the plan goes to a temporary artifact beside the output, its
/// kernels are generated from it, and then either printed (--emit cuda) or compiled by nvcc into
/// the artifact written in its place. The temporary file is removed either way.
int compileCuda(mlir::ModuleOp module, const CompileOptions& options,
                const std::vector<std::string>& archs, const std::string& nvcc) {
  const bool emitSource = options.emit == "cuda";
  const std::string output = options.output.empty()
                                 ? (emitSource ? std::string("-") : defaultOutputPath(options.input))
                                 : options.output;
  const std::string beside = output == "-" ? defaultOutputPath(options.input) : output;
  llvm::SmallString<128> cpuPlan;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(beside + ".%%%%%%.plan", cpuPlan))
    return fail("cannot create a temporary file beside '" + beside + "': " + ec.message());
  llvm::FileRemover removeCpuPlan(cpuPlan);
  if (mlir::failed(writeArtifact(module, cpuPlan.str().str()))) return 1;

  CudaSource source;
  std::string error;
  if (!generateCudaSource(cpuPlan.str().str(), llvm::sys::path::filename(options.input).str(),
                          &source, error))
    return fail("--target cuda: " + error);
  if (emitSource) {
    if (int status = writeTextOutput(output, [&](llvm::raw_ostream& out) { out << source.text; }))
      return status;
    llvm::errs() << "llmopt: " << options.input << " -> " << output << ": " << source.numKernels
                 << " CUDA kernels for " << source.opKernels.size() << " ops\n";
    return 0;
  }

  std::string archList;
  for (const std::string& arch : archs) archList += (archList.empty() ? "" : ", ") + arch;
  llvm::errs() << "llmopt: nvcc: " << source.numKernels << " kernels (" << source.opKernels.size()
               << " ops) for " << archList << "\n";
  CudaCode code;
  code.archs = archs;
  code.opKernels = source.opKernels;
  if (!compileCudaFatbin(nvcc, source.text, archs, &code.image, error)) return fail(error);
  ArtifactStats stats;
  if (mlir::failed(writeArtifact(module, output, &stats, &code))) return 1;
  llvm::errs() << "llmopt: " << options.input << " -> " << output << ": " << stats.numOps
               << " ops, CUDA code " << humanBytes(code.image.size()) << " (" << archList
               << "), file " << humanBytes(stats.fileBytes) << "\n";
  return 0;
}

int runCompile(const CompileOptions& options) {
  // The pass manager's threads (declared first: the pool must outlive the context). The
  // artifact is the same for any count; a test checks it.
  std::unique_ptr<llvm::ThreadPool> threads;
  if (options.threads != 1)
    threads = std::make_unique<llvm::ThreadPool>(llvm::hardware_concurrency(options.threads));
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  if (threads) context.setThreadPool(*threads);
  context.printOpOnDiagnostic(false);
  CliDiagnostics diagnostics(context);
  registerAllPipelinePasses();
  if (options.emit != "cpp" && !options.shapes.empty())
    return fail("--shape fixes the input shapes of --emit cpp; without it the artifact keeps its "
                "dynamic dims");
  if (options.emit != "cpp" && options.embedWeights)
    return fail("--embed-weights needs --emit cpp");
  if (options.emit == "cpp" && options.output == "-")
    return fail("--emit cpp writes files (BASE.h, BASE.cpp, ...): give -o BASE, not '-'");
  const bool cuda = options.target == "cuda" || options.emit == "cuda";
  if (options.emit == "cpp" && cuda)
    return fail("--emit cpp writes C++ for the cpu target; --target cuda writes CUDA");
  if (!cuda && !options.cudaArchs.empty())
    return fail("--cuda-arch needs --target cuda (or --emit cuda)");
  std::vector<std::string> cudaArchs;
  std::string nvcc;
  if (cuda) {
    std::string error;
    if (!parseCudaArchs(options.cudaArchs.empty() ? kDefaultCudaArchs : options.cudaArchs,
                        &cudaArchs, error) ||
        (options.emit != "cuda" && !findNvcc(&nvcc, error)))
      return fail(error);
  }

  // Validate the pipeline before the (possibly long) import.
  mlir::PassManager pm(&context, mlir::OpPassManager::Nesting::Implicit);
  // --quant runs llmopt-quantize after the rest, so that the report compares the quantized
  // weights with the fp32 ones they replaced (after recognition, scaling and smoothing).
  mlir::PassManager quantizePm(&context, mlir::OpPassManager::Nesting::Implicit);
  if (!options.config.empty() && !options.disableFusion.empty())
    return fail("--disable-fusion applies to the default pipeline; in a pipeline file, leave the "
                "fusion pass out or set its options");
  if (!options.config.empty()) {
    PipelineError error;
    if (!loadPipelineFile(options.config, pm, error)) {
      // Already "file:line:col: error: message", like a compiler's; no second "error: ".
      llvm::errs() << error.format() << "\n";
      return 1;
    }
  } else {
    for (const std::string& name : options.disableFusion)
      if (!llvm::is_contained(fusionNames(), name)) {
        std::string known;
        for (llvm::StringRef f : fusionNames()) known += (known.empty() ? "" : ", ") + f.str();
        return fail("--disable-fusion: unknown fusion '" + name + "' (known: " + known + ")");
      }
    if (mlir::failed(mlir::parsePassPipeline(defaultPipeline(options.disableFusion), pm)))
      return fail("internal: the default pipeline does not parse");
  }
  // Pruning after the fusions (it finds blocks by their fused form), before smoothing and
  // quantizing the smaller weights.
  if (std::string prune = prunePassText(options); !prune.empty()) {
    if (options.pruneCriterion == "activation" && options.calib.empty())
      return fail("--prune-criterion activation needs --calib FILE (activation statistics)");
    if (mlir::failed(mlir::parsePassPipeline(prune, pm)))
      return fail("internal: the llmopt-prune pipeline does not parse");
  } else if (options.pruneCriterion != "magnitude" || options.pruneGlobal) {
    return fail(std::string(options.pruneGlobal ? "--prune-global" : "--prune-criterion") +
                " needs --prune-heads or --prune-ffn");
  }
  if (std::string lowrank = lowrankPassText(options); !lowrank.empty()) {
    if ((options.lowrankRatio > 0.0) + (options.lowrankEnergy > 0.0) + (options.lowrankBudget > 0.0) > 1)
      return fail("--lowrank-ratio, --lowrank-energy and --lowrank-budget choose the rank different "
                  "ways: give one");
    if (options.lowrankCriterion == "activation" && options.calib.empty())
      return fail("--lowrank-criterion activation needs --calib FILE (activation statistics)");
    if (mlir::failed(mlir::parsePassPipeline(lowrank, pm)))
      return fail("internal: the llmopt-lowrank pipeline does not parse");
  } else if (options.lowrankCriterion != "plain") {
    return fail("--lowrank-criterion needs --lowrank-ratio, --lowrank-energy or --lowrank-budget");
  }
  if (options.smooth >= 0.0) {
    if (options.quant.empty() || options.calib.empty())
      return fail("--smooth needs --quant and --calib (SmoothQuant scales come from calibration)");
    std::string smooth = "llmopt-smooth{alpha=" + std::to_string(options.smooth) + "}";
    if (mlir::failed(mlir::parsePassPipeline(smooth, pm)))
      return fail("internal: the llmopt-smooth pipeline does not parse");
  }
  if (!options.quant.empty()) {
    if (pipelineQuantizes(pm))
      return fail("--quant and a pipeline that already runs llmopt-quantize: use one of them");
    for (const std::string& pattern : options.keepFp32)
      if (std::string why = unsafeOptionValue(pattern); !why.empty())
        return fail("--keep-fp32 '" + pattern + "' " + why);
    if (mlir::failed(mlir::parsePassPipeline(quantizePassText(options), quantizePm)))
      return fail("internal: the llmopt-quantize pipeline does not parse");
  } else if (!options.keepFp32.empty()) {
    return fail("--keep-fp32 needs --quant");
  }

  mlir::FailureOr<ImportedModel> imported = importOnnxFile(context, options.input);
  if (mlir::failed(imported)) return 1;
  mlir::ModuleOp module = *imported->module;
  if (options.emit == "mlir-imported") return printModule(module, options.output);
  // Already-quantized ONNX (ONNX Runtime's tools) becomes llmopt's quantized ops before
  // anything else looks at the model: calibration runs it, and every pipeline (default or YAML)
  // starts from it. A model without ONNX quantization ops is left as it is.
  {
    mlir::PassManager lowerPm(&context, mlir::OpPassManager::Nesting::Implicit);
    lowerPm.addNestedPass<mlir::func::FuncOp>(createLowerOnnxQuant());
    if (mlir::failed(lowerPm.run(module)))
      return diagnostics.errorCount() ? 1 : fail("lowering the ONNX quantization ops failed");
  }
  // What the pipeline does to the model, in ops of each kind (printed once the output is written).
  OpCounts opsBefore = countOps(module);

  CalibrationStats calibration;
  if (!options.calib.empty()) {
    CalibrationOptions calibOptions;
    calibOptions.path = options.calib;
    calibOptions.maxWindows = options.calibWindows;
    calibOptions.threads = options.threads;
    // K x K per layer: only for the whitened SVD, which needs it.
    calibOptions.gram = options.lowrankCriterion == "activation";
    if (!calibrate(module, calibOptions, calibration)) return 1;
    attachCalibration(module, calibration);
  }
  // A pipeline file that quantizes is compared with the weights as imported.
  WeightSnapshots weightsBefore;
  bool pipelineFileQuantizes = options.quant.empty() && pipelineQuantizes(pm);
  if (pipelineFileQuantizes || (options.quant.empty() && !options.report.empty()))
    weightsBefore = snapshotWeights(module);

  // Pruning and low rank change layers' shapes: the structure report compares with the layers
  // as imported, on the calibration inputs as collected.
  const bool restructures = pipelineRuns(pm, "llmopt-prune") || pipelineRuns(pm, "llmopt-lowrank");
  WeightSnapshots structureBefore;
  if (restructures) structureBefore = weightsBefore.empty() ? snapshotWeights(module) : weightsBefore;

  if (mlir::failed(pm.run(module))) return diagnostics.errorCount() ? 1 : fail("pass pipeline failed");
  llvm::json::Object reportExtra;
  if (restructures) {
    StructureReport structure =
        buildStructureReport(module, structureBefore, options.calib.empty() ? nullptr : &calibration);
    printStructureReport(structure, llvm::errs());
    reportExtra["structure"] = structureReportJson(structure);
  }
  applyPruning(module, calibration);
  applyLowRank(module, calibration);
  if (!options.quant.empty()) {
    weightsBefore = snapshotWeights(module);
    if (mlir::failed(quantizePm.run(module)))
      return diagnostics.errorCount() ? 1 : fail("pass pipeline failed");
  }

  std::vector<LayerReport> layers;
  if (!weightsBefore.empty()) {
    layers = buildReport(module, weightsBefore, options.calib.empty() ? nullptr : &calibration);
    bool quantized = llvm::any_of(layers, [](const LayerReport& l) { return l.precision != "fp32"; });
    if (quantized) printReport(layers, llvm::errs());
  }
  // Packing stacks layers into one, so it comes after the report (a pipeline file places
  // llmopt-pack-projections itself).
  if (options.config.empty()) {
    std::string packing = packingPipeline(options.disableFusion);
    mlir::PassManager packPm(&context, mlir::OpPassManager::Nesting::Implicit);
    if (!packing.empty() && mlir::failed(mlir::parsePassPipeline(packing, packPm)))
      return fail("internal: the packing pipeline does not parse");
    if (!packing.empty() && mlir::failed(packPm.run(module)))
      return diagnostics.errorCount() ? 1 : fail("pass pipeline failed");
  }
  // Last: the cache marks the attention ops the passes before may rebuild.
  if (!options.noKvCache && !pipelineRuns(pm, "llmopt-kv-cache")) {
    // The cache a decoding step streams, by default rounded about as much as the model's own
    // arithmetic: int8 where the linear layers multiply int8 activations (W8A8, and int4's
    // W4A8 decoding: +0.0003 bits per byte on charlm-gpt, bench/RESULTS.md), fp16 for the other
    // quantized modes, exact for fp32 models.
    bool quantized = false, int8Activations = false;
    module.walk([&](QuantizedLinearOp op) {
      quantized = true;
      const std::optional<QuantMode> mode = parseQuantMode(op.getMode());
      int8Activations |= mode == QuantMode::Int8 || mode == QuantMode::Int4;
    });
    const std::string cacheType = options.kvCacheType == "int8"   ? "i8"
                                  : options.kvCacheType == "fp16" ? "f16"
                                  : options.kvCacheType == "fp32" ? "f32"
                                  : int8Activations               ? "i8"
                                  : quantized                     ? "f16"
                                                                  : "f32";
    std::string kvCache = "func.func(llmopt-kv-cache{max-seq=" + std::to_string(options.maxSeq) +
                          (options.maxSeq > 0 ? " required=true" : "") +
                          " cache-type=" + cacheType + "})";
    mlir::PassManager kvPm(&context, mlir::OpPassManager::Nesting::Implicit);
    if (mlir::failed(mlir::parsePassPipeline(kvCache, kvPm)))
      return fail("internal: the llmopt-kv-cache pipeline does not parse");
    if (mlir::failed(kvPm.run(module)))
      return diagnostics.errorCount() ? 1 : fail("pass pipeline failed");
  }
  OpCounts opsAfter = countOps(module);
  std::string error;
  if (!options.report.empty() &&
      !writeReportJson(layers, options.report, error,
                       [&] {
                         reportExtra["op_counts"] = opCountsJson(opsBefore, opsAfter);
                         return std::move(reportExtra);
                       }()))
    return fail(error);
  if (options.emit == "mlir") {
    if (int status = printModule(module, options.output)) return status;
    llvm::errs() << "llmopt: " << formatOpCountChange(opsBefore, opsAfter) << "\n";
    return 0;
  }

  if (options.emit == "cpp") return emitCppOutput(module, options);
  if (cuda) {
    if (options.emit.empty())
      llvm::errs() << "llmopt: " << formatOpCountChange(opsBefore, opsAfter) << "\n";
    if (int status = compileCuda(module, options, cudaArchs, nvcc)) return status;
    if (std::string kvCache = describeKvCache(module); !kvCache.empty())
      llvm::errs() << "llmopt: " << kvCache << " (the CUDA runtime does not use it yet)\n";
    return 0;
  }

  std::string output = options.output.empty() ? defaultOutputPath(options.input) : options.output;
  ArtifactStats stats;
  if (mlir::failed(writeArtifact(module, output, &stats))) return 1;
  llvm::errs() << "llmopt: " << formatOpCountChange(opsBefore, opsAfter) << "\n";
  if (std::string kvCache = describeKvCache(module); !kvCache.empty())
    llvm::errs() << "llmopt: " << kvCache << "\n";
  llvm::errs() << "llmopt: " << options.input << " -> " << output << ": " << stats.numOps
               << " ops, weights " << humanBytes(stats.weightBytes) << ", file "
               << humanBytes(stats.fileBytes) << "\n";
  return 0;
}

}  // namespace

std::function<int()> addCompileCommand(CLI::App& app) {
  auto options = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand("compile", "Compile an ONNX model into an artifact (.llmo)");
  cmd->add_option("model", options->input, "ONNX model (.onnx, or ONNX text .onnxtxt)")->required();
  cmd->add_option("-o,--output", options->output,
                  "Output path (default: the model's name with .llmo); with --emit, '-' is stdout");
  cmd->add_option("--config", options->config, "YAML pass pipeline (see README: Pipelines)");
  cmd->add_option("--emit", options->emit,
                  "Print IR instead of writing an artifact: 'mlir' (after the pipeline) or "
                  "'mlir-imported' (straight from the importer); or 'cpp': standalone C++ for "
                  "fixed input shapes (-o BASE writes BASE.h, BASE.cpp and BASE.weights); or "
                  "'cuda': the CUDA source of --target cuda's kernels")
      ->check(CLI::IsMember({"mlir", "mlir-imported", "cpp", "cuda"}));
  cmd->add_option("--target", options->target,
                  "What runs the artifact: cpu (default) or cuda (the plan's kernels generated "
                  "and compiled by nvcc into it; see README: CUDA)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--cuda-arch,--arch", options->cudaArchs,
                  std::string("--target cuda: GPU architectures to compile for, comma-separated "
                              "(default ") +
                      kDefaultCudaArchs + ")");
  cmd->add_option("--shape", options->shapes,
                  "--emit cpp: NAME=AxB, the dims of an input with dynamic ones (repeatable)");
  cmd->add_flag("--embed-weights", options->embedWeights,
                "--emit cpp: the weights in BASE_weights.cpp instead of the BASE.weights file");
  cmd->add_option("--quant", options->quant,
                  "Store weights in int8 (W8A8: int8 weights and activations), int8-weight, "
                  "int4, fp16 or bf16 (appends llmopt-quantize to the pipeline)")
      ->check(CLI::IsMember({"int8", "int8-weight", "int4", "fp16", "bf16"}));
  cmd->add_option("--group-size", options->groupSize,
                  "int4: input features per group of one scale and offset (default 64)")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  cmd->add_option("--keep-fp32", options->keepFp32,
                  "Leave layers whose ONNX node name matches this glob in fp32 (repeatable)");
  cmd->add_option("--calib", options->calib,
                  "Calibration data: raw bytes (byte-level models) or .npy int64 token ids "
                  "[S] or [B, S]; run through the fp32 model for activation statistics");
  cmd->add_option("--calib-windows", options->calibWindows,
                  "Calibration windows of 256 tokens to run (default 16)")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  cmd->add_option("--smooth", options->smooth,
                  "SmoothQuant migration strength alpha in [0, 1] (needs --quant and --calib)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--prune-heads", options->pruneHeads,
                  "Remove this fraction of every attention's heads (llmopt-prune), in [0, 1)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--prune-ffn", options->pruneFfn,
                  "Remove this fraction of every MLP's intermediate channels, in [0, 1)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--prune-criterion", options->pruneCriterion,
                  "What a head or channel is worth: magnitude (weight norms, default) or "
                  "activation (calibration statistics x weight norms; needs --calib)")
      ->check(CLI::IsMember({"magnitude", "activation"}));
  cmd->add_flag("--prune-global", options->pruneGlobal,
                "--prune-heads / --prune-ffn are fractions of the whole model's heads / channels, "
                "the lowest-scored across blocks removed (default: of each block)");
  cmd->add_option("--lowrank-ratio", options->lowrankRatio,
                  "Factorize every linear (but the LM head) into two by truncated SVD, keeping "
                  "this fraction of its parameters, in (0, 1) (llmopt-lowrank)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--lowrank-energy", options->lowrankEnergy,
                  "Factorize keeping the fewest singular values that hold this fraction of the "
                  "spectrum's energy, where that is smaller than the layer, in (0, 1]")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--lowrank-budget", options->lowrankBudget,
                  "Factorize so that the linears (but the LM head) keep this fraction of their "
                  "parameters in all, the ranks spread by each layer's sensitivity, in (0, 1)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--lowrank-criterion", options->lowrankCriterion,
                  "plain (SVD of the weight, default) or activation (of the weight scaled by the "
                  "calibration inputs' RMS, ASVD-style; needs --calib)")
      ->check(CLI::IsMember({"plain", "activation"}));
  cmd->add_option("--disable-fusion", options->disableFusion,
                  "Leave one fusion of the default pipeline out (repeatable): gelu-erf, "
                  "gelu-tanh, silu, attention, rms-norm, layer-norm, epilogue-activation, "
                  "epilogue-residual, packed-qkv, packed-gate-up; for bisecting a numerical "
                  "difference");
  cmd->add_option("--report", options->report,
                  "Write the report as JSON to this file: per layer (precision, bytes, error) "
                  "and the op counts after import and after the pipeline");
  cmd->add_option("--threads", options->threads, "Compiler threads (default: one per core)")
      ->check(CLI::Range(0u, 1024u));
  auto* maxSeq = cmd->add_option("--max-seq", options->maxSeq,
                  "Positions the KV cache holds for generation (default: the model's position "
                  "table, or 2048 for computed positions); an error if the model cannot have one")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  auto* kvCacheType =
      cmd->add_option("--kv-cache-type", options->kvCacheType,
                      "Element type of the KV cache: fp16 (half the bytes per decoding step), "
                      "int8 (a quarter, a scale per position and head), fp32, or auto (default: "
                      "int8 for --quant int8 and int4, fp16 for the other quantized modes, fp32 "
                      "otherwise)")
          ->check(CLI::IsMember({"auto", "fp32", "fp16", "int8"}));
  cmd->add_flag("--no-kv-cache", options->noKvCache,
                "Do not give a decoder's attention a KV cache (llmopt-kv-cache)")
      ->excludes(maxSeq)
      ->excludes(kvCacheType);
  return [options] { return runCompile(*options); };
}

}  // namespace llmopt
