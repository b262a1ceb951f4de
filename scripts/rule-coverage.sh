#!/usr/bin/env bash
# Lists each numbered rule of the spec and whether a test that drives the product names it (as
# _PREFIXn in a test method name). A test counts only if its class drives the product through one
# of its entry points: the delivery agent, the session or client, the next-hop resolver, the
# listener, the relay and its queue manager or scheduler, the spool, or a command (Main.run, a relay
# process). A test of a helper alone names a rule without proving the product keeps it.
# Usage: scripts/rule-coverage.sh SPEC PREFIX...
set -euo pipefail
spec=$1; shift
cd "$(dirname "${BASH_SOURCE[0]}")/.."
entry='DeliveryAgent|SmtpSession|SmtpClient|NextHopResolver|SmtpListener|QueueManager|DeliveryScheduler|JournalSpool|Spool\.open|Relay\.start|RelayProcess|Main\.run|AgentConfiguration'
files=$(grep -rlE "$entry" --include=*.java */src/test || true)
names=$( [ -n "$files" ] && grep -hoE "_[A-Z0-9_]+\(" $files | tr '_' '\n' | grep -oE "^[A-Z]+[0-9]+" | sort -u || true)
for p in "$@"; do
  ids=$(grep -oE "\b$p-[0-9]+\b" "$spec" | sort -u -t- -k2n)
  missing=""; have=""
  for i in $ids; do k=${i//-/}; if grep -qx "$k" <<<"$names"; then have+="$i "; else missing+="$i "; fi; done
  echo "$p covered: $have"; echo "$p MISSING: $missing"
done
