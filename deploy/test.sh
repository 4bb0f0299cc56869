#!/usr/bin/env bash
# Builds Tongban with its tests and runs them on a throwaway PostgreSQL.
#
#   deploy/test.sh             Debug build in build/test, all tests
#   deploy/test.sh --asan      also an AddressSanitizer + UBSan build in build/asan, all tests
#   deploy/test.sh --tsan      also a ThreadSanitizer build in build/tsan of the verification core's
#                              tests only (ctest -L verification: the index's lock-free readers)
#
# Installs missing Debian packages first (deploy/deps.sh). ctest's `pg` fixture starts a private
# cluster under the build tree before the database tests and stops it afterwards. Exits non-zero
# on any build or test failure. Environment: TONGBAN_WERROR=ON (CI), JOBS (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

asan=0
tsan=0
for a in "$@"; do
  case "$a" in
    --asan) asan=1 ;;
    --tsan) tsan=1 ;;
    *) echo "usage: $0 [--asan] [--tsan]" >&2; exit 2 ;;
  esac
done

deploy/deps.sh
jobs=${JOBS:-$(nproc)}
werror=${TONGBAN_WERROR:-OFF}

run_suite() {  # name, extra cmake args...
  local dir=$root/build/$1; shift
  cmake -S "$root" -B "$dir" -DTONGBAN_BUILD_TESTS=ON -DTONGBAN_WERROR="$werror" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  local rc=0
  (cd "$dir" && ctest --output-on-failure -j 2 --timeout 600) || rc=$?
  "$root/deploy/pg.sh" stop "$dir/pgtest" >/dev/null 2>&1 || true
  return $rc
}

status=0
run_suite test -DCMAKE_BUILD_TYPE=Debug || status=1
if [ $asan -eq 1 ]; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS=suppressions=$root/deploy/lsan.supp \
    run_suite asan -DCMAKE_BUILD_TYPE=Debug -DTONGBAN_SANITIZE=address || status=1
fi
if [ $tsan -eq 1 ]; then
  dir=$root/build/tsan
  cmake -S "$root" -B "$dir" -DTONGBAN_BUILD_TESTS=ON -DTONGBAN_WERROR="$werror" \
    -DCMAKE_BUILD_TYPE=Debug -DTONGBAN_SANITIZE=thread >/dev/null
  rc=0
  cmake --build "$dir" -j "$jobs" --target verification_test verification_db_test || rc=$?
  if [ $rc -eq 0 ]; then
    (cd "$dir" && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
      ctest --output-on-failure -L verification --timeout 600) || rc=$?
  fi
  "$root/deploy/pg.sh" stop "$dir/pgtest" >/dev/null 2>&1 || true
  [ $rc -eq 0 ] || status=1
fi
exit $status
