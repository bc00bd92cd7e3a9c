#!/bin/sh
# The program that kubekit-elect guards: not Node, just POSIX sh. While it runs it appends one line
# every HEARTBEAT_INTERVAL seconds to HEARTBEAT_FILE:
#   <unix time, seconds.nanoseconds> <HEARTBEAT_ID> <pid> start|beat|stop
# and on SIGTERM/SIGINT it writes `stop` and exits 0. Each line is one short append (O_APPEND), so
# several copies can share one file. Needs a `date` that knows `%N` (GNU coreutils, BusyBox).
set -eu
out="${HEARTBEAT_FILE:-/var/run/app/heartbeat.log}"
who="${HEARTBEAT_ID:-$(hostname)}"
interval="${HEARTBEAT_INTERVAL:-1}"

line() {
  printf '%s %s %s %s\n' "$(date +%s.%N)" "$who" "$$" "$1" >>"$out"
}

trap 'line stop; exit 0' TERM INT
line start
while :; do
  # sleep in the background and wait for it, so that a signal is handled at once
  sleep "$interval" &
  wait $! || true
  line beat
done
