// RegistryGenerator: the word lists and the generation of persons and legal entities.
//
// Sources of the weights (approximate, rounded): surname frequencies from the Ministry of Public
// Security's 2020 household-registration report; the age profile and the minority shares per
// province from the 2020 census; entity-type proportions from SAMR's market-entity statistics
// (individual businesses about two thirds, companies most of the rest). Every random choice goes
// through Rng (xoshiro256** seeded by splitmix64) and integer arithmetic, so that the rows are
// the same on every machine.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tongban/admin/registry_generator.h"

#include "tongban/common/identifiers.h"
#include "tongban/common/pg_copy.h"

namespace tongban::admin {
namespace {

// ---------------------------------------------------------------------------------------------
// Randomness

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna). One instance per independent stream.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t sm = seed * 0xD1342543DE82EF95ull + stream * 0x9E3779B97F4A7C15ull + stream;
    for (auto& word : s_) word = splitmix64(&sm);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n), n > 0. Rejection sampling: unbiased and portable.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = next();
    } while (x >= limit);
    return x % n;
  }
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // True with probability per_mille / 1000.
  bool chance(uint32_t per_mille) { return below(1000) < per_mille; }
  template <typename T, size_t N>
  const T& pick(const std::array<T, N>& items) {
    return items[below(N)];
  }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Items with integer weights; pick() is a binary search over the cumulative weights.
template <typename T>
class Weighted {
 public:
  Weighted() = default;
  Weighted(std::initializer_list<std::pair<T, uint32_t>> items) {
    for (const auto& [item, weight] : items) add(item, weight);
  }
  void add(T item, uint64_t weight) {
    if (weight == 0) return;
    items_.push_back(std::move(item));
    total_ += weight;
    cumulative_.push_back(total_);
  }
  bool empty() const { return items_.empty(); }
  const T& pick(Rng& rng) const {
    const uint64_t x = rng.below(total_);
    const size_t i = static_cast<size_t>(
        std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin());
    return items_[i];
  }

 private:
  std::vector<T> items_;
  std::vector<uint64_t> cumulative_;
  uint64_t total_ = 0;
};

// Open-addressing set of non-zero 64-bit keys: 8 bytes a slot, at most half full. Used for the
// uniqueness of citizen ids and organisation codes up to kMaxRows without std::unordered_set's
// ~40 bytes a key.
class U64Set {
 public:
  U64Set() : slots_(1024, 0) {}
  // True when inserted, false when already present. Precondition: key != 0.
  bool insert(uint64_t key) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    if (!place(&slots_, key)) return false;
    ++size_;
    return true;
  }

 private:
  static size_t slotOf(uint64_t key, size_t mask) {
    key ^= key >> 33;
    key *= 0xFF51AFD7ED558CCDull;
    key ^= key >> 33;
    return static_cast<size_t>(key) & mask;
  }
  static bool place(std::vector<uint64_t>* slots, uint64_t key) {
    const size_t mask = slots->size() - 1;
    for (size_t i = slotOf(key, mask);; i = (i + 1) & mask) {
      if ((*slots)[i] == key) return false;
      if ((*slots)[i] == 0) {
        (*slots)[i] = key;
        return true;
      }
    }
  }
  void grow() {
    std::vector<uint64_t> bigger(slots_.size() * 2, 0);
    for (uint64_t key : slots_) {
      if (key != 0) place(&bigger, key);
    }
    slots_.swap(bigger);
  }
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Dates (Howard Hinnant's civil-calendar algorithms)

int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2));
  return Date{y, m, d};
}

int64_t toDays(const Date& d) { return daysFromCivil(d.year, d.month, d.day); }

// The day someone born on `birth` turns `years` (29 February → 1 March in common years).
int64_t anniversary(const Date& birth, int years) {
  const int y = birth.year + years;
  if (birth.month == 2 && birth.day == 29) {
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (!leap) return daysFromCivil(y, 3, 1);
  }
  return daysFromCivil(y, birth.month, birth.day);
}

// A uniformly chosen day of year y, clamped to [lo, hi] (in days).
int64_t dayInYear(Rng& rng, int y, int64_t lo, int64_t hi) {
  const int64_t first = std::max(daysFromCivil(y, 1, 1), lo);
  const int64_t last = std::min(daysFromCivil(y, 12, 31), hi);
  if (first > last) return std::clamp(daysFromCivil(y, 7, 1), lo, hi);
  return rng.between(first, last);
}

// ---------------------------------------------------------------------------------------------
// Word lists

constexpr int kFirstBirthYear = 1930;
constexpr int kLastBirthYear = 2008;

// Persons per birth year, from the 2020 census's five-year age groups (millions per group × 10;
// the same weight for each year of a group).
uint32_t birthYearWeight(int year) {
  const int age = 2020 - year;
  static const uint32_t kByGroup[] = {779,  902,  853, 727, 750, 919, 1241, 990, 930, 1142,
                                      1212, 1014, 734, 740, 496, 312, 204,  110, 45};
  const int group = std::min(age / 5, 18);
  return kByGroup[group];
}

