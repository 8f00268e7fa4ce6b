# Shared by the load scripts (run.sh, overload.sh); sourced, not run. The caller sets `here`
# (this folder), `root` (the checkout), `bin` (the kpimatch binary), `tmp` (a scratch folder it
# removes) and `script` (its name, for messages); optional READY_TIMEOUT_S (default 120) and
# STOP_TIMEOUT_S (default 15).
#
# Gives: die, require_tools (python3, curl, wrk — installed with apt-get when missing),
# start_server NAME [SERVE_FLAGS…] (sets $base and $server_pid), stop_server, and
# bundled_cities (the bundle's city ids, comma-separated, for the wrk scripts).

bundle="$root/index-data"
server_pid=""
base=""

die() { echo "$script: $*" >&2; exit 1; }

require_tools() {
    [[ -x "$bin" ]] || die "$bin is missing: build it first with 'cargo build --release -p kpimatch-server'"
    command -v python3 >/dev/null || die "python3 is required"
    command -v curl >/dev/null || die "curl is required"
    if ! command -v wrk >/dev/null; then
        echo "installing wrk…" >&2
        local sudo=""
        [[ $EUID -eq 0 ]] || sudo="sudo"
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get install -y wrk >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y wrk >/dev/null; }
        command -v wrk >/dev/null || die "could not install wrk"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME [SERVE_FLAGS…]: starts `kpimatch serve` on a free 127.0.0.1 port with its
# own data directory ($tmp/NAME-data, log $tmp/NAME.log) in development mode, at RUST_LOG=warn
# unless KPIMATCH_LOAD_RUST_LOG says otherwise, and waits (bounded) until /readyz answers.
start_server() {
    local name="$1"
    shift
    local port
    port="$(free_port)"
    base="http://127.0.0.1:$port"
    RUST_LOG="${KPIMATCH_LOAD_RUST_LOG:-warn}" "$bin" --bundle "$bundle" serve \
        --data-dir "$tmp/$name-data" --bind "127.0.0.1:$port" "$@" >"$tmp/$name.log" 2>&1 &
    server_pid=$!
    local deadline=$((SECONDS + ${READY_TIMEOUT_S:-120}))
    until curl -fsS --max-time 2 "$base/readyz" >/dev/null 2>&1; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            tail -20 "$tmp/$name.log" >&2
            die "the server ($name) exited before it was ready"
        fi
        ((SECONDS < deadline)) || die "the server ($name) was not ready after ${READY_TIMEOUT_S:-120} s"
        sleep 0.2
    done
}

# stop_server: SIGTERM, a bounded wait for the graceful shutdown, then SIGKILL.
stop_server() {
    [[ -n "$server_pid" ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        local deadline=$((SECONDS + ${STOP_TIMEOUT_S:-15}))
        while kill -0 "$server_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

bundled_cities() {
    python3 -c 'import json, sys; print(",".join(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()))' \
        "$bundle/cities.jsonl"
}
