//===- standalone_main.cpp - replay fuzz inputs without libFuzzer ----------===//
//
// Links with one fuzz target (LLVMFuzzerTestOneInput) into `<target>_replay`, so the targets
// build with any compiler in the normal build and ctest replays the seed corpus and the
// regression inputs through them:
//
//   fuzz_npy_replay tests/fuzz/corpus/fuzz_npy tests/fuzz/regressions/fuzz_npy/crash-1234
//
// Each argument is a file, or a directory whose files (recursively, in name order, hidden files
// skipped) are run one by one. Each input is passed in a heap buffer of exactly its size, as
// libFuzzer does, so a sanitizer build catches reads past its end. A crash is the failure; the
// exit status is 1 only for an argument that cannot be read.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace fs = std::filesystem;

namespace {

bool runFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read '%s'\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
  // An exact-size copy (new[] of 0 bytes is a valid, unique pointer).
  std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
  if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
  LLVMFuzzerTestOneInput(copy.get(), bytes.size());
  return true;
}

bool hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  size_t count = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(arg, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (hidden(it->path())) {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) files.push_back(it->path());
      }
      if (ec) {
        std::fprintf(stderr, "replay: cannot list '%s': %s\n", arg.c_str(), ec.message().c_str());
        ok = false;
        continue;
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& file : files) {
        ok &= runFile(file);
        ++count;
      }
    } else {
      ok &= runFile(arg);
      ++count;
    }
  }
  std::fprintf(stderr, "replay: %zu inputs run\n", count);
  return ok ? 0 : 1;
}
