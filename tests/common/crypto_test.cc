#include "tongban/common/crypto.h"

#include <gtest/gtest.h>

#include "tongban/common/encoding.h"

namespace tongban {
namespace {

TEST(Crypto, Sha256OfKnownInputs) {
  // FIPS 180-2 appendix B.1 and the empty string.
  EXPECT_EQ(hexEncode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hexEncode(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, Sha256IntoWritesTheSameBytes) {
  unsigned char out[kSha256Bytes] = {};
  sha256Into("abc", out);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), sizeof out), sha256("abc"));
}

}  // namespace
}  // namespace tongban
