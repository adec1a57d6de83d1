//===- AtomicFile.cpp - write a file whole or not at all ------------------===//
#include "backends/artifact/AtomicFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llmopt {

AtomicFile::AtomicFile(std::string path) : finalPath(std::move(path)) {}

AtomicFile::~AtomicFile() {
  if (fd >= 0) ::close(fd);
  if (!committed && !tempPath.empty()) ::unlink(tempPath.c_str());
}

bool AtomicFile::open(std::string& error) {
  std::string pattern = finalPath + ".tmp-XXXXXX";
  fd = mkstemp(pattern.data());
  if (fd < 0) {
    error = "cannot create '" + finalPath + "': " + std::strerror(errno);
    return false;
  }
  tempPath = pattern;
  // mkstemp makes the file 0600; an artifact is an ordinary file (0666 minus the umask).
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  return true;
}

bool AtomicFile::write(const void* data, size_t size, std::string& error) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "cannot write '" + finalPath + "': " + std::strerror(errno);
      return false;
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool AtomicFile::writeAt(uint64_t offset, const void* data, size_t size, std::string& error) {
  if (pwrite(fd, data, size, static_cast<off_t>(offset)) != static_cast<ssize_t>(size)) {
    error = "cannot write '" + finalPath + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

bool AtomicFile::commit(std::string& error) {
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    fd = -1;
    error = "cannot write '" + finalPath + "': " + std::strerror(errno);
    return false;
  }
  fd = -1;
  if (std::rename(tempPath.c_str(), finalPath.c_str()) != 0) {
    error = "cannot create '" + finalPath + "': " + std::strerror(errno);
    return false;
  }
  committed = true;
  return true;
}

}  // namespace llmopt
