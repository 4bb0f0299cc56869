// Masking (脱敏) of field values that a grant does not unmask.
//
// Rules, counted in characters (UTF-8 code points), never splitting a multi-byte character:
//   citizen_id   keep the first 6 and last 4      110105********002X
//   credit_code  keep the first 8 and last 2      91350100********43
//   phone        keep the first 3 and last 4      138****5678
//   name         keep the first character and, from 3 characters on, the last:
//                张* / 张*英 / 李**明; a compound surname (复姓, e.g. 欧阳) is kept whole and the
//                given name masked: 欧阳** / 欧阳*
//   address      keep the first 6 characters (through the district) then "****"
//   date         keep the year                    1949-**-**
//   full         "******" whatever the value (hides the length too)
// A value too short for its rule to hide anything is masked entirely, one '*' per character.
// Bytes that are not valid UTF-8 count as one character each and, where kept, become U+FFFD, so
// the result is always valid UTF-8. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tongban/catalog/model.h"

namespace tongban::catalog {

// The value as shown under `rule`; kNone returns it unchanged.
std::string maskValue(MaskingRule rule, std::string_view value);

// Whether `rule` hides at least what `baseline` hides: the same rule, kFull, or any rule over a
// kNone baseline. Two different partial rules (name vs address) are not comparable, so neither is
// at least as strong as the other.
bool atLeastAsStrong(MaskingRule rule, MaskingRule baseline);

// A rule that hides at least what each of `a` and `b` hides: the stronger one, or kFull when the
// two are different partial rules.
MaskingRule strongerOf(MaskingRule a, MaskingRule b);

}  // namespace tongban::catalog
