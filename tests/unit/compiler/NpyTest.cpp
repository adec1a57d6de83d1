// The CLI's .npy reader and writer.
#include "tools/llmopt/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace llmopt;

TEST(Npy, RoundTrip) {
  std::string path = ::testing::TempDir() + "/roundtrip.npy";
  float values[6] = {1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  std::string error;
  ASSERT_TRUE(npy::write(path, LLMOPT_DTYPE_F32, shape, 2, values, sizeof values, error)) << error;
  npy::Array array;
  ASSERT_TRUE(npy::read(path, array, error)) << error;
  EXPECT_EQ(array.dtype, LLMOPT_DTYPE_F32);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(array.data.size(), sizeof values);
  EXPECT_EQ(reinterpret_cast<const float*>(array.data.data())[5], 6.0f);
  std::remove(path.c_str());
}

TEST(Npy, ScalarRoundTrip) {
  std::string path = ::testing::TempDir() + "/scalar.npy";
  int64_t value = 42;
  std::string error;
  ASSERT_TRUE(npy::write(path, LLMOPT_DTYPE_I64, nullptr, 0, &value, sizeof value, error));
  npy::Array array;
  ASSERT_TRUE(npy::read(path, array, error)) << error;
  EXPECT_TRUE(array.shape.empty());
  EXPECT_EQ(array.data.size(), sizeof value);
  std::remove(path.c_str());
}

namespace {
std::string npyBytes(const std::string& header, size_t dataBytes) {
  std::string text = "\x93NUMPY";
  text += '\x01';
  text += '\x00';
  text += static_cast<char>(header.size() & 0xff);
  text += static_cast<char>(header.size() >> 8);
  return text + header + std::string(dataBytes, '\0');
}
std::string parseError(const std::string& bytes) {
  npy::Array array;
  std::string error;
  EXPECT_FALSE(npy::parse(bytes.data(), bytes.size(), array, error));
  return error;
}
}  // namespace

TEST(Npy, RejectsBadFiles) {
  EXPECT_NE(parseError("hello world").find("bad magic"), std::string::npos);
  EXPECT_NE(parseError(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", 8))
                .find("unsupported .npy dtype '>f4'"),
            std::string::npos);
  EXPECT_NE(parseError(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", 8))
                .find("Fortran"),
            std::string::npos);
  EXPECT_NE(parseError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 8))
                .find("needs 12"),
            std::string::npos);
  EXPECT_NE(parseError(std::string("\x93NUMPY\x01\x00\xff\x00", 10)).find("truncated"),
            std::string::npos);
}
