//===- AtomicFile.cpp - write a file whole or not at all ------------------===//
#include "backends/artifact/AtomicFile.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>
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

// Installs the handlers and publishes the name *before* the file exists: a signal that
// arrives between the file's creation and its registration would otherwise leave it behind
// (it did, in CI). Unlinking a name that was never created is harmless.
void trackTemp(const std::string& path) {
  if (path.size() >= sizeof pendingTempPath) return;
  hasPendingTemp = 0;
  std::memcpy(pendingTempPath, path.c_str(), path.size() + 1);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, removeTempAndReraise);
  hasPendingTemp = 1;
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
  // mkstemp's way (O_CREAT | O_EXCL on a fresh random name), spelled out so that the name is
  // known, and tracked for the signal handler, before the file is created.
  std::random_device entropy;
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  // An artifact is an ordinary file: 0666 minus the umask, which open() applies.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string candidate = finalPath + ".tmp-";
    for (int i = 0; i < 6; ++i) candidate += kAlphabet[entropy() % (sizeof kAlphabet - 1)];
    trackTemp(candidate);  // an interrupted compile (Ctrl-C, kill) removes it too
    fd = ::open(candidate.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      tempPath = candidate;
      return true;
    }
    untrackTemp();
    if (errno != EEXIST) break;
  }
  error = "cannot create '" + finalPath + "': " + std::strerror(errno);
  return false;
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
