#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace llmopt::rt {

MappedFile::~MappedFile() { close(); }

void MappedFile::close() {
  if (data_) munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

Status MappedFile::open(const char* path) {
  close();
  int fd;
  do {
    fd = ::open(path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail(LLMOPT_ERROR_IO, "cannot open '%s': %s", path, std::strerror(errno));

  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(LLMOPT_ERROR_IO, "cannot stat '%s': %s", path, std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(LLMOPT_ERROR_IO, "'%s' is not a regular file", path);
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return LLMOPT_OK;
  }
  void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (mapped == MAP_FAILED)
    return fail(LLMOPT_ERROR_IO, "cannot mmap '%s' (%zu bytes): %s", path, size,
                std::strerror(err));
  data_ = static_cast<uint8_t*>(mapped);
  size_ = size;
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