const Weighted<std::string>& surnames() {
  // Weights: per 10,000 persons.
  static const Weighted<std::string> k = {
      {"王", 710}, {"李", 700}, {"张", 660}, {"刘", 540}, {"陈", 450}, {"杨", 310}, {"黄", 220},
      {"赵", 200}, {"吴", 200}, {"周", 190}, {"徐", 150}, {"孙", 140}, {"马", 130}, {"朱", 130},
      {"胡", 120}, {"郭", 110}, {"何", 110}, {"林", 100}, {"高", 110}, {"罗", 90},  {"郑", 80},
      {"梁", 80},  {"谢", 70},  {"宋", 60},  {"唐", 60},  {"许", 60},  {"韩", 60},  {"冯", 50},
      {"邓", 50},  {"曹", 50},  {"彭", 50},  {"曾", 50},  {"肖", 50},  {"田", 40},  {"董", 40},
      {"袁", 40},  {"潘", 40},  {"于", 40},  {"蒋", 40},  {"蔡", 40},  {"余", 40},  {"杜", 40},
      {"叶", 40},  {"程", 40},  {"苏", 30},  {"魏", 30},  {"吕", 30},  {"丁", 30},  {"任", 30},
      {"沈", 30},  {"姚", 30},  {"卢", 30},  {"姜", 30},  {"崔", 30},  {"钟", 30},  {"谭", 30},
      {"陆", 30},  {"汪", 30},  {"范", 30},  {"金", 30},  {"石", 30},  {"廖", 30},  {"贾", 30},
      {"夏", 20},  {"韦", 20},  {"付", 20},  {"方", 20},  {"白", 20},  {"邹", 20},  {"孟", 20},
      {"熊", 20},  {"秦", 20},  {"邱", 20},  {"江", 20},  {"尹", 20},  {"薛", 20},  {"闫", 20},
      {"段", 20},  {"雷", 20},  {"侯", 20},  {"龙", 20},  {"史", 20},  {"陶", 20},  {"黎", 20},
      {"贺", 20},  {"顾", 20},  {"毛", 20},  {"郝", 20},  {"龚", 20},  {"邵", 20},  {"万", 20},
      {"钱", 20},  {"严", 10},  {"覃", 10},  {"武", 10},  {"戴", 10},  {"莫", 10},  {"孔", 10},
      {"向", 10},  {"汤", 10},  {"常", 10},  {"温", 10},  {"康", 10},  {"施", 10},  {"文", 10},
      {"牛", 10},  {"樊", 10},  {"葛", 10},  {"邢", 10},  {"安", 10},  {"齐", 10},  {"易", 10},
      {"欧阳", 5}, {"司马", 1}, {"诸葛", 1}, {"上官", 1}, {"司徒", 1}, {"令狐", 1}};
  return k;
}

// Given names by era of birth (before 1960, 1960–1984, from 1985) and sex.
struct GivenNames {
  std::vector<std::string> single;   // one-character names
  std::vector<std::string> double_;  // two-character names
  uint32_t single_per_mille;
};

const GivenNames& givenNames(int birth_year, bool male) {
  static const GivenNames kOldMale = {
      {"勇", "强", "军", "明", "华", "斌", "林", "峰", "忠", "福", "贵", "庆", "亮", "刚", "平"},
      {"建国", "建华", "国庆", "国强", "卫国", "爱国", "建军", "援朝", "和平", "德明",
       "志明", "振华", "文华", "树林", "永福", "长庚", "有才", "德胜", "福生", "金生",
       "学文", "保国", "国栋", "建设", "跃进", "文斌", "志成", "德华", "世昌", "宝山"},
      200};
  static const GivenNames kOldFemale = {
      {"英", "兰", "珍", "梅", "芳", "华", "霞", "琴", "萍", "莲", "凤", "荣"},
      {"秀英", "桂英", "秀兰", "玉兰", "桂兰", "淑珍", "凤英", "玉珍", "玉英", "兰英",
       "秀珍", "桂珍", "淑英", "素珍", "秀云", "玉梅", "凤兰", "桂芳", "淑兰", "秀荣",
       "翠兰", "金凤", "玉芬", "美英", "秀芳", "桂香", "淑华", "素英"},
      180};
  static const GivenNames kMidMale = {
      {"伟", "磊", "勇", "军", "杰", "涛", "斌", "强", "鹏", "辉", "超", "刚", "波", "健", "峰"},
      {"建华", "志强", "志刚", "海涛", "建平", "晓东", "小龙", "永刚", "红兵", "卫东",
       "向东", "立新", "海波", "国华", "建伟", "俊峰", "晓峰", "文斌", "春雷", "振宇",
       "海军", "宏伟", "建新", "勇军", "学军", "志勇", "晓明", "东升", "永强", "建明"},
      280};
  static const GivenNames kMidFemale = {
      {"芳", "娜", "敏", "静", "丽", "艳", "燕", "娟", "霞", "玲", "红", "琳", "萍", "洁"},
      {"丽娟", "秀梅", "海燕", "晓红", "红梅", "春梅", "丽华", "小燕", "晓燕", "丽萍",
       "雪梅", "红霞", "建英", "美玲", "丽丽", "晓丽", "艳红", "小红", "桂芳", "玉华",
       "海霞", "慧敏", "秀丽", "丹丹", "晓梅", "春燕", "文静", "丽君"},
      280};
  static const GivenNames kNewMale = {
      {"浩", "宇", "轩", "杰", "鑫", "博", "磊", "帅", "昊", "凯", "睿", "阳", "晨"},
      {"子轩", "浩然", "宇轩", "梓豪", "俊杰", "子豪", "浩宇", "天宇", "嘉豪", "文博",
       "明轩", "一鸣", "思远", "皓轩", "家乐", "俊豪", "宇航", "博文", "鹏飞", "晨阳",
       "子健", "泽宇", "佳豪", "梓轩", "宇豪", "浩轩", "奕辰", "子墨", "俊熙", "志豪"},
      100};
  static const GivenNames kNewFemale = {
      {"婷", "雪", "琪", "欣", "萌", "悦", "颖", "倩", "瑶", "佳", "璐", "蕾", "洁"},
      {"子涵", "欣怡", "梓涵", "诗涵", "雨涵", "思涵", "佳怡", "可馨", "紫涵", "雨萱",
       "梦瑶", "心怡", "静怡", "婷婷", "欣悦", "雅琪", "佳琪", "思彤", "晓雪", "雨欣",
       "梦琪", "嘉欣", "一诺", "若曦", "诗琪", "语嫣", "梓萱", "欣妍", "雅婷", "思琪"},
      100};
  if (birth_year < 1960) return male ? kOldMale : kOldFemale;
  if (birth_year < 1985) return male ? kMidMale : kMidFemale;
  return male ? kNewMale : kNewFemale;
}

// Characters that combine into further two-character given names.
const std::array<const char*, 20> kMaleFirst = {"志", "建", "国", "文", "明", "俊", "晓",
                                                "海", "宏", "永", "德", "家", "子", "浩",
                                                "天", "振", "伟", "鹏", "嘉", "立"};
const std::array<const char*, 20> kMaleSecond = {"强", "华", "军", "平", "伟", "明", "杰",
                                                 "峰", "涛", "龙", "辉", "林", "斌", "宇",
                                                 "成", "飞", "新", "东", "波", "刚"};
