# shellcheck shell=bash
#
# Shared by scripts/ha, scripts/deploy and scripts/rollback: where every
# component of the paired stack lives, and how to start, check and stop one.
# Sourced, never run. Everything lives under ./var/ha; processes are found by
# the pid files written here only, each checked against a marker in its
# command line before it is trusted or signalled.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VAR="$ROOT/var"
HA="$VAR/ha"
RELEASES="$HA/releases"
BIN_DIR="$VAR/bin"
HA_D="$ROOT/scripts/ha.d"
USER_ID=$(id -u)
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/go/bin"

SES_PKG=aws-ses-v2-local
SES_VERSION=2.10.2
SES_MODULE="$VAR/node/node_modules/$SES_PKG"
STRIPE_MOCK_PKG=github.com/stripe/stripe-mock
STRIPE_MOCK_VERSION=v0.203.0
STRIPE_MOCK_BIN="$BIN_DIR/stripe-mock"
TOXIPROXY_PKG=github.com/Shopify/toxiproxy/v2/cmd/server
TOXIPROXY_VERSION=v2.5.0
TOXIPROXY_BIN="$BIN_DIR/toxiproxy-server"
# The same local S3 server as scripts/stack (gofakes3), one of its own.
S3_PKG=github.com/johannesboyne/gofakes3/cmd/gofakes3
S3_VERSION=v1.2.0
S3_BIN="$BIN_DIR/gofakes3"
S3_BUCKET=admit

# Addresses: one loopback address per "host". Others depend on these.
# ADMIT_HA_NET moves the whole stack to another /24 of loopback (127.0.2,
# say), so that a second checkout can run a paired stack of its own beside
# this one; its data is under its own var/ha.
NET=${ADMIT_HA_NET:-127.0.0}
[[ $NET =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { echo "ha: ADMIT_HA_NET must look like 127.0.2" >&2; exit 2; }
LB1=$NET.11 LB2=$NET.12 LB_HTTP_PORT=18080 LB_MYSQL_PORT=13307 LB_STATS_PORT=18404
APP1=$NET.21 APP2=$NET.22 APP_PORT=18081 OPS_PORT=9190 WORKER_OPS_PORT=9191
DB1=$NET.31 DB2=$NET.32 GARBD=$NET.33 DB_PORT=13306 DB_CHECK_PORT=9200
REDIS1=$NET.41 REDIS2=$NET.42 REDIS3=$NET.43 REDIS_PORT=16379 SENTINEL_PORT=26379
MC1=$NET.51 MC2=$NET.52 MC_PORT=11311
SES_ADDR=$NET.61 SES_PORT=18005
STRIPE_ADDR=$NET.62 STRIPE_PORT=12111 STRIPE_HTTPS_PORT=12112
S3_ADDR=$NET.63 S3_PORT=18130
TOXI_ADDR=$NET.71 TOXI_PORT=8474 TOXI_MYSQL1_PORT=23307 TOXI_MYSQL2_PORT=23308
REDIS_MASTER_NAME=admit

HA_URLS="http://$LB1:$LB_HTTP_PORT,http://$LB2:$LB_HTTP_PORT"
APP_MYSQL_DSN="admit:admit@failover($TOXI_ADDR:$TOXI_MYSQL1_PORT,$TOXI_ADDR:$TOXI_MYSQL2_PORT)/admit"
LB_MYSQL_DSN="admit:admit@tcp($LB1:$LB_MYSQL_PORT)/admit"
SENTINELS="$REDIS1:$SENTINEL_PORT,$REDIS2:$SENTINEL_PORT,$REDIS3:$SENTINEL_PORT"

# Start order; `down` goes backwards.
COMPONENTS=(memcached1 memcached2 ses stripe-mock s3
  redis1 redis2 redis3 sentinel1 sentinel2 sentinel3
  mysql1 mysql2 mysql1-check mysql2-check garbd
  haproxy1 haproxy2 toxiproxy app1 app2 worker1 worker2 backup)

say() { echo "ha: $*"; }
die() {
  echo "ha: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------
# What each component is

# The number in a component's name: app2 -> 2, mysql1-check -> 1.
num() {
  local n=${1//[!0-9]/}
  echo "${n:-1}"
}

host_of() {
  local c=$1 n
  n=$(num "$c")
  case $c in
    haproxy*) eval "echo \$LB$n" ;;
    app* | worker*) eval "echo \$APP$n" ;;
    mysql*) eval "echo \$DB$n" ;;
    garbd) echo "$GARBD" ;;
    # Beside the node it backs up (scripts/ha picks it at start).
    backup) host_of "$(cat "$HA/backup/node" 2>/dev/null || echo mysql2)" ;;
    redis* | sentinel*) eval "echo \$REDIS$n" ;;
    memcached*) eval "echo \$MC$n" ;;
    ses) echo "$SES_ADDR" ;;
    stripe-mock) echo "$STRIPE_ADDR" ;;
    s3) echo "$S3_ADDR" ;;
    toxiproxy) echo "$TOXI_ADDR" ;;
  esac
}

