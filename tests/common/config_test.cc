#include "tongban/common/config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "support/test_env.h"

namespace tongban {
namespace {

TEST(Config, ReadsIniValues) {
  auto c = Config::parse("; comment\n[server]\nport = 9090\nhost=0.0.0.0\n\n[log]\naccess = off\n");
  ASSERT_TRUE(c) << c.status().toString();
  EXPECT_EQ(c->getString("server.host"), "0.0.0.0");
  EXPECT_EQ(*c->getInt("server.port", 8080, 0, 65535), 9090);
  EXPECT_EQ(*c->getBool("log.access", true), false);
  EXPECT_EQ(*c->getInt("server.threads", 64, 1, 100), 64);  // default
  EXPECT_EQ(c->getString("database.url", "fallback"), "fallback");
  EXPECT_FALSE(c->has("database.url"));
}

TEST(Config, EnvironmentOverridesTheFile) {
  auto c = Config::parse("[database]\nurl = host=file\n[server]\nport=1\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(Config::envName("database.url"), "TONGBAN_DATABASE_URL");
  setenv("TONGBAN_DATABASE_URL", "host=env", 1);
  setenv("TONGBAN_SERVER_PORT", "not-a-number", 1);
  EXPECT_EQ(c->getString("database.url"), "host=env");
  auto port = c->getInt("server.port", 8080, 0, 65535);
  ASSERT_FALSE(port);
  EXPECT_EQ(port.status().field(), "server.port");
  EXPECT_NE(port.status().message().find("TONGBAN_SERVER_PORT"), std::string::npos);
  unsetenv("TONGBAN_DATABASE_URL");
  unsetenv("TONGBAN_SERVER_PORT");
  EXPECT_EQ(c->getString("database.url"), "host=file");
}

TEST(Config, RejectsBadValuesNamingKeyAndFile) {
  auto c = Config::parse("[server]\nport = 70000\naccess = maybe\n", "exchange.ini");
  ASSERT_TRUE(c);
  auto port = c->getInt("server.port", 8080, 0, 65535);
  ASSERT_FALSE(port);
  EXPECT_NE(port.status().message().find("exchange.ini"), std::string::npos);
  EXPECT_NE(port.status().message().find("0..65535"), std::string::npos);
  auto b = c->getBool("server.access", true);
  ASSERT_FALSE(b);
  EXPECT_NE(b.status().message().find("maybe"), std::string::npos);
}

TEST(Config, RejectsMalformedFiles) {
  auto line = Config::parse("[server]\nport 8080\n", "x.ini");
  ASSERT_FALSE(line);
  EXPECT_NE(line.status().message().find("line 2"), std::string::npos);
  auto section = Config::parse("[server\nport=1\n");
  ASSERT_FALSE(section);
  auto missing = Config::load("/nonexistent/dir/tongban.ini");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/tongban.ini"), std::string::npos);
}

// Issue 7 (hole 10): secrets can live in files of their own, referenced by path, and such a file
// must not be readable by other users.
TEST(Config, SecretsComeFromPrivateFiles) {
  const std::string path = testing::binaryDir() + "/config-test-master.key";
  {
    std::ofstream f(path, std::ios::trunc);
    f << "c2VjcmV0\n";
  }
  ::chmod(path.c_str(), 0600);
  auto c = Config::parse("[security]\nmaster_key_file = " + path + "\n");
  ASSERT_TRUE(c);
  auto key = c->getSecret("security.master_key");
  ASSERT_TRUE(key) << key.status().toString();
  EXPECT_EQ(*key, "c2VjcmV0");  // the trailing newline dropped

  ::chmod(path.c_str(), 0644);  // what deploy/demo.sh used to leave: world-readable
  auto open = c->getSecret("security.master_key");
  ASSERT_FALSE(open);
  EXPECT_EQ(open.status().field(), "security.master_key_file");
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos);

  ::chmod(path.c_str(), 0600);
  auto both = Config::parse("[security]\nmaster_key = x\nmaster_key_file = " + path + "\n");
  ASSERT_TRUE(both);
  EXPECT_FALSE(both->getSecret("security.master_key"));
  auto missing = Config::parse("[pki]\npassphrase_file = /nonexistent/pki.pass\n");
  ASSERT_TRUE(missing);
  auto m = missing->getSecret("pki.passphrase");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.status().field(), "pki.passphrase_file");
  auto inline_only = Config::parse("[pki]\npassphrase = p\n");
  EXPECT_EQ(*inline_only->getSecret("pki.passphrase"), "p");
  EXPECT_EQ(*inline_only->getSecret("security.master_key"), "");
  ::unlink(path.c_str());
}

TEST(Config, LoadsAFile) {
  std::string path = testing::binaryDir() + "/config_test.ini";
  std::ofstream(path) << "[database]\npool_size = 12\n";
  auto c = Config::load(path);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c->getInt("database.pool_size", 8, 1, 100), 12);
}

}  // namespace
}  // namespace tongban
