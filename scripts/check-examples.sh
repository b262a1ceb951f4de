#!/usr/bin/env bash
# check-examples.sh: checks docs/examples/ as an administrator would use it.
#   1. postilion.service with `systemd-analyze verify` (where systemd is installed; skipped with a
#      message otherwise). Any complaint about the unit counts: verify exits 0 on unknown keys
#      and unparsable values, which it only prints.
#   2. main.cf through the relay's own start-up check, and the unit against it (same queue
#      directory, hardening, restart policy): the JUnit test ExampleConfigurationTest in engine.
# Offline when ~/.m2 holds the dependencies; online otherwise. Exit 0 when everything passes.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
unit=docs/examples/postilion.service
failed=0

if command -v systemd-analyze > /dev/null 2>&1; then
    out="$(systemd-analyze verify "$unit" 2>&1)"
    rc=$?
    # Lines about other units (the host's own, e.g. in containers) are not ours to judge.
    ours="$(printf '%s\n' "$out" | grep -F "$(basename "$unit")" || true)"
    if [ "$rc" != 0 ] || [ -n "$ours" ]; then
        echo "check-examples: systemd-analyze verify $unit: FAILED (rc=$rc)"
        printf '%s\n' "$out"
        failed=1
    else
        echo "check-examples: systemd-analyze verify $unit: ok"
    fi
else
    echo "check-examples: systemd-analyze not found; the unit's syntax is not checked (the JUnit test still checks its settings)"
fi

test_cmd=(mvn -B -q -ntp -pl engine -am test -Dtest=ExampleConfigurationTest -Dsurefire.failIfNoSpecifiedTests=false)
log="$(mktemp "${TMPDIR:-/tmp}/check-examples.XXXXXX")"
if "${test_cmd[@]}" -o > "$log" 2>&1 || { grep -qE 'offline mode|has not been downloaded' "$log" && "${test_cmd[@]}" > "$log" 2>&1; }; then
    echo "check-examples: docs/examples/main.cf passes the relay's configuration check, and the unit agrees with it: ok"
else
    cat "$log"
    grep -h -A20 'FAIL\|Tests run:.*Fail' engine/target/surefire-reports/*ExampleConfigurationTest.txt 2>/dev/null
    echo "check-examples: ExampleConfigurationTest: FAILED"
    failed=1
fi
rm -f "$log"
exit "$failed"