const std::array<const char*, 20> kFemaleFirst = {"秀", "丽", "美", "晓", "海", "春", "雅",
                                                  "静", "思", "佳", "雨", "玉", "婉", "慧",
                                                  "欣", "诗", "梦", "彩", "素", "雪"};
const std::array<const char*, 20> kFemaleSecond = {"英", "兰", "芳", "红", "霞", "梅", "燕",
                                                   "娟", "琳", "婷", "洁", "萍", "琴", "颖",
                                                   "怡", "涵", "雯", "丹", "珊", "莹"};

struct EthnicShare {
  const char* name;
  uint32_t per_mille;
};

// Minorities per province (2020 census, per mille of the province's population, the larger
// groups only); the rest is 汉族. Provinces not listed: the national mix of scattered minorities.
const std::vector<EthnicShare>& minorities(int province) {
  static const std::vector<EthnicShare> kDefault = {{"回族", 4}, {"满族", 2}, {"土家族", 2},
                                                    {"苗族", 2}, {"壮族", 2}, {"蒙古族", 1}};
  static const std::vector<std::pair<int, std::vector<EthnicShare>>> kByProvince = {
      {11, {{"满族", 9}, {"回族", 10}, {"蒙古族", 2}}},
      {12, {{"回族", 9}, {"满族", 4}}},
      {13, {{"满族", 27}, {"回族", 8}, {"蒙古族", 3}}},
      {15, {{"蒙古族", 176}, {"满族", 17}, {"回族", 8}, {"达斡尔族", 3}}},
      {21, {{"满族", 123}, {"蒙古族", 16}, {"回族", 5}, {"朝鲜族", 5}, {"锡伯族", 3}}},
      {22, {{"朝鲜族", 36}, {"满族", 32}, {"蒙古族", 6}, {"回族", 4}}},
      {23, {{"满族", 23}, {"朝鲜族", 7}, {"蒙古族", 4}, {"回族", 3}}},
      {33, {{"畲族", 3}, {"土家族", 3}, {"苗族", 4}}},
      {35, {{"畲族", 9}, {"苗族", 3}}},
      {41, {{"回族", 10}}},
      {42, {{"土家族", 38}, {"苗族", 4}}},
      {43, {{"土家族", 40}, {"苗族", 32}, {"侗族", 13}, {"瑶族", 11}, {"白族", 2}}},
      {44, {{"壮族", 8}, {"瑶族", 2}, {"土家族", 3}, {"苗族", 3}}},
      {45, {{"壮族", 310}, {"瑶族", 32}, {"苗族", 10}, {"侗族", 6}}},
      {46, {{"黎族", 150}, {"苗族", 8}}},
      {50, {{"土家族", 45}, {"苗族", 16}}},
      {51, {{"彝族", 34}, {"藏族", 18}, {"羌族", 4}}},
      {52,
       {{"苗族", 112},
        {"布依族", 70},
        {"土家族", 38},
        {"侗族", 37},
        {"彝族", 21},
        {"仡佬族", 14},
        {"水族", 9}}},
      {53,
       {{"彝族", 107},
        {"哈尼族", 35},
        {"白族", 32},
        {"傣族", 26},
        {"壮族", 26},
        {"苗族", 25},
        {"回族", 15},
        {"傈僳族", 15},
        {"拉祜族", 10},
        {"佤族", 8}}},
      {54, {{"藏族", 860}, {"门巴族", 3}}},
      {62, {{"回族", 48}, {"东乡族", 24}, {"藏族", 19}, {"土族", 1}}},
      {63, {{"藏族", 246}, {"回族", 148}, {"土族", 35}, {"撒拉族", 19}, {"蒙古族", 17}}},
      {64, {{"回族", 365}}},
      {65, {{"维吾尔族", 449}, {"哈萨克族", 64}, {"回族", 42}, {"柯尔克孜族", 8}, {"蒙古族", 6}}}};
  for (const auto& [p, shares] : kByProvince) {
    if (p == province) return shares;
  }
  return kDefault;
}

const std::array<const char*, 40> kStreets = {
    "人民路", "解放路",   "中山路",   "建设路", "和平路",   "新华路", "胜利路", "文化路",
    "光明路", "友谊路",   "长江路",   "黄河路", "朝阳路",   "东风路", "青年路", "学府路",
    "幸福路", "工业路",   "迎宾大道", "滨河路", "府前街",   "花园路", "建国路", "复兴路",
    "团结路", "振兴路",   "红旗路",   "五一路", "公园路",   "站前路", "北京路", "南京路",
    "科技路", "创业大道", "世纪大道", "体育路", "环城北路", "东大街", "西大街", "中心大街"};

const std::array<const char*, 20> kCommunities = {
    "阳光花园", "翠苑",   "金色家园", "锦绣华庭", "幸福里",   "学府小区", "世纪新城",
    "和平里",   "碧水湾", "桂花园",   "东方名苑", "新华小区", "春晖园",   "丽景湾",
    "滨江花园", "书香苑", "紫荆小区", "怡景园",   "御景华府", "康居小区"};

const std::array<const char*, 20> kTowns = {"城关", "新安", "长安", "太平", "永安", "青山", "白马",
                                            "石桥", "清水", "龙泉", "柳林", "桃源", "杨柳", "高桥",
                                            "花园", "双河", "黄土", "马鞍", "金山", "河口"};

const std::array<const char*, 20> kVillages = {
    "张庄", "李家", "王庄", "大营", "前进", "红星", "新村", "东湖", "西岗", "南湾",
    "北坡", "柏树", "杨树", "沙河", "白石", "大柳", "小河", "石门", "桥头", "陈家湾"};

// Trade names (字号) are two characters, one from each list.
const std::array<const char*, 50> kTradeFirst = {
    "云", "华", "鑫", "恒", "金", "瑞", "博", "天", "盛", "新", "宏", "永", "嘉",
    "启", "联", "智", "锦", "远", "汇", "正", "东", "星", "海", "银", "卓", "优",
    "德", "长", "兴", "益", "万", "百", "鼎", "凯", "青", "蓝", "诚", "和", "安",
    "聚", "晨", "沃", "精", "思", "景", "泰", "中", "国", "龙", "凤"};
