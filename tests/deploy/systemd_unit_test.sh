#!/usr/bin/env bash
# deploy/systemd/tongban-exchange.service parses cleanly (systemd-analyze verify: no unknown key,
# no bad value) and keeps what the deployment relies on: restart on failure but not on a
# configuration error, secrets as credentials, no capabilities. Exit 77 (skipped) without systemd.
#
#   systemd_unit_test.sh UNIT_FILE
set -euo pipefail
unit=$1
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify wants the ExecStart program to exist; the unit's is installed by hand.
sed 's|/usr/local/bin/tongban-exchange|/bin/true|' "$unit" >"$work/tongban-exchange.service"
out=$(systemd-analyze verify "$work/tongban-exchange.service" 2>&1 || true)
if grep -v "network-online.target\|postgresql.service" <<<"$out" | grep -q .; then
  echo "FAIL: systemd-analyze verify says:" >&2
  echo "$out" >&2
  exit 1
fi
for want in '^Restart=on-failure$' '^RestartPreventExitStatus=64 78$' '^CapabilityBoundingSet=$' \
            '^NoNewPrivileges=yes$' '^LoadCredential=master.key:' 'TONGBAN_SECURITY_MASTER_KEY_FILE=%d/'; do
  grep -q "$want" "$unit" || { echo "FAIL: the unit lacks $want" >&2; exit 1; }
done
if grep -qi "master_key *=\|passphrase *=" "$unit"; then
  echo "FAIL: a secret is written in the unit" >&2
  exit 1
fi
echo "ok: the systemd unit verifies"
