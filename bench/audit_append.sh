#!/usr/bin/env bash
# Audit log append rate: AuditLog group commit (COPY and INSERT..unnest) against one commit per
# INSERT, with 1, 8 and 64 concurrent appenders, on the private bench cluster (fsync on, the
# server's defaults; the test cluster's fsync=off would make every commit free).
#
#   bench/audit_append.sh [SECONDS_PER_RUN] [APPENDERS,...]     (default 3 s, 1,8,64)
source "$(dirname "$0")/common.sh"
db=$(fresh_db bench_audit)
"$build/bench/audit_append" "$db" "${1:-3}" "${2:-1,8,64}"
