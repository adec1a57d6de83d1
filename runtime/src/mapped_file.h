// A whole file mapped read-only into memory; unmapped when the object dies.
#ifndef LLMOPT_RUNTIME_MAPPED_FILE_H
#define LLMOPT_RUNTIME_MAPPED_FILE_H

#include <cstddef>
#include <cstdint>

#include "error.h"

namespace llmopt::rt {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path`. An empty file maps to size() == 0 (mmap cannot map zero bytes).
  Status open(const char* path);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void close();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_MAPPED_FILE_H