port_of() {
  case $1 in
    haproxy*) echo "$LB_HTTP_PORT" ;;
    app*) echo "$APP_PORT" ;;
    worker*) echo "$WORKER_OPS_PORT" ;; # its ops address: /healthz, /readyz, /metrics
    backup) echo "-" ;;
    mysql*-check) echo "$DB_CHECK_PORT" ;;
    mysql*) echo "$DB_PORT" ;;
    garbd) echo 4567 ;;
    redis*) echo "$REDIS_PORT" ;;
    sentinel*) echo "$SENTINEL_PORT" ;;
    memcached*) echo "$MC_PORT" ;;
    ses) echo "$SES_PORT" ;;
    stripe-mock) echo "$STRIPE_PORT" ;;
    s3) echo "$S3_PORT" ;;
    toxiproxy) echo "$TOXI_PORT" ;;
  esac
}

addr_of() { echo "$(host_of "$1"):$(port_of "$1")"; }
dir_of() { echo "$HA/$1"; }
pidfile_of() { echo "$HA/$1/$1.pid"; }
log_of() { echo "$HA/$1/$1.log"; }

# A text that must appear in the process's command line, so that a pid file
# left over from before a reboot never makes us trust (or signal) an
# unrelated process that has been given the same pid.
marker_of() {
  local c=$1 h
  h=$(host_of "$c")
  case $c in
    haproxy*) echo "-L $c" ;;
    app*) echo "admit-$c serve" ;;
    worker*) echo "admit-$c worker" ;;
    backup) echo "admit-backup backup run" ;;
    mysql*-check) echo "admit-$c galera-check" ;;
    mysql*) echo "mariadbd --defaults-file=$HA/$c/my.cnf" ;;
    garbd) echo "garbd --name garbd" ;;
    redis*) echo "redis-server $h:$REDIS_PORT" ;;
    sentinel*) echo "redis-server $h:$SENTINEL_PORT" ;;
    memcached*) echo "memcached -l $h " ;;
    ses) echo "$h $SES_PORT $SES_MODULE" ;;
    stripe-mock) echo "-http-addr $h:$STRIPE_PORT" ;;
    s3) echo "gofakes3 -host $h:$S3_PORT" ;;
    toxiproxy) echo "toxiproxy-server -host $h" ;;
  esac
}

startup_timeout() {
  case $1 in
    mysql1 | mysql2) echo 300 ;; # a joiner may need a full state transfer
    app* | worker*) echo 60 ;;
    *) echo 30 ;;
  esac
}

# ---------------------------------------------------------------------------
# Processes

# Is process $2 alive and the program of component $1? A zombie has an empty
# command line and so does not count.
is_ours() {
  local c=$1 pid=$2 args=() marker
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -d /proc/$pid ]] || return 0
  mapfile -d '' args <"/proc/$pid/cmdline" 2>/dev/null || return 1
  marker=$(marker_of "$c")
  # Or its own directory under var/ha, as in the command line it was
  # started with: Redis rewrites its process title to the marker only a
  # moment after it starts.
  [[ " ${args[*]-} " == *"$marker"* || " ${args[*]-} " == *"$HA/$c/"* ]]
}

# Print the pid recorded for component $1 if that process is alive and ours.
live_pid() {
  local pidfile pid=
  pidfile=$(pidfile_of "$1")
  [[ -s $pidfile ]] || return 1
  read -r pid <"$pidfile" || true
  [[ $pid =~ ^[0-9]+$ ]] && is_ours "$1" "$pid" || return 1
  echo "$pid"
}

