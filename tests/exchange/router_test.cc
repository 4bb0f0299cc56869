#include <gtest/gtest.h>

#include "tongban/exchange/http.h"

namespace tongban::exchange {
namespace {

Handler constant(std::string body) {
  return [body](HttpRequest&) -> Result<HttpResponse> { return HttpResponse::json(body); };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r_.add("GET", "/v1/registry/persons/{citizen_id}", constant("person"));
    r_.add("GET", "/v1/certificates/{certificate_id}", constant("get"));
    r_.add("POST", "/v1/certificates/{certificate_id}/revoke", constant("revoke"));
    r_.add("POST", "/v1/certificates", constant("issue"));
    r_.add("GET", "/v1/certificates", constant("list"));
  }
  Router r_;
};

TEST_F(RouterTest, MatchesLiteralAndParameterSegments) {
  auto m = r_.match("GET", "/v1/registry/persons/11010519491231002X");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/registry/persons/{citizen_id}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "11010519491231002X");

  m = r_.match("POST", "/v1/certificates/abc/revoke");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/certificates/{certificate_id}/revoke");
  EXPECT_EQ(m.params, std::vector<std::string>{"abc"});
}

TEST_F(RouterTest, SamePathDifferentMethodsAreDifferentRoutes) {
  EXPECT_EQ(r_.match("POST", "/v1/certificates").route->pattern, "/v1/certificates");
  EXPECT_EQ(r_.match("POST", "/v1/certificates").route->method, "POST");
  EXPECT_EQ(r_.match("GET", "/v1/certificates").route->method, "GET");
}

TEST_F(RouterTest, HeadIsServedByGet) {
  auto m = r_.match("HEAD", "/v1/certificates/abc");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "GET");
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
  auto m = r_.match("DELETE", "/v1/certificates");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "POST, GET");
  m = r_.match("GET", "/v1/certificates/abc/revoke");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "POST");
}

TEST_F(RouterTest, UnknownPathsMatchNothing) {
  for (const char* path : {"/", "/v1", "/v1/registry/persons", "/v1/registry/persons/a/b",
                           "/v1/certificates/", "/v1/registry/persons/x/", "/v2/certificates"}) {
    auto m = r_.match("GET", path);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_TRUE(m.allow.empty()) << path;
  }
}

TEST_F(RouterTest, RepeatedSlashesDoNotCreateEmptyParameters) {
  // "//" collapses like a single "/": the revoke route never sees an empty {certificate_id}.
  auto m = r_.match("POST", "/v1/certificates//revoke");
  EXPECT_EQ(m.route, nullptr);
}

TEST_F(RouterTest, OnlyGetRoutesAreReadOnlyUnlessMarked) {
  // A read-only route's nonce is claimed with its audit entry, after the handler ran: that must
  // never be the case for a route that writes unless its module says so.
  EXPECT_TRUE(r_.match("GET", "/v1/certificates/abc").route->reads_only);
  EXPECT_FALSE(r_.match("POST", "/v1/certificates").route->reads_only);
  EXPECT_FALSE(r_.match("POST", "/v1/certificates/abc/revoke").route->reads_only);
}

}  // namespace
}  // namespace tongban::exchange
