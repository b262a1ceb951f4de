#!/usr/bin/env bash
# check-launcher.sh: the launcher's start-up archive never breaks a run nor adds a line of output.
# It copies ./postilion and engine/target/postilion.jar (build it first: ./postilion --version)
# into a scratch tree, so the real archives are not touched, and checks, on JDK 17 (java on PATH)
# and on JDK 25 when it is installed (POSTILION_CHECK_JAVA25, default
# /usr/lib/jvm/temurin-25-jdk-amd64/bin/java):
#   1. a first launch makes one archive and prints exactly what a plain `java -jar` prints;
#   2. the JVM really maps it (class+load log: classes from the shared objects file);
#   3. an archive damaged in place (same size: header, middle, end), truncated, or replaced by
#      random bytes of the size its name says: --help, --version and a send (deferred, exit 75)
#      print the same as without an archive, nothing on stderr, no hs_err file, same exit status;
#   4. four launches at once on a tree without an archive: all clean, one archive, no leftovers;
#   5. POSTILION_START_ARCHIVE=0 makes no archive.
# Exit 0 when everything passes.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/engine/target/postilion.jar"
if [ ! -f "$jar" ]; then
    echo "check-launcher: $jar is missing (run ./postilion --version first)"
    exit 2
fi
scratch="$(mktemp -d "${TMPDIR:-/tmp}/postilion-launcher.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
failed=0

fail() {
    echo "check-launcher: FAILED: $*"
    failed=1
}

# A tree of its own: the launcher and a copy of the jar (same bytes, own archives).
tree() {
    local t="$scratch/$1"
    mkdir -p "$t/engine/target"
    cp "$root/postilion" "$t/postilion"
    cp -p "$jar" "$t/engine/target/postilion.jar"
    echo "$t"
}

# Runs the launcher of tree $1 with the rest as arguments; stdin is a small message; sets
# rc, out, err (stderr).
launch() {
    local t="$1"
    shift
    out="$(cd "$scratch" && printf 'Subject: check\r\n\r\nhello\r\n' | "$t/postilion" "$@" 2> "$scratch/err")"
    rc=$?
    err="$(cat "$scratch/err")"
}

# The delivery line differs per run (queue id, delays); what must match is its shape.
shape() {
    sed -E 's/^[0-9A-F]{10}:/QUEUEID:/; s/delay=[0-9.]+, delays=[0-9.\/]+/delay=D/' <<< "$1"
}

archives() {
    find "$1/engine/target" -maxdepth 1 -name "postilion-start.*.$2" | sort
}

# The same command on tree $1 with and without the archive: same stdout shape, same rc, no stderr.
same_as_plain() {
    local t="$1" label="$2"
    shift 2
    launch "$t" "$@"
    local rc1=$rc out1 err1="$err"
    out1="$(shape "$out")"
    POSTILION_START_ARCHIVE=0 launch "$t" "$@"
    if [ "$rc1" != "$rc" ] || [ "$out1" != "$(shape "$out")" ] || [ -n "$err1" ]; then
        fail "$label: '$*' with the archive: rc=$rc1 stdout='$out1' stderr='$err1'; without: rc=$rc stdout='$(shape "$out")'"
    fi
}

# A loopback port nothing listens on, for a send that defers (exit 75).
closed=""
for p in 1 9 47 49999 59999; do
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
        closed="$p"
        break
    fi
done
send=(send --from a@example.test --to b@example.test --nexthop "[127.0.0.1]:$closed" -o smtp_connect_timeout=5s)