show_log_tail() {
  local log
  for log; do
    [[ -s $log ]] || continue
    echo "ha:   last lines of ${log#"$ROOT"/}:" >&2
    tail -n 15 "$log" | sed 's/^/ha:   | /' >&2
  done
}

# launch COMPONENT LOG COMMAND...: start a server detached from this shell
# (own session, no terminal, output to a log, no inherited descriptors) and
# record its pid. The wrapper writes its own pid and then execs the server,
# so the pid file names the server itself. With ARGV0 set, the server runs
# under that name (admit's app servers and workers, to tell them apart).
# With LOW_PRIORITY set, it yields the CPU to the rest (nice 10): as its own
# session it is its own scheduling group (the kernel's autogroups), where a
# process's nice value only ranks it against its own group, so the group's
# nice is set too; ops/systemd's CPUWeight does the same on a real host.
launch() {
  local c=$1 log=$2
  shift 2
  local pidfile dir i
  pidfile=$(pidfile_of "$c")
  dir=$(dir_of "$c")
  mkdir -p "$dir"
  rm -f "$pidfile"
  (
    cd "$dir"
    exec setsid nohup bash -c '
      pidfile=$1 argv0=$2; shift 2
      for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
      echo $$ >"$pidfile"
      if [[ -n ${LOW_PRIORITY-} ]]; then
        renice -n 10 -p $$ >/dev/null
        echo 10 >/proc/$$/autogroup 2>/dev/null || true
        unset LOW_PRIORITY
      fi
      if [[ -n $argv0 ]]; then exec -a "$argv0" "$@"; else exec "$@"; fi' \
      bash "$pidfile" "${ARGV0-}" "$@" >>"$log" 2>&1 </dev/null
  ) &
  for ((i = 0; i < 50; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.1
  done
  die "$c: could not start $1"
}

# stop_component C [SIGNAL] [TIMEOUT]: signal it (TERM by default), wait for
# it to exit, SIGKILL after the timeout. Only ever the pid from our pid file.
stop_component() {
  local c=$1 sig=${2:-TERM} limit=${3:-30} pid i pidfile
  pidfile=$(pidfile_of "$c")
  if ! pid=$(live_pid "$c"); then
    rm -f "$pidfile"
    return 0
  fi
  [[ $sig == KILL ]] || say "stopping $c (pid $pid)"
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < limit * 10; i++)); do
    is_ours "$c" "$pid" || break
    sleep 0.1
  done
  if is_ours "$c" "$pid"; then
    say "$c (pid $pid) did not stop within ${limit}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      is_ours "$c" "$pid" || break
      sleep 0.1
    done
    is_ours "$c" "$pid" && die "$c (pid $pid) is still running after SIGKILL"
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------------------
# Talking to the components

# tcp_check HOST PORT [REQUEST EXPECT]: connect; with a request, send it and
# check that the first line of the answer starts with the expected text.
tcp_check() {
  local host=$1 port=$2 request=${3-} expect=${4-} fd line=
  { exec {fd}<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
  if [[ -n $request ]]; then
    printf '%b' "$request" >&"$fd" 2>/dev/null || true
    IFS= read -r -t 2 line <&"$fd" || true
  fi
  exec {fd}>&-
  [[ $line == "$expect"* ]]
}

redis_cli() { # HOST PORT ARGS...
  local h=$1 p=$2
  shift 2
  timeout 3 redis-cli --no-auth-warning -h "$h" -p "$p" "$@" 2>/dev/null
}

# Administrative connection to Galera node N: root through its socket.
mysql_node() {
  local n=$1
  shift
  mariadb --no-defaults --socket="$HA/mysql$n/mysqld.sock" -uroot --connect-timeout=3 --batch -N "$@"
}

wsrep_status() { # N VARIABLE
  mysql_node "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'
}

# The Redis that Sentinel currently names as master: redisN, or nothing.
redis_master() {
  local s addr=
  for s in sentinel1 sentinel2 sentinel3; do
    addr=$(redis_cli "$(host_of "$s")" "$SENTINEL_PORT" SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME" | head -n 1) || true
    [[ -n $addr ]] && break
  done
  case $addr in
    "$REDIS1") echo redis1 ;;
    "$REDIS2") echo redis2 ;;
    "$REDIS3") echo redis3 ;;
    *) return 1 ;;
  esac
}