const std::array<const char*, 50> kTradeSecond = {
    "帆", "泰", "源", "信", "诺", "丰", "远", "启", "世", "锐", "达", "盛", "禾",
    "明", "创", "汇", "程", "航", "通", "方", "辰", "纳", "河", "越", "品", "润",
    "兴", "业", "家", "川", "鼎", "旋", "海", "光", "力", "土", "诚", "顺", "安",
    "和", "科", "宇", "峰", "成", "恒", "德", "瑞", "祥", "福", "利"};

struct Industry {
  const char* word;  // in the name: 科技, 商贸, ...
  std::vector<const char*> scope;
};

const std::vector<Industry>& industries() {
  static const std::vector<Industry> k = {
      {"科技",
       {"技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广", "软件开发", "计算机系统服务",
        "信息系统集成服务", "数据处理服务", "电子产品销售"}},
      {"网络科技",
       {"网络技术服务", "软件开发", "互联网销售（除销售需要许可的商品）", "信息技术咨询服务",
        "广告设计、代理", "数字内容制作服务（不含出版发行）"}},
      {"信息技术",
       {"信息系统集成服务", "信息技术咨询服务", "软件开发", "数据处理和存储支持服务",
        "计算机软硬件及辅助设备零售", "网络与信息安全软件开发"}},
      {"商贸",
       {"日用百货销售", "五金产品批发", "建筑材料销售", "服装服饰批发", "电子产品销售",
        "食品销售（仅销售预包装食品）", "货物进出口", "技术进出口"}},
      {"贸易",
       {"货物进出口", "技术进出口", "金属材料销售", "化工产品销售（不含许可类化工产品）",
        "机械设备销售", "纺织品批发", "农副产品销售"}},
      {"建筑工程",
       {"建设工程施工", "建筑劳务分包", "住宅室内装饰装修", "园林绿化工程施工", "土石方工程施工",
        "建筑材料销售"}},
      {"装饰工程",
       {"住宅室内装饰装修", "建筑装饰材料销售", "家具安装和维修服务", "门窗安装服务",
        "五金产品零售"}},
      {"物流",
       {"道路货物运输（不含危险货物）", "国内货物运输代理",
        "普通货物仓储服务（不含危险化学品等需许可审批的项目）", "装卸搬运", "供应链管理服务"}},
      {"文化传媒",
       {"组织文化艺术交流活动", "广告设计、代理", "广告制作", "会议及展览服务", "电影摄制服务",
        "数字文化创意内容应用服务"}},
      {"餐饮管理", {"餐饮服务", "餐饮管理", "食品销售", "外卖递送服务", "酒类经营"}},
      {"教育咨询",
       {"教育咨询服务（不含涉许可审批的教育培训活动）",
        "业务培训（不含教育培训、职业技能培训等需取得许可的培训）", "组织文化艺术交流活动",
        "软件开发"}},
      {"医疗器械",
       {"第一类医疗器械销售", "第二类医疗器械销售", "第三类医疗器械经营", "医护人员防护用品批发",
        "消毒剂销售（不含危险化学品）"}},
      {"生物科技",
       {"生物化工产品技术研发", "工程和技术研究和试验发展", "化妆品零售", "保健食品（预包装）销售",
        "技术服务、技术开发"}},
      {"环保科技",
       {"环保咨询服务", "大气污染治理", "水污染治理", "固体废物治理", "环境保护专用设备销售",
        "技术服务、技术开发"}},
      {"新能源",
       {"太阳能发电技术服务", "光伏设备及元器件销售", "储能技术服务", "新能源汽车电附件销售",
        "合同能源管理"}},
      {"机械设备",
       {"通用设备制造（不含特种设备制造）", "机械设备销售", "机械设备租赁", "普通机械设备安装服务",
        "五金产品批发"}},
      {"食品", {"食品生产", "食品销售", "农副产品销售", "食用农产品批发", "食品互联网销售"}},
      {"服饰", {"服装制造", "服装服饰批发", "服装服饰零售", "针纺织品销售", "鞋帽批发"}},
      {"房地产经纪", {"房地产经纪", "房地产咨询", "住房租赁", "物业管理", "非居住房地产租赁"}},
      {"企业管理咨询",
       {"企业管理咨询", "信息咨询服务（不含许可类信息咨询服务）", "市场营销策划", "企业形象策划",
        "财务咨询"}},
      {"人力资源",
       {"人力资源服务（不含职业中介活动、劳务派遣服务）", "劳务派遣服务", "职业中介活动",
        "企业管理咨询", "承接档案服务外包"}},
      {"汽车服务",
       {"汽车零配件零售", "机动车修理和维护", "汽车装饰用品销售", "洗车服务", "二手车经纪"}},
      {"农业科技",
       {"农业科学研究和试验发展", "农作物种子经营", "化肥销售", "农业机械销售", "智能农业管理"}},
      {"电子商务",
       {"互联网销售（除销售需要许可的商品）", "日用百货销售", "电子产品销售", "供应链管理服务",
        "国内贸易代理"}},
      {"投资管理",
       {"以自有资金从事投资活动", "股权投资", "创业投资（限投资未上市企业）", "企业管理咨询"}}};
  return k;
}

