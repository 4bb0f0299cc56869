#!/usr/bin/env bash
# deploy/demo.sh's secrets (issue 7, hole 10): the master key and the passphrases are files of their
# own, mode 0600, in a var/ nobody else can enter; the configuration names them and holds none of
# them; a var/exchange.ini left world-readable by an older demo is made private. Runs the demo's
# own steps (sourced), on a scratch var/, even when the caller's umask is permissive.
#
#   demo_secrets_test.sh DEMO_SH
set -euo pipefail
demo=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

umask 022
# shellcheck source=/dev/null
source "$demo"  # defines the steps, sets umask 077
trap 'rm -rf "$scratch"' EXIT
trap - ERR
var=$scratch/var
mkdir -p "$var"
printf '[security]\nmaster_key = old-secret\n' >"$var/exchange.ini"
chmod 644 "$var/exchange.ini"  # what the demo used to leave behind

make_secrets >/dev/null
write_config "$var/exchange.ini" "host=127.0.0.1 user=tongban_exchange dbname=tongban"
write_config "$var/admin.ini" "host=127.0.0.1 user=postgres dbname=tongban"

[ "$(stat -c %a "$var")" = 700 ] || fail "var/ is $(stat -c %a "$var"), not 700"
while IFS= read -r f; do
  mode=$(stat -c %a "$f")
  [ "$mode" = 600 ] || fail "$f is mode $mode, not 600"
done < <(find "$var" -type f)
for secret in master.key pki.pass audit-checkpoint.pass; do
  [ -s "$var/$secret" ] || fail "no $secret"
  value=$(cat "$var/$secret")
  for ini in exchange.ini admin.ini; do
    ! grep -qF "$value" "$var/$ini" || fail "$ini holds the secret of $secret"
  done
done
grep -q "^master_key_file = $var/master.key$" "$var/exchange.ini" || fail "no master_key_file"
grep -q "^passphrase_file = $var/pki.pass$" "$var/exchange.ini" || fail "no pki passphrase_file"
grep -q "^checkpoint_key_passphrase_file = $var/audit-checkpoint.pass$" "$var/exchange.ini" ||
  fail "no checkpoint_key_passphrase_file"
! grep -Eq "^(master_key|passphrase|checkpoint_key_passphrase) =" "$var/exchange.ini" ||
  fail "a secret is inline in exchange.ini"
echo "ok: the demo's secrets are private files named by the configuration"
