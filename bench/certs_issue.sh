#!/usr/bin/env bash
# Certificate issuance throughput per algorithm and concurrency, beside raw signing and
# `openssl speed` in the same run (bench/certs_issue.cc), on a cluster with fsync on.
#
#   bench/certs_issue.sh [CERTIFICATES_PER_RUN] [THREADS]     (default 2000, "1,4,16,64")
source "$(dirname "$0")/common.sh"
"$build/bench/certs_issue" "$cluster" "${1:-2000}" "${2:-1,4,16,64}"
