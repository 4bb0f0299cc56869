#include "tongban/common/json_writer.h"

#include <gtest/gtest.h>

namespace tongban::json {
namespace {

TEST(JsonWriter, WritesMembersInOrderAndEscapes) {
  const std::string text = object([](Writer& w) {
    str(w, "a", "say \"hi\"\\\n");
    strOrNull(w, "b", std::nullopt);
    strOrNull(w, "c", std::string("浙江"));
    strArray(w, "d", {"x", ""});
    num(w, "e", -42);
    boolean(w, "f", true);
    unsignedNum(w, "u", 18446744073709551615ULL);
    raw(w, "g", "{\"k\":[1,2]}");
  });
  EXPECT_EQ(text,
            "{\"a\":\"say \\\"hi\\\"\\\\\\n\",\"b\":null,\"c\":\"浙江\",\"d\":[\"x\",\"\"],"
            "\"e\":-42,\"f\":true,\"u\":18446744073709551615,\"g\":{\"k\":[1,2]}}");
}

TEST(JsonWriter, ArraysOfReadyMadeJson) {
  const std::vector<int> items = {1, 2};
  EXPECT_EQ(object([&](Writer& w) {
              rawArray(w, "list", items, [](int i) { return "{\"n\":" + std::to_string(i) + "}"; });
              rawArray(w, "none", std::vector<int>{}, [](int) { return std::string("0"); });
            }),
            "{\"list\":[{\"n\":1},{\"n\":2}],\"none\":[]}");
}

TEST(JsonWriter, EmptyObject) {
  EXPECT_EQ(object([](Writer&) {}), "{}");
}

}  // namespace
}  // namespace tongban::json