haproxy_sock() { echo "$HA/haproxy$1/admin.sock"; } # N
haproxy_cmd() {                                    # N COMMAND
  local sock
  sock=$(haproxy_sock "$1")
  [[ -S $sock ]] || return 1
  echo "$2" | socat -t 5 stdio "UNIX-CONNECT:$sock"
}

# ---------------------------------------------------------------------------
# Releases of admit: var/ha/releases/<version>/admit, `current` and
# `previous` are symlinks to release directories.

release_link() { # current|previous -> version, or nothing
  local l="$RELEASES/$1"
  [[ -L $l ]] || return 1
  basename "$(readlink "$l")"
}

set_release_link() { # NAME VERSION
  ln -sfn "$2" "$RELEASES/$1.tmp"
  mv -Tf "$RELEASES/$1.tmp" "$RELEASES/$1"
}

# The version an app server or worker runs (recorded when it was started).
running_release() {
  local f="$HA/$1/release"
  [[ -s $f ]] && cat "$f"
}

app_env_file() { echo "$HA/admit.env"; }

# start_admit C VERSION: start app server or worker C from that release.
start_admit() {
  local c=$1 version=$2 bin host
  bin="$RELEASES/$version/admit"
  [[ -x $bin ]] || die "$c: no release $version ($bin)"
  host=$(host_of "$c")
  mkdir -p "$(dir_of "$c")"
  echo "$version" >"$HA/$c/release"
  say "starting $c ($version) on $host"
  (
    set -a
    # shellcheck source=/dev/null
    . "$(app_env_file)"
    set +a
    export ARGV0="admit-$c"
    case $c in
      app*)
        export ADMIT_OPS_ADDR="$host:$OPS_PORT"
        launch "$c" "$(log_of "$c")" "$bin" serve -http-addr "$host:$APP_PORT"
        ;;
      # From the environment, not a flag: a release older than the setting
      # ignores it rather than refusing to start.
      worker*)
        export ADMIT_WORKER_OPS_ADDR="$host:$WORKER_OPS_PORT"
        # As ops/systemd/admit-worker.service (Nice=10, CPUWeight=20):
        # confirmations and their PDFs yield the CPU to buyers' requests on
        # a shared host.
        LOW_PRIORITY=1 launch "$c" "$(log_of "$c")" "$bin" worker
        ;;
    esac
  ) || exit 1
}

# The HTTP status of a GET, or 000.
http_status() {
  curl -s -o /dev/null --max-time "${2:-2}" -w '%{http_code}' "$1" 2>/dev/null || true
}

# The address of the /readyz that says whether C can do its work: an app
# server's public port, a worker's ops address.
readyz_url() {
  case $1 in
    app*) echo "http://$(addr_of "$1")/readyz" ;;
    worker*) echo "http://$(addr_of "$1")/readyz" ;;
  esac
}

# wait_app_ready C TIMEOUT: until its /readyz answers 200. A worker of a
# release older than its ops address never answers at all: after 10 s of
# silence it is taken as started, as it was before workers had one.
wait_app_ready() {
  local c=$1 limit=${2:-60} deadline silent_until status
  deadline=$((SECONDS + limit)) silent_until=$((SECONDS + 10))
  while :; do
    if ! live_pid "$c" >/dev/null; then
      echo "ha: $c exited before it was ready" >&2
      show_log_tail "$(log_of "$c")"
      return 1
    fi
    status=$(http_status "$(readyz_url "$c")")
    [[ $status == 200 ]] && return 0
    if [[ $c == worker* && $status == 000 ]] && ((SECONDS >= silent_until)); then
      echo "ha: $c serves no /readyz (a release without ADMIT_WORKER_OPS_ADDR?); taking it as started" >&2
      return 0
    fi
    [[ $status == 000 ]] || silent_until=$deadline
    if ((SECONDS >= deadline)); then
      echo "ha: $c was not ready within ${limit}s" >&2
      show_log_tail "$(log_of "$c")"
      return 1
    fi
    sleep 0.2
  done
}
