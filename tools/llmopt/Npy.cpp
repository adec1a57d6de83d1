//===- Npy.cpp - NumPy .npy files in and out ------------------------------===//
#include "tools/llmopt/Npy.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace llmopt::npy {
namespace {

struct DescrEntry {
  const char* descr;
  llmopt_dtype dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", LLMOPT_DTYPE_F32}, {"<f2", LLMOPT_DTYPE_F16}, {"|i1", LLMOPT_DTYPE_I8},
    {"|u1", LLMOPT_DTYPE_U8},  {"<i4", LLMOPT_DTYPE_I32}, {"<i8", LLMOPT_DTYPE_I64},
    {"|b1", LLMOPT_DTYPE_BOOL},
};

/// The text after `'key':` in the header dict, trimmed of leading spaces.
bool findValue(const std::string& header, const std::string& key, std::string& rest) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) return false;
  at = header.find(':', at);
  if (at == std::string::npos) return false;
  rest = header.substr(at + 1);
  rest.erase(0, rest.find_first_not_of(' '));
  return true;
}

}  // namespace

const char* descr(llmopt_dtype dtype) {
  for (const auto& entry : kDescrs)
    if (entry.dtype == dtype) return entry.descr;
  return "";
}

bool parse(const char* bytes, size_t size, Array& out, std::string& error) {
  if (size < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0) {
    error = "not a .npy file (bad magic)";
    return false;
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLength = 0;
    for (int i = 3; i >= 0; --i) headerLength = (headerLength << 8) | static_cast<unsigned char>(bytes[8 + i]);
    headerStart = 12;
  } else {
    error = "unsupported .npy format version " + std::to_string(major);
    return false;
  }
  if (headerLength > size - headerStart) {
    error = "truncated .npy header";
    return false;
  }
  std::string header(bytes + headerStart, headerLength);
  std::string value;
  if (!findValue(header, "descr", value) || value.size() < 5 || value[0] != '\'') {
    error = "bad .npy header: no 'descr'";
    return false;
  }
  std::string typeText = value.substr(1, value.find('\'', 1) - 1);
  bool known = false;
  for (const auto& entry : kDescrs) {
    if (typeText == entry.descr || (typeText.size() == 3 && typeText[0] == '=' &&
                                    typeText.substr(1) == std::string(entry.descr).substr(1))) {
      out.dtype = entry.dtype;
      known = true;
    }
  }
  if (!known) {
    error = "unsupported .npy dtype '" + typeText + "' (supported: float32, float16, int8, "
            "uint8, int32, int64, bool; little-endian)";
    return false;
  }
  if (!findValue(header, "fortran_order", value) || value.compare(0, 5, "False") != 0) {
    error = "Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)";
    return false;
  }
  if (!findValue(header, "shape", value) || value.empty() || value[0] != '(') {
    error = "bad .npy header: no 'shape'";
    return false;
  }
  out.shape.clear();
  std::string dims = value.substr(1, value.find(')') == std::string::npos ? 0 : value.find(')') - 1);
  std::stringstream stream(dims);
  std::string item;
  uint64_t count = 1;
  while (std::getline(stream, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    if (item.empty()) continue;
    char* end = nullptr;
    long long dim = std::strtoll(item.c_str(), &end, 10);
    if (dim < 0 || *end != '\0' || out.shape.size() >= LLMOPT_MAX_RANK ||
        (dim > 0 && count > (uint64_t(1) << 40) / static_cast<uint64_t>(dim))) {
      error = "bad .npy shape '(" + dims + ")'";
      return false;
    }
    out.shape.push_back(dim);
    count *= static_cast<uint64_t>(dim);
  }
  uint64_t bytesNeeded = count * llmopt_dtype_size(out.dtype);
  size_t dataStart = headerStart + headerLength;
  if (size - dataStart != bytesNeeded) {
    error = "the .npy file has " + std::to_string(size - dataStart) + " data bytes, its shape needs " +
            std::to_string(bytesNeeded);
    return false;
  }
  out.data.assign(bytes + dataStart, bytes + size);
  return true;
}

bool read(const std::string& path, Array& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read '" + path + "'";
    return false;
  }
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!parse(contents.data(), contents.size(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool write(const std::string& path, llmopt_dtype dtype, const int64_t* shape, int rank,
           const void* data, size_t bytes, std::string& error) {
  std::string dims;
  for (int i = 0; i < rank; ++i) dims += std::to_string(shape[i]) + (rank == 1 ? "," : i + 1 < rank ? ", " : "");
  std::string header = std::string("{'descr': '") + descr(dtype) +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so the data starts 64-byte aligned, and end with a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  char preamble[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0,
                       static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  out.write(preamble, sizeof preamble);
  out.write(header.data(), header.size());
  out.write(static_cast<const char*>(data), bytes);
  if (!out.flush()) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

std::string fileNameFor(const std::string& tensorName) {
  std::string file = tensorName;
  for (char& c : file)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return file;
}

}  // namespace llmopt::npy
