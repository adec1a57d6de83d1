//===- AtomicFile.h - write a file whole or not at all --------------------===//
#ifndef LLMOPT_BACKENDS_ARTIFACT_ATOMICFILE_H
#define LLMOPT_BACKENDS_ARTIFACT_ATOMICFILE_H

#include <cstdint>
#include <string>

namespace llmopt {

/// Writes go to a temporary file beside `path`; commit() renames it into place. Destroyed
/// without a commit (an error anywhere), or interrupted by SIGINT/SIGTERM/SIGHUP, the temporary
/// file is removed, so a failed compile never leaves a half-written artifact. (SIGKILL cannot be
/// caught: it leaves `path.tmp-XXXXXX`, never a file at `path`.)
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  bool open(std::string& error);
  bool write(const void* data, size_t size, std::string& error);
  bool writeAt(uint64_t offset, const void* data, size_t size, std::string& error);
  bool commit(std::string& error);

 private:
  std::string finalPath, tempPath;
  int fd = -1;
  bool committed = false;
};

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_ARTIFACT_ATOMICFILE_H
