#!/usr/bin/env bash
# Lists each numbered rule of the spec and whether a test names it (as _PREFIXn in a test method name).
# Usage: scripts/rule-coverage.sh SPEC PREFIX...
set -euo pipefail
spec=$1; shift
names=$(grep -rhoE "_[A-Z0-9_]+\(" --include=*.java */src/test | tr '_' '\n' | grep -oE "^[A-Z]+[0-9]+" | sort -u)
for p in "$@"; do
  ids=$(grep -oE "\b$p-[0-9]+\b" "$spec" | sort -u -t- -k2n)
  missing=""; have=""
  for i in $ids; do k=${i//-/}; if grep -qx "$k" <<<"$names"; then have+="$i "; else missing+="$i "; fi; done
  echo "$p covered: $have"; echo "$p MISSING: $missing"
done