// Individual businesses (个体工商户): the shop word ending the name and what it does.
const std::vector<Industry>& shops() {
  static const std::vector<Industry> k = {
      {"面馆", {"餐饮服务", "食品小作坊经营"}},
      {"小吃店", {"餐饮服务", "小餐饮"}},
      {"饭店", {"餐饮服务", "酒类经营"}},
      {"便利店", {"食品销售", "日用百货销售", "烟草制品零售"}},
      {"水果店", {"新鲜水果零售", "食用农产品零售"}},
      {"五金店", {"五金产品零售", "建筑材料销售", "电线、电缆经营"}},
      {"理发店", {"理发服务", "生活美容服务"}},
      {"服装店", {"服装服饰零售", "鞋帽零售", "针纺织品销售"}},
      {"烟酒店", {"烟草制品零售", "酒类经营", "食品销售"}},
      {"超市", {"食品销售", "日用百货销售", "烟草制品零售", "文具用品零售"}},
      {"汽车修理部", {"机动车修理和维护", "汽车零配件零售", "洗车服务"}},
      {"手机维修部", {"通讯设备修理", "移动终端设备销售", "电子产品销售"}},
      {"茶叶店", {"食品销售（仅销售预包装食品）", "茶具销售"}},
      {"建材经营部", {"建筑材料销售", "建筑装饰材料销售", "五金产品零售"}},
      {"农资店", {"化肥销售", "农药零售", "农作物种子经营"}},
      {"干洗店", {"洗烫服务", "洗染服务"}},
      {"美甲店", {"美甲服务", "化妆品零售"}},
      {"快递服务部", {"快递服务", "国内货物运输代理"}},
      {"家电维修部", {"日用电器修理", "家用电器销售"}},
      {"百货商店", {"日用百货销售", "文具用品零售", "玩具销售"}}};
  return k;
}

// Farmer cooperatives (农民专业合作社): what the members produce.
const std::array<const char*, 12> kFarmProducts = {
    "蔬菜种植",   "水果种植",     "茶叶种植", "生猪养殖", "水稻种植", "中药材种植",
    "食用菌种植", "花卉苗木种植", "家禽养殖", "水产养殖", "农机服务", "粮食种植"};

const char kScopeTail[] = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）";

