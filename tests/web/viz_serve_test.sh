#!/usr/bin/env bash
# `anneal viz` serves the page's files on 127.0.0.1 byte for byte as `anneal viz --out` writes them,
# and a second server on the same port fails with a clear error (exit 1) instead of a crash.
#   viz_serve_test.sh ANNEAL_BINARY [VIZ_OPTIONS...]   (e.g. --wasm build-wasm/anneal.js)
set -euo pipefail
anneal=$1
shift
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

"$anneal" viz "$@" --out "$work/site" >/dev/null
for f in index.html viz.js viz.css anneal.js anneal_webgpu.js dagre.min.js fashion-subset.bin; do
  [ -s "$work/site/$f" ] || { echo "viz --out wrote no $f"; exit 1; }
done
size=$(stat -c %s "$work/site/fashion-subset.bin")
[ "$size" -eq $((4096 * 785)) ] || { echo "fashion-subset.bin has $size bytes, want $((4096 * 785))"; exit 1; }

# A free port: the kernel picks one for a listener that closes at once.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))
"$anneal" viz "$@" --port "$port" >"$work/server.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "serving http://127.0.0.1:$port/" "$work/server.out" && break; sleep 0.1; done
grep -q "serving http://127.0.0.1:$port/" "$work/server.out" || { echo "the server did not start:"; cat "$work/server.out"; exit 1; }

# GET over bash's /dev/tcp (no curl needed): the body after the headers must equal the written file.
fetch() {
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
  cat <&3 >"$work/response"
  exec 3<&-
  python3 - "$work/response" "$work/body" <<'PY' 2>/dev/null || sed '1,/^\r$/d' "$work/response" >"$work/body"
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data[data.index(b"\r\n\r\n") + 4:])
PY
}
for f in index.html anneal.js dagre.min.js fashion-subset.bin; do
  fetch "$f"
  head -1 "$work/response" | grep -q " 200 " || { echo "GET /$f: $(head -1 "$work/response")"; exit 1; }
  cmp -s "$work/body" "$work/site/$f" || { echo "GET /$f differs from viz --out's file"; exit 1; }
done

set +e
"$anneal" viz "$@" --port "$port" >"$work/second.out" 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || { echo "a second server on port $port exited $status, want 1"; cat "$work/second.out"; exit 1; }
grep -q "cannot listen on 127.0.0.1:$port (the port is taken" "$work/second.out" || { echo "unclear error:"; cat "$work/second.out"; exit 1; }
echo "served 4 files identical to viz --out on port $port; a second server said: $(cat "$work/second.out")"
