// Tests of the flow-back record reader (adapters/flowback/flowback_reader.h): CSV as RFC 4180
// writes it and as real files arrive (a BOM, CRLF, quoted commas and line breaks, a last line
// without a break), malformed syntax that costs one record and not the rest of the file, JSON
// Lines, and seeking back to a reported offset as a resumed import does.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_env.h"
#include "tongban/adapters/flowback_reader.h"

namespace tongban::flowback {
namespace {

std::string writeFile(const std::string& name, const std::string& content) {
  const std::string dir = testing::binaryDir() + "/import-unit";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

std::vector<RawRecord> readAll(RecordReader& reader) {
  std::vector<RawRecord> out;
  RawRecord r;
  while (reader.next(&r)) out.push_back(r);
  EXPECT_TRUE(reader.status().isOk());
  return out;
}

std::unique_ptr<RecordReader> openCsv(const std::string& path) {
  auto reader = RecordReader::open(path, Format::kCsv);
  EXPECT_TRUE(reader.isOk()) << reader.status().toString();
  return reader.isOk() ? std::move(*reader) : nullptr;
}

TEST(FlowbackReaderTest, BomCrlfQuotedCommasAndLineBreaks) {
  const std::string path = writeFile("crlf.csv",
                                     "\xEF\xBB\xBF"
                                     "a, b ,c\r\n"
                                     "1,\"x, y\",3\r\n"
                                     "\r\n"
                                     "4,\"two\r\nlines\",\"say \"\"hi\"\"\"\r\n"
                                     "7,8,9");  // no final line break
  auto reader = openCsv(path);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->header(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reader->dataOffset(), 3u + 9u);
  EXPECT_EQ(reader->dataLine(), 2u);
  const std::vector<RawRecord> rs = readAll(*reader);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].line, 2u);
  EXPECT_EQ(rs[0].fields, (std::vector<std::string>{"1", "x, y", "3"}));
  EXPECT_EQ(rs[0].error, "");
  EXPECT_EQ(rs[1].line, 4u);  // line 3 is empty
  EXPECT_EQ(rs[1].fields, (std::vector<std::string>{"4", "two\r\nlines", "say \"hi\""}));
  EXPECT_EQ(rs[1].next_line, 6u);
  EXPECT_EQ(rs[2].line, 6u);
  EXPECT_EQ(rs[2].fields, (std::vector<std::string>{"7", "8", "9"}));
  EXPECT_EQ(rs[2].end, reader->fileSize());
}

TEST(FlowbackReaderTest, MalformedQuotesCostOneRecord) {
  const std::string path = writeFile("quotes.csv",
                                     "a,b\n"
                                     "1,x\"y\n"    // quote inside an unquoted field
                                     "2,\"x\"y\n"  // character after a closing quote
                                     "3,ok\n"
                                     "4,\"never closed\n"  // resynchronises at the next line
                                     "5,fine\n");
  auto reader = openCsv(path);
  ASSERT_TRUE(reader);
  const std::vector<RawRecord> rs = readAll(*reader);
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(rs[0].line, 2u);
  EXPECT_EQ(rs[0].error, "a quote inside an unquoted field");
  EXPECT_EQ(rs[1].line, 3u);
  EXPECT_EQ(rs[1].error, "a character after a closing quote");
  EXPECT_EQ(rs[2].line, 4u);
  EXPECT_EQ(rs[2].error, "");
  EXPECT_EQ(rs[3].line, 5u);
  EXPECT_EQ(rs[3].error, "a quoted field not closed before the end of the file");
  EXPECT_EQ(rs[3].text, "4,\"never closed");
  EXPECT_EQ(rs[4].line, 6u);
  EXPECT_EQ(rs[4].fields, (std::vector<std::string>{"5", "fine"}));
}

TEST(FlowbackReaderTest, OverlongRecordIsRejectedAndReadingGoesOn) {
  std::string content = "a,b\n1," + std::string(kMaxRecordBytes + 10, 'x') + "\n2,y\n";
  auto reader = openCsv(writeFile("long.csv", content));
  ASSERT_TRUE(reader);
  const std::vector<RawRecord> rs = readAll(*reader);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_NE(rs[0].error.find("longer than"), std::string::npos) << rs[0].error;
  EXPECT_EQ(rs[1].line, 3u);
  EXPECT_EQ(rs[1].fields, (std::vector<std::string>{"2", "y"}));
}

TEST(FlowbackReaderTest, SeekResumesAtAReportedOffset) {
  const std::string path = writeFile("seek.csv", "k,v\n1,\"a\nb\"\n2,c\n3,d\n");
  auto reader = openCsv(path);
  ASSERT_TRUE(reader);
  const std::vector<RawRecord> all = readAll(*reader);
  ASSERT_EQ(all.size(), 3u);
  ASSERT_TRUE(reader->seek(all[0].end, all[0].next_line).isOk());
  const std::vector<RawRecord> rest = readAll(*reader);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].line, 4u);
  EXPECT_EQ(rest[0].fields, (std::vector<std::string>{"2", "c"}));
  EXPECT_EQ(rest[1].line, 5u);
  EXPECT_FALSE(reader->seek(reader->fileSize() + 1, 1).isOk());
}

TEST(FlowbackReaderTest, EmptyFileHasNoHeader) {
  auto reader = RecordReader::open(writeFile("empty.csv", ""), Format::kCsv);
  ASSERT_FALSE(reader.isOk());
  EXPECT_NE(reader.status().message().find("empty"), std::string::npos);
  auto missing = RecordReader::open(testing::binaryDir() + "/import-unit/none.csv", Format::kCsv);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST(FlowbackReaderTest, JsonLinesSkipBlankLinesAndStripCrlf) {
  auto opened = RecordReader::open(
      writeFile("a.jsonl", "\xEF\xBB\xBF{\"a\":1}\r\n   \n{\"a\":2}\n{bad"), Format::kJsonLines);
  ASSERT_TRUE(opened.isOk());
  const std::vector<RawRecord> rs = readAll(**opened);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].line, 1u);
  EXPECT_EQ(rs[0].text, "{\"a\":1}");
  EXPECT_EQ(rs[1].line, 3u);
  EXPECT_EQ(rs[2].line, 4u);
  EXPECT_EQ(rs[2].text, "{bad");
}

}  // namespace
}  // namespace tongban::flowback
