//===- NvccCompiler.cpp - CUDA source → fatbin, at compile time -----------===//

#include "backends/cuda/NvccCompiler.h"

#include <algorithm>
#include <cstdlib>

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace llmopt {
namespace {

constexpr int kOldestArch = 75;  // CUDA 13 dropped everything before Turing
constexpr size_t kNvccOutputLines = 12;

// The first lines of what nvcc printed.
std::string headOf(const llvm::SmallString<128>& path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) return "(no output)";
  llvm::SmallVector<llvm::StringRef, 16> lines;
  (*buffer)->getBuffer().trim().split(lines, '\n', kNvccOutputLines + 1, false);
  std::string text;
  for (size_t i = 0; i < std::min(lines.size(), kNvccOutputLines); ++i)
    text += "\n  " + lines[i].str();
  if (lines.size() > kNvccOutputLines) text += "\n  ...";
  return text.empty() ? "(no output)" : text;
}

}  // namespace

bool parseCudaArchs(const std::string& list, std::vector<std::string>* archs, std::string& error) {
  llvm::SmallVector<llvm::StringRef, 4> entries;
  llvm::StringRef(list).split(entries, ',', -1, false);
  std::vector<int> numbers;
  for (llvm::StringRef entry : entries) {
    entry = entry.trim();
    llvm::StringRef digits = entry;
    unsigned number = 0;
    if (!digits.consume_front("sm_") || digits.getAsInteger(10, number) || number < kOldestArch ||
        number > 999) {
      error = "--cuda-arch: '" + entry.str() + "' in '" + list +
              "' is not an architecture sm_XY with XY >= " + std::to_string(kOldestArch) +
              " (e.g. sm_80 for A100, sm_90 for H100/H200)";
      return false;
    }
    numbers.push_back(static_cast<int>(number));
  }
  if (numbers.empty()) {
    error = "--cuda-arch: no architecture given";
    return false;
  }
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  archs->clear();
  for (int number : numbers) archs->push_back("sm_" + std::to_string(number));
  return true;
}

bool findNvcc(std::string* nvcc, std::string& error) {
  if (const char* env = std::getenv("LLMOPT_NVCC"); env && *env) {
    if (!llvm::sys::fs::can_execute(env) || llvm::sys::fs::is_directory(env)) {
      error = std::string("--target cuda: LLMOPT_NVCC is '") + env +
              "', which is not an executable file";
      return false;
    }
    *nvcc = env;
    return true;
  }
  if (llvm::ErrorOr<std::string> onPath = llvm::sys::findProgramByName("nvcc")) {
    *nvcc = *onPath;
    return true;
  }
#ifdef LLMOPT_BUILD_NVCC
  if (llvm::sys::fs::can_execute(LLMOPT_BUILD_NVCC)) {
    *nvcc = LLMOPT_BUILD_NVCC;
    return true;
  }
#endif
  error =
      "--target cuda needs nvcc (the CUDA toolkit): none on PATH"
#ifdef LLMOPT_BUILD_NVCC
      " nor at " LLMOPT_BUILD_NVCC
#endif
      "; install it or set LLMOPT_NVCC";
  return false;
}

bool compileCudaFatbin(const std::string& nvcc, const std::string& source,
                       const std::vector<std::string>& archs, std::vector<char>* image,
                       std::string& error) {
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("llmopt-cuda", dir)) {
    error = "cannot create a temporary directory for nvcc: " + ec.message();
    return false;
  }
  // Everything nvcc reads and writes lives in `dir`, removed on every path out.
  struct RemoveDir {
    llvm::SmallString<128>& dir;
    ~RemoveDir() { llvm::sys::fs::remove_directories(dir); }
  } removeDir{dir};
  llvm::SmallString<128> sourcePath(dir), fatbinPath(dir), logPath(dir);
  llvm::sys::path::append(sourcePath, "model.cu");
  llvm::sys::path::append(fatbinPath, "model.fatbin");
  llvm::sys::path::append(logPath, "nvcc.log");
  {
    std::error_code ec;
    llvm::raw_fd_ostream file(sourcePath, ec);
    if (!ec) file << source;
    if (ec || (file.close(), file.has_error())) {
      error = "cannot write the CUDA source to '" + sourcePath.str().str() + "'";
      return false;
    }
  }

  std::vector<std::string> args = {nvcc, "-std=c++17", "-O3", "-fatbin", "-Xptxas=-Werror"};
  for (const std::string& arch : archs) {
    const std::string number = arch.substr(3);
    args.push_back("-gencode=arch=compute_" + number + ",code=sm_" + number);
  }
  const std::string newest = archs.back().substr(3);
  args.push_back("-gencode=arch=compute_" + newest + ",code=compute_" + newest);
  args.insert(args.end(), {"-o", fatbinPath.str().str(), sourcePath.str().str()});
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  const std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(logPath),
                                                      llvm::StringRef(logPath)};
  std::string launchError;
  const int status =
      llvm::sys::ExecuteAndWait(nvcc, argRefs, std::nullopt, redirects, 0, 0, &launchError);
  if (status != 0) {
    error = status < 0 ? "cannot run nvcc ('" + nvcc + "'): " + launchError
                       : "nvcc failed (exit " + std::to_string(status) +
                             ") on the generated CUDA source:" + headOf(logPath);
    return false;
  }
  auto fatbin = llvm::MemoryBuffer::getFile(fatbinPath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!fatbin || (*fatbin)->getBufferSize() == 0) {
    error = "nvcc wrote no fatbin";
    return false;
  }
  image->assign((*fatbin)->getBufferStart(), (*fatbin)->getBufferEnd());
  return true;
}

}  // namespace llmopt
