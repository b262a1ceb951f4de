#!/usr/bin/env bash
# kafka.sh - run one Apache Kafka broker (KRaft: broker and controller in one JVM) on loopback,
# for the fleet's integration tests and benchmarks. No Docker: the broker is the
# org.apache.kafka:kafka_2.13:4.4.0 artefact from the local Maven repository, run as a child JVM.
#
# Usage:  kafka.sh start|stop|status [DIR]
#   start   resolve the broker's class path (offline first, then online once), write a one-node
#           KRaft server.properties (loopback listeners on free ports, data under DIR), format
#           the storage, start the broker in the background (pid in DIR/kafka.pid, output in
#           DIR/server.log) and wait until it has started, at most KAFKA_START_SECONDS (60);
#           then write its bootstrap address (127.0.0.1:PORT) to DIR/kafka.bootstrap
#   stop    TERM the recorded PID (KILL after a grace period) and remove DIR's data
#   status  "running pid N bootstrap ADDR" or "stopped"
# DIR defaults to $RIG_DIR/kafka (RIG_DIR defaults to ${TMPDIR:-/tmp}/postilion-rig); the
# integration tests look for $RIG_DIR/kafka/kafka.bootstrap and skip when it is absent.
#
# Knobs: KAFKA_HEAP (default -Xmx256m), KAFKA_START_SECONDS (60), KAFKA_LIFETIME_SECONDS (3600:
# the broker is ended by timeout(1) after that even if nobody stops it), KAFKA_PARTITIONS
# (default partitions of an auto-created topic, 4).
#
# The class path comes from scripts/fleet/kafka-rig-pom.xml. Resolving it needs the network once;
# CI's online step runs:
#   mvn -B -f scripts/fleet/kafka-rig-pom.xml dependency:build-classpath -Dmdep.outputFile=/dev/null
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../peers/lib.sh"

cmd="${1:-}"
dir="$(rig_state_dir kafka "${2:-}")"
pidfile="$dir/kafka.pid"
bootstrap_file="$dir/kafka.bootstrap"
log="$dir/server.log"

# free_port - a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

classpath() {
    local out="$dir/classpath.txt" pom="$here/kafka-rig-pom.xml"
    if [ ! -s "$out" ] || [ "$out" -ot "$pom" ]; then
        if ! mvn -B -q -o -f "$pom" dependency:build-classpath -Dmdep.outputFile="$out" > "$dir/mvn.log" 2>&1; then
            rig_log "kafka_2.13 is not in the local repository; resolving it online"
            mvn -B -q -ntp -f "$pom" dependency:build-classpath -Dmdep.outputFile="$out" > "$dir/mvn.log" 2>&1 \
                || { cat "$dir/mvn.log" >&2; rig_die "cannot resolve org.apache.kafka:kafka_2.13:4.4.0"; }
        fi
    fi
    cat "$out"
}

start() {
    if rig_pid_alive "$pidfile"; then
        rig_log "already running (pid $(cat "$pidfile"))"
        return 0
    fi
    local cp broker controller java_bin cluster secs
    cp="$(classpath)"
    java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
    broker="$(free_port)"
    controller="$(free_port)"
    while [ "$controller" = "$broker" ]; do controller="$(free_port)"; done
    rm -rf "$dir/data" "$bootstrap_file"
    mkdir -p "$dir/data"
    cat > "$dir/server.properties" <<PROPS
# Written by scripts/fleet/kafka.sh: one node, KRaft, loopback only, data under this directory.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$broker,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$broker
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=${KAFKA_PARTITIONS:-4}
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
PROPS
    cat > "$dir/log4j2.properties" <<'PROPS'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
PROPS
    local jvm=(-${KAFKA_HEAP:-Xmx256m} -Xms64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
        -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.log.state.change.logger=warn
        "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$cp")
    cluster="$("$java_bin" "${jvm[@]}" kafka.tools.StorageTool random-uuid 2>>"$log" | tail -n1)"
    [ -n "$cluster" ] || rig_die "cannot make a cluster id (see $log)"
    "$java_bin" "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster" -c "$dir/server.properties" >> "$log" 2>&1 \
        || { tail -n 20 "$log" >&2; rig_die "cannot format the storage in $dir/data"; }
    # timeout(1) bounds the broker's life; TERM to it reaches the broker too.
    setsid timeout "${KAFKA_LIFETIME_SECONDS:-3600}" "$java_bin" "${jvm[@]}" kafka.Kafka "$dir/server.properties" \
        >> "$log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    secs="${KAFKA_START_SECONDS:-60}"
    local deadline=$((SECONDS + secs))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! rig_pid_alive "$pidfile"; then
            tail -n 30 "$log" >&2
            rm -f "$pidfile"
            rig_die "the broker exited during start-up (see $log)"
        fi
        if grep -q "Kafka Server started" "$log" && rig_wait_tcp 127.0.0.1 "$broker" 1; then
            echo "127.0.0.1:$broker" > "$bootstrap_file"
            rig_log "broker running (pid $(cat "$pidfile")), bootstrap 127.0.0.1:$broker, data in $dir/data"
            return 0
        fi
        sleep 0.3
    done
    tail -n 30 "$log" >&2
    rig_stop_pid "$pidfile" 10
    rig_die "the broker did not start within ${secs}s (see $log)"
}

stop() {
    rig_stop_pid "$pidfile" 15
    rm -rf "$dir/data" "$bootstrap_file"
    rig_log "stopped"
}

status() {
    if rig_pid_alive "$pidfile"; then
        echo "running pid $(cat "$pidfile") bootstrap $(cat "$bootstrap_file" 2>/dev/null || echo '(starting)')"
    else
        echo "stopped"
    fi
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: ${0##*/} start|stop|status [DIR]" >&2; exit 64 ;;
esac