// Registered capital in yuan, by entity type; weights per thousand.
const Weighted<int64_t>& capitalFor(const std::string& type) {
  static const Weighted<int64_t> kLlc = {
      {100'000, 50},    {300'000, 50},     {500'000, 100},    {1'000'000, 200}, {2'000'000, 100},
      {3'000'000, 80},  {5'000'000, 120},  {10'000'000, 120}, {20'000'000, 50}, {30'000'000, 30},
      {50'000'000, 30}, {100'000'000, 20}, {1'680'000, 15},   {8'880'000, 10},  {200'000'000, 5}};
  static const Weighted<int64_t> kJointStock = {
      {10'000'000, 200}, {30'000'000, 200}, {50'000'000, 250},  {100'000'000, 200},
      {300'000'000, 80}, {500'000'000, 50}, {1'000'000'000, 20}};
  static const Weighted<int64_t> kSole = {{10'000, 150},  {30'000, 150},  {50'000, 200},
                                          {100'000, 250}, {200'000, 100}, {500'000, 100},
                                          {1'000'000, 50}};
  static const Weighted<int64_t> kPartnership = {
      {1'000'000, 250}, {5'000'000, 250}, {10'000'000, 250}, {30'000'000, 150}, {100'000'000, 100}};
  static const Weighted<int64_t> kCooperative = {{50'000, 150},    {100'000, 200},
                                                 {500'000, 250},   {1'000'000, 200},
                                                 {2'000'000, 150}, {5'000'000, 50}};
  if (type == "joint_stock") return kJointStock;
  if (type == "sole_proprietorship") return kSole;
  if (type == "partnership") return kPartnership;
  if (type == "farmer_cooperative") return kCooperative;
  return kLlc;
}

// Market-entity proportions, per ten thousand.
const Weighted<std::string>& entityTypes() {
  static const Weighted<std::string> k = {{"individual_business", 6400},
                                          {"llc", 2800},
                                          {"joint_stock", 50},
                                          {"sole_proprietorship", 250},
                                          {"partnership", 120},
                                          {"farmer_cooperative", 130},
                                          {"branch", 250}};
  return k;
}

// Establishment years: registrations grew tenfold from the 1990s to the 2014 reform and after.
uint32_t establishmentYearWeight(int year) {
  if (year < 2000) return 10;
  if (year < 2010) return 20;
  if (year < 2014) return 40;
  if (year < 2018) return 70;
  return 100;
}

// GB 32100 alphabet (no I, O, S, V, Z).
constexpr char kCreditAlphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// ---------------------------------------------------------------------------------------------
// Regions

struct County {
  std::string code;     // six digits
  uint64_t number = 0;  // the same as a number
  std::string full;     // 浙江省杭州市西湖区
  std::string local;    // 西湖区
  std::string city;     // 杭州 (for company names)
  int province = 0;     // first two digits
  bool urban = true;    // a district (区) rather than a county
};

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "杭州市" → "杭州", "忠县" stays (one character left would not read as a place).
std::string withoutSuffix(const std::string& name) {
  for (std::string_view suffix : {"市", "区", "县", "旗", "林区"}) {
    // A CJK character is three bytes in UTF-8; keep at least two of them.
    if (endsWith(name, suffix) && name.size() - suffix.size() >= 6) {
      return name.substr(0, name.size() - suffix.size());
    }
  }
  return name;
}

std::vector<County> loadCounties() {
  size_t count = 0;
  const ids::Region* table = ids::regionTable(&count);
  std::vector<County> counties;
  for (size_t i = 0; i < count; ++i) {
    const std::string code = table[i].code;
    const std::string full = table[i].name;
    if (code.size() != 6 || endsWith(code, "00") || endsWith(full, "市辖区")) continue;
    County c;
    c.code = code;
    c.number = std::stoull(code);
    c.full = full;
    c.province = (code[0] - '0') * 10 + (code[1] - '0');
    const std::string province_name = ids::regionName(code.substr(0, 2) + "0000");
    const std::string prefecture_name = ids::regionName(code.substr(0, 4) + "00");
    if (!prefecture_name.empty() && startsWith(full, prefecture_name) &&
        full.size() > prefecture_name.size()) {
      c.local = full.substr(prefecture_name.size());
    } else if (!province_name.empty() && startsWith(full, province_name) &&
               full.size() > province_name.size()) {
      c.local = full.substr(province_name.size());
    } else {
      c.local = full;
    }
    const bool municipality =
        c.province == 11 || c.province == 12 || c.province == 31 || c.province == 50;
    if (municipality && !province_name.empty()) {
      c.city = withoutSuffix(province_name);
    } else if (!prefecture_name.empty() && endsWith(prefecture_name, "市") &&
               startsWith(prefecture_name, province_name)) {
      c.city = withoutSuffix(prefecture_name.substr(province_name.size()));
    } else {
      c.city = withoutSuffix(c.local);
    }
    if (c.city.empty()) c.city = c.local;
    c.urban = endsWith(c.local, "区");
    counties.push_back(std::move(c));
  }
  return counties;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers

void appendInt(std::string* out, int64_t v, int width = 0) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

std::string digits17(uint64_t id17) {
  std::string s(17, '0');
  for (int i = 16; i >= 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>('0' + id17 % 10);
    id17 /= 10;
  }
  return s;
}

Date birthDateOf(uint64_t id17) {
  const uint64_t ymd = (id17 / 1000) % 100'000'000;
  return Date{static_cast<int>(ymd / 10000), static_cast<int>(ymd / 100 % 100),
              static_cast<int>(ymd % 100)};
}

std::string citizenIdOf(uint64_t id17) {
  std::string id = digits17(id17);
  id.push_back(ids::citizenIdCheckChar(id));
  return id;
}

}  // namespace

std::string Date::toString() const {
  std::string s;
  appendInt(&s, year, 4);
  s.push_back('-');
  appendInt(&s, month, 2);
  s.push_back('-');
  appendInt(&s, day, 2);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The generator

struct RegistryGenerator::Impl {
  struct Rep {
    uint64_t id17;
    uint32_t county;  // household registration
  };

  Impl(uint64_t seed, size_t persons, size_t entities, std::vector<County> counties_in)
      : person_rng(seed, 1),
        entity_rng(seed, 2),
        person_total(persons),
        entity_total(entities),
        counties(std::move(counties_in)) {
    for (uint32_t i = 0; i < counties.size(); ++i) {
      // Districts are denser than counties; the shipped table holds the big cities' districts.
      county_index.add(i, counties[i].urban ? 10 : 6);
    }
    for (int y = kFirstBirthYear; y <= kLastBirthYear; ++y) birth_years.add(y, birthYearWeight(y));
  }

  void makePerson(PersonRecord* p);
  Status makeEntity(EntityRecord* e);
  std::string givenName(int birth_year, bool male);
  std::string address(const County& c, bool for_entity);

  Rng person_rng;
  Rng entity_rng;
  size_t person_total;
  size_t entity_total;
  size_t persons_done = 0;
  size_t entities_done = 0;
  std::vector<County> counties;
  Weighted<uint32_t> county_index;
  Weighted<int> birth_years;
  U64Set person_ids;
  U64Set org_codes;
  std::vector<Rep> reps;  // living persons who are 18 by kReferenceDate
};

std::string RegistryGenerator::Impl::givenName(int birth_year, bool male) {
  Rng& rng = person_rng;
  const GivenNames& names = givenNames(birth_year, male);
  if (rng.chance(names.single_per_mille)) return rng.pick(names.single);
  if (rng.chance(650)) return rng.pick(names.double_);
  return std::string(male ? rng.pick(kMaleFirst) : rng.pick(kFemaleFirst)) +
         (male ? rng.pick(kMaleSecond) : rng.pick(kFemaleSecond));
}

std::string RegistryGenerator::Impl::address(const County& c, bool for_entity) {
  Rng& rng = for_entity ? entity_rng : person_rng;
  std::string a = c.full;
  if (!c.urban && rng.chance(for_entity ? 300 : 600)) {
    a += rng.pick(kTowns);
    a += "镇";
    a += rng.pick(kVillages);
    a += "村";
    appendInt(&a, rng.between(1, 12));
    a += "组";
    appendInt(&a, rng.between(1, 180));
    a += "号";
    return a;
  }
  a += rng.pick(kStreets);
  appendInt(&a, rng.between(1, 999));
  a += "号";
  const uint64_t form = rng.below(10);
  if (for_entity) {
    if (form < 4) {
      appendInt(&a, rng.between(1, 12));
      a += "幢";
      appendInt(&a, rng.between(1, 25));
      appendInt(&a, rng.between(1, 20), 2);
      a += "室";
    } else if (form < 7) {
      appendInt(&a, rng.between(1, 30));
      a += "层";
    }
    return a;
  }
  if (form < 6) {
    a += rng.pick(kCommunities);
    appendInt(&a, rng.between(1, 30));
    a += "栋";
    appendInt(&a, rng.between(1, 6));
    a += "单元";
    appendInt(&a, rng.between(1, 33));
    appendInt(&a, rng.between(1, 4), 2);
    a += "室";
  } else if (form < 9) {
    appendInt(&a, rng.between(1, 6));
    a += "单元";
    appendInt(&a, rng.between(1, 7));
    appendInt(&a, rng.between(1, 4), 2);
    a += "室";
  }
  return a;
}

void RegistryGenerator::Impl::makePerson(PersonRecord* p) {
  Rng& rng = person_rng;
  const uint32_t birth_county = county_index.pick(rng);
  const int year = birth_years.pick(rng);
  int64_t day = dayInYear(rng, year, daysFromCivil(kFirstBirthYear, 1, 1),
                          daysFromCivil(kLastBirthYear, 12, 31));
  const bool male = rng.below(1000) < 512;
  // Order number: odd for men. On a collision, the next free number of the same parity; when a
  // day is full (500 of a sex), the next day.
  uint64_t order = rng.below(500) * 2 + (male ? 1 : 0);
  const uint64_t region = counties[birth_county].number;
  uint64_t id17 = 0;
  for (int tries = 0;; ++tries) {
    if (tries > 0 && tries % 500 == 0) {
      ++day;
      if (day > daysFromCivil(kLastBirthYear, 12, 31)) day = daysFromCivil(kFirstBirthYear, 1, 1);
    }
    const Date d = civilFromDays(day);
    const uint64_t ymd = static_cast<uint64_t>(d.year * 10000 + d.month * 100 + d.day);
    id17 = region * 100'000'000'000ull + ymd * 1000 + order;
    if (person_ids.insert(id17)) break;
    order = (order + 2) % 1000;
  }
  const Date birth = birthDateOf(id17);

  p->citizen_id = citizenIdOf(id17);
  p->sex = male ? 'M' : 'F';
  p->birth_date = birth;
  p->name = surnames().pick(rng) + givenName(birth.year, male);

  // Household registration: mostly where the id was issued; about one in eight has moved.
  const uint32_t county = rng.chance(120) ? county_index.pick(rng) : birth_county;
  const County& c = counties[county];
  p->region_code = c.code;
  p->address = address(c, false);

  p->ethnicity = "汉族";
  uint64_t x = rng.below(1000);
  for (const EthnicShare& share : minorities(counties[birth_county].province)) {
    if (x < share.per_mille) {
      p->ethnicity = share.name;
      break;
    }
    x -= share.per_mille;
  }

  // Deaths by birth decade (per mille), emigration mostly among the younger.
  uint32_t deceased = 2;
  if (birth.year < 1940) {
    deceased = 300;
  } else if (birth.year < 1950) {
    deceased = 110;
  } else if (birth.year < 1960) {
    deceased = 40;
  } else if (birth.year < 1970) {
    deceased = 12;
  } else if (birth.year < 1980) {
    deceased = 5;
  }
  const uint32_t emigrated = birth.year >= 1950 ? 5 : 2;
  const uint64_t s = rng.below(1000);
  if (s < deceased) {
    p->status = "deceased";
  } else if (s < deceased + emigrated) {
    p->status = "emigrated";
  } else {
    p->status = "living";
    if (anniversary(birth, 18) <= toDays(kReferenceDate)) reps.push_back({id17, county});
  }
}

Status RegistryGenerator::Impl::makeEntity(EntityRecord* e) {
  Rng& rng = entity_rng;
  if (reps.empty()) {
    return Status::invalid("persons",
                           "no generated person can be a legal representative (none is living and "
                           "adult); generate more persons");
  }
  const std::string& type = entityTypes().pick(rng);
  e->entity_type = type;

  // Representative and establishment date: a living person, 18 or older on that date, and
  // preferably not past 70 (a few tries, then any adult).
  const int64_t reference = toDays(kReferenceDate);
  const int64_t earliest = type == "farmer_cooperative"
                               ? daysFromCivil(2007, 7, 1)  // the cooperatives law
                               : daysFromCivil(1990, 1, 1);
  Rep rep{};
  int64_t established = 0;
  for (int tries = 0;; ++tries) {
    rep = rng.pick(reps);
    const Date birth = birthDateOf(rep.id17);
    const int64_t lo = std::max(earliest, anniversary(birth, 18));
    if (lo > reference) continue;  // only possible for cooperatives with very young reps
    const int first_year = civilFromDays(lo).year;
    Weighted<int> years;
    for (int y = first_year; y <= kReferenceDate.year; ++y) {
      years.add(y, establishmentYearWeight(y));
    }
    established = dayInYear(rng, years.pick(rng), lo, reference);
    if (tries >= 8 || established < anniversary(birth, 70)) break;
  }
  e->legal_rep_citizen_id = citizenIdOf(rep.id17);
  e->established_on = civilFromDays(established);

  const uint32_t county_i = rng.chance(600) ? rep.county : county_index.pick(rng);
  const County& c = counties[county_i];
  e->region_code = c.code;
  e->address = address(c, true);

  // Credit code: 9 (market regulation) + kind + region + organisation code + check.
  char kind = '1';
  if (type == "individual_business") kind = '2';
  if (type == "farmer_cooperative") kind = '3';
  std::string org;
  for (;;) {
    org.clear();
    if (established >= daysFromCivil(2015, 10, 1)) {
      // Codes assigned with the credit-code reform start with "MA".
      org = "MA";
      for (int i = 0; i < 6; ++i) org.push_back(kCreditAlphabet[rng.below(31)]);
    } else {
      org.push_back(static_cast<char>('1' + rng.below(9)));
      for (int i = 0; i < 7; ++i) org.push_back(static_cast<char>('0' + rng.below(10)));
    }
    uint64_t key = 0;
    for (char ch : org)
      key = key * 36 + static_cast<uint64_t>(ch <= '9' ? ch - '0' : ch - 'A' + 10);
    if (org_codes.insert(key + 1)) break;
  }
  org.push_back(ids::organizationCodeCheckChar(org));
  std::string code = std::string("9") + kind + c.code + org;
  code.push_back(ids::creditCodeCheckChar(code));
  e->credit_code = std::move(code);

  // Name, capital and scope.
  const std::string trade = std::string(rng.pick(kTradeFirst)) + rng.pick(kTradeSecond);
  std::vector<const char*> scope_pool;
  if (type == "individual_business") {
    const Industry& shop = rng.pick(shops());
    const std::string surname = surnames().pick(rng);
    const uint64_t form = rng.below(10);
    std::string brand = trade;
    if (form < 4) brand = surname + "记";
    if (form >= 4 && form < 6) brand = "老" + surname;
    e->name = c.local + brand + shop.word;
    scope_pool = shop.scope;
  } else if (type == "farmer_cooperative") {
    const char* product = rng.pick(kFarmProducts);
    e->name = c.local + trade + product + "专业合作社";
    scope_pool = {"组织采购、供应成员所需的生产资料", "组织收购、销售成员及同类生产经营者的产品",
                  "开展成员所需的运输、贮藏、加工、包装等服务",
                  "引进新技术、新品种，开展技术培训、技术交流和信息咨询服务"};
  } else {
    const auto& all = industries();
    // Partnerships are mostly investment vehicles.
    const Industry& industry =
        type == "partnership" && rng.chance(600) ? all.back() : rng.pick(all);
    scope_pool = industry.scope;
    if (type == "llc") {
      e->name = c.city + trade + industry.word + (rng.chance(850) ? "有限公司" : "有限责任公司");
    } else if (type == "joint_stock") {
      e->name = c.city + trade + industry.word + "股份有限公司";
    } else if (type == "sole_proprietorship") {
      static const std::array<const char*, 4> kForms = {"商行", "经营部", "工作室", "中心"};
      e->name = c.city + trade + industry.word + rng.pick(kForms);
    } else if (type == "partnership") {
      e->name = c.city + trade + industry.word + "合伙企业" +
                (rng.chance(800) ? "（有限合伙）" : "（普通合伙）");
    } else {  // branch: the parent company is registered elsewhere
      const County& parent = counties[county_index.pick(rng)];
      const std::string parent_city = parent.city == c.city ? std::string("深圳") : parent.city;
      e->name = parent_city + trade + industry.word + "有限公司" + c.city + "分公司";
    }
  }

  if (type == "individual_business" || type == "branch") {
    e->registered_capital_fen.reset();
  } else {
    e->registered_capital_fen = capitalFor(type).pick(rng) * 100;
  }

  // A contiguous run of the pool, two to four items.
  const size_t n = std::min(scope_pool.size(), static_cast<size_t>(rng.between(2, 4)));
  const size_t start = rng.below(scope_pool.size() - n + 1);
  std::string scope = "一般项目：";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) scope += "；";
    scope += scope_pool[start + i];
  }
  scope += "。";
  scope += kScopeTail;
  e->business_scope = std::move(scope);

  // Status: older entities are more often gone.
  const bool old = established < daysFromCivil(kReferenceDate.year - 10, 1, 1);
  const uint64_t s = rng.below(1000);
  const uint64_t deregistered = old ? 110 : 35;
  const uint64_t revoked = old ? 50 : 12;
  const uint64_t abnormal = 50;
  if (s < deregistered) {
    e->status = "deregistered";
  } else if (s < deregistered + revoked) {
    e->status = "revoked";
  } else if (s < deregistered + revoked + abnormal) {
    e->status = "abnormal";
  } else {
    e->status = "in_business";
  }
  return Status::ok();
}

Result<std::unique_ptr<RegistryGenerator>> RegistryGenerator::create(uint64_t seed, size_t persons,
                                                                     size_t entities) {
  if (persons > kMaxRows) {
    return Status::invalid("persons", "at most " + std::to_string(kMaxRows) + " persons");
  }
  if (entities > kMaxRows) {
    return Status::invalid("entities", "at most " + std::to_string(kMaxRows) + " entities");
  }
  if (entities > 0 && persons == 0) {
    return Status::invalid("entities",
                           "entities need persons: their legal representatives are drawn from "
                           "the generated persons");
  }
  std::vector<County> counties = loadCounties();
  if (counties.empty()) {
    return Status::internal("the shipped region table has no county-level codes");
  }
  return std::unique_ptr<RegistryGenerator>(
      new RegistryGenerator(std::make_unique<Impl>(seed, persons, entities, std::move(counties))));
}

RegistryGenerator::RegistryGenerator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegistryGenerator::~RegistryGenerator() = default;

size_t RegistryGenerator::personCount() const { return impl_->person_total; }
size_t RegistryGenerator::entityCount() const { return impl_->entity_total; }

bool RegistryGenerator::nextPerson(PersonRecord* out) {
  if (impl_->persons_done >= impl_->person_total) return false;
  impl_->makePerson(out);
  ++impl_->persons_done;
  return true;
}

Result<bool> RegistryGenerator::nextEntity(EntityRecord* out) {
  if (impl_->persons_done < impl_->person_total) {
    return Status(ErrorCode::kInternal, "nextEntity called before every person was produced");
  }
  if (impl_->entities_done >= impl_->entity_total) return false;
  if (Status s = impl_->makeEntity(out); !s.isOk()) return s;
  ++impl_->entities_done;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Row formats

const char* const kPersonColumns =
    "citizen_id,name,sex,birth_date,ethnicity,region_code,address,status";
const char* const kEntityColumns =
    "credit_code,name,entity_type,legal_rep_citizen_id,registered_capital,established_on,"
    "region_code,address,status,business_scope";

namespace {

// PostgreSQL CSV: quoted when needed (an unquoted empty field would read as NULL).
void csvField(std::string_view v, std::string* out) {
  if (!v.empty() && v.find_first_of(",\"\n\r") == std::string_view::npos) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char ch : v) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

// COPY text format (common/pg_copy.h).
void textField(std::string_view v, std::string* out) { db::appendCopyText(out, v); }

void appendDate(const Date& d, std::string* out) {
  appendInt(out, d.year, 4);
  out->push_back('-');
  appendInt(out, d.month, 2);
  out->push_back('-');
  appendInt(out, d.day, 2);
}

void appendCapital(int64_t fen, std::string* out) {
  appendInt(out, fen / 100);
  out->push_back('.');
  appendInt(out, fen % 100, 2);
}

template <typename Field>
void appendPerson(const PersonRecord& p, char sep, Field field, std::string* out) {
  field(p.citizen_id, out);
  out->push_back(sep);
  field(p.name, out);
  out->push_back(sep);
  out->push_back(p.sex);
  out->push_back(sep);
  appendDate(p.birth_date, out);
  out->push_back(sep);
  field(p.ethnicity, out);
  out->push_back(sep);
  field(p.region_code, out);
  out->push_back(sep);
  field(p.address, out);
  out->push_back(sep);
  field(p.status, out);
  out->push_back('\n');
}

template <typename Field>
void appendEntity(const EntityRecord& e, char sep, Field field, std::string_view null,
                  std::string* out) {
  field(e.credit_code, out);
  out->push_back(sep);
  field(e.name, out);
  out->push_back(sep);
  field(e.entity_type, out);
  out->push_back(sep);
  field(e.legal_rep_citizen_id, out);
  out->push_back(sep);
  if (e.registered_capital_fen) {
    appendCapital(*e.registered_capital_fen, out);
  } else {
    out->append(null);
  }
  out->push_back(sep);
  appendDate(e.established_on, out);
  out->push_back(sep);
  field(e.region_code, out);
  out->push_back(sep);
  field(e.address, out);
  out->push_back(sep);
  field(e.status, out);
  out->push_back(sep);
  field(e.business_scope, out);
  out->push_back('\n');
}

}  // namespace

void appendPersonCsv(const PersonRecord& p, std::string* out) {
  appendPerson(p, ',', csvField, out);
}
void appendEntityCsv(const EntityRecord& e, std::string* out) {
  appendEntity(e, ',', csvField, "", out);
}
void appendPersonCopyText(const PersonRecord& p, std::string* out) {
  appendPerson(p, '\t', textField, out);
}
void appendEntityCopyText(const EntityRecord& e, std::string* out) {
  appendEntity(e, '\t', textField, "\\N", out);
}

}  // namespace tongban::admin
