//===- AtomicFile.cpp - write a file whole or not at all ------------------===//
#include "backends/artifact/AtomicFile.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llmopt {

namespace {
// The temporary file being written, for the signal handler (one artifact is written at a time).
// A fixed buffer: the handler may only call async-signal-safe functions.
char pendingTempPath[4096];
volatile sig_atomic_t hasPendingTemp = 0;

void removeTempAndReraise(int signal) {
  if (hasPendingTemp) ::unlink(pendingTempPath);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void trackTemp(const std::string& path) {
  if (path.size() >= sizeof pendingTempPath) return;
  std::memcpy(pendingTempPath, path.c_str(), path.size() + 1);
  hasPendingTemp = 1;
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, removeTempAndReraise);
}

void untrackTemp() { hasPendingTemp = 0; }
}  // namespace

AtomicFile::AtomicFile(std::string path) : finalPath(std::move(path)) {}

AtomicFile::~AtomicFile() {
  if (fd >= 0) ::close(fd);
  if (!committed && !tempPath.empty()) ::unlink(tempPath.c_str());
  untrackTemp();
}

bool AtomicFile::open(std::string& error) {
  std::string pattern = finalPath + ".tmp-XXXXXX";
  fd = mkstemp(pattern.data());
  if (fd < 0) {
    error = "cannot create '" + finalPath + "': " + std::strerror(errno);
    return false;
  }
  tempPath = pattern;
  trackTemp(tempPath);  // an interrupted compile (Ctrl-C, kill) removes it too
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