check_java() {
    local java="$1" kind="$2" t a size
    export POSTILION_JAVA="$java"
    echo "check-launcher: $java ($kind)"

    t="$(tree "fresh-$kind")"
    launch "$t" --version
    local expected
    expected="$("$java" -jar "$jar" --version 2> /dev/null)"
    if [ "$rc" != 0 ] || [ "$out" != "$expected" ] || [ -n "$err" ]; then
        fail "first launch: rc=$rc stdout='$out' stderr='$err' (expected '$expected')"
    fi
    a="$(archives "$t" "$kind")"
    if [ "$(wc -l <<< "$a")" != 1 ] || [ -z "$a" ]; then
        fail "first launch made no single archive: '$a'"
        return
    fi
    echo "check-launcher:   made $(basename "$a") ($(stat -c %s "$a") bytes)"

    # 2. mapped for real: the options in POSTILION_JAVA_OPTS key an archive of their own
    POSTILION_JAVA_OPTS="-Xlog:class+load=info:file=$scratch/classes.log" launch "$t" --version
    POSTILION_JAVA_OPTS="-Xlog:class+load=info:file=$scratch/classes.log" launch "$t" "${send[@]}"
    local mapped
    mapped="$(grep -c "io\.postilion\..* source: shared objects file" "$scratch/classes.log")"
    if [ "$mapped" = 0 ]; then
        fail "the launcher's archive was not mapped (no class of ours from the shared objects file)"
    else
        echo "check-launcher:   a send loaded $mapped classes of ours from the archive"
    fi

    same_as_plain "$t" "intact archive" --help
    same_as_plain "$t" "intact archive" "${send[@]}"

    # 3. damaged in place, same size
    for offset in 64 $(($(stat -c %s "$a") / 2)) $(($(stat -c %s "$a") - 4096)); do
        t="$(tree "damaged-$kind-$offset")"
        launch "$t" --version > /dev/null
        a="$(archives "$t" "$kind")"
        chmod u+w "$a"
        head -c 4096 /dev/urandom | dd of="$a" bs=1 seek="$offset" conv=notrunc status=none
        same_as_plain "$t" "archive damaged at $offset" --help
        same_as_plain "$t" "archive damaged at $offset" --version
        same_as_plain "$t" "archive damaged at $offset" "${send[@]}"
    done

    # truncated: its size no longer says its name; the launcher drops it and makes another
    t="$(tree "truncated-$kind")"
    launch "$t" --version > /dev/null
    a="$(archives "$t" "$kind")"
    size="$(stat -c %s "$a")"
    chmod u+w "$a"
    truncate -s $((size / 3)) "$a"
    same_as_plain "$t" "truncated archive" --version
    a="$(archives "$t" "$kind")"
    if [ -z "$a" ] || [ "$(wc -l <<< "$a")" != 1 ] || [ "$(stat -c %s "$a")" = $((size / 3)) ] \
            || [[ "$a" != *".$(stat -c %s "$a").$kind" ]]; then
        fail "the truncated archive was not made again: '$a'"
    fi

    # random bytes of exactly the size in its name
    t="$(tree "random-$kind")"
    launch "$t" --version > /dev/null
    a="$(archives "$t" "$kind")"
    chmod u+w "$a"
    head -c "$(stat -c %s "$a")" /dev/urandom > "$a"
    same_as_plain "$t" "random archive" --help
    same_as_plain "$t" "random archive" "${send[@]}"

    # 4. concurrent first launches
    t="$(tree "concurrent-$kind")"
    local pids=() i
    for i in 1 2 3 4; do
        (cd "$scratch" && "$t/postilion" --version > "$scratch/c$i.out" 2> "$scratch/c$i.err"; echo $? > "$scratch/c$i.rc") &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in 1 2 3 4; do
        if [ "$(cat "$scratch/c$i.rc")" != 0 ] || [ "$(cat "$scratch/c$i.out")" != "$expected" ] || [ -s "$scratch/c$i.err" ]; then
            fail "concurrent launch $i: rc=$(cat "$scratch/c$i.rc") stdout='$(cat "$scratch/c$i.out")' stderr='$(cat "$scratch/c$i.err")'"
        fi
    done
    a="$(archives "$t" "$kind")"
    local left
    left="$(find "$t/engine/target" -maxdepth 1 -name '*tmp*')"
    if [ "$(wc -l <<< "$a")" != 1 ] || [ -z "$a" ] || [ -n "$left" ]; then
        fail "concurrent launches left archives '$a' and temporary files '$left'"
    fi

    # 5. turned off
    t="$(tree "off-$kind")"
    POSTILION_START_ARCHIVE=0 launch "$t" --version
    if [ "$rc" != 0 ] || [ "$out" != "$expected" ] || [ -n "$(archives "$t" "$kind")" ]; then
        fail "POSTILION_START_ARCHIVE=0: rc=$rc stdout='$out', archives '$(archives "$t" "$kind")'"
    fi
    if [ -n "$(find "$scratch" -maxdepth 1 -name 'hs_err*')" ]; then
        fail "a JVM crashed: $(find "$scratch" -maxdepth 1 -name 'hs_err*')"
    fi
    unset POSTILION_JAVA
}

check_java "$(command -v java)" jsa
java25="${POSTILION_CHECK_JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
if [ -x "$java25" ]; then
    check_java "$java25" aot
else
    echo "check-launcher: no JDK 25 at $java25; the AOT cache is not checked"
fi
if [ "$failed" = 0 ]; then
    echo "check-launcher: ok"
fi
exit "$failed"
