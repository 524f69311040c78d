#!/usr/bin/env bash
# Real-browser test of the chapter 5 notebook: starts classic Jupyter Notebook 6
# with the "Go (fer)" kernel, opens a copy of notebooks/05_fully_connected_circles.ipynb
# (outputs cleared) in headless Chromium, runs all cells there and checks that
# they all ran, that no cell printed an error and that the decision-region
# figure was drawn. Screenshots go to $OUT_DIR.
#
#   scripts/browser-test.sh          # from the repository root; exit 0 only on success
#
# Installs what is missing when run as root (non-interactive): Debian chromium,
# playwright-core from test/browser/package-lock.json (npm ci; it never
# downloads a browser), and the kernel into $JUPYTER_DATA_DIR (scripts/install.sh).
#
# Environment:
#   JUPYTER_DATA_DIR       kernel dir (default out/test-jupyter, as make test-setup)
#   OUT_DIR                screenshots and scratch files (default out/browser)
#   BROWSER_TEST_NOTEBOOK  notebook to run instead of the chapter 5 one (to
#                          check that the test fails on a broken copy)
#   BROWSER_TEST_TIMEOUT   seconds for the whole run in the browser (default 420)
#   FER_SKIP_APT=1         never call apt-get
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS

JUPYTER_DATA_DIR=${JUPYTER_DATA_DIR:-out/test-jupyter}
OUT_DIR=${OUT_DIR:-out/browser}
notebook_src=${BROWSER_TEST_NOTEBOOK:-notebooks/05_fully_connected_circles.ipynb}
timeout_s=${BROWSER_TEST_TIMEOUT:-420}
case $JUPYTER_DATA_DIR in /*) ;; *) JUPYTER_DATA_DIR=$root/$JUPYTER_DATA_DIR ;; esac
case $OUT_DIR in /*) ;; *) OUT_DIR=$root/$OUT_DIR ;; esac
export JUPYTER_DATA_DIR OUT_DIR
: "${GOEXPERIMENT:=simd}" "${GOTOOLCHAIN:=local}"
export GOEXPERIMENT GOTOOLCHAIN
if [[ -z "${FER_DATA_DIR:-}" && -d ../shared/data ]]; then
  export FER_DATA_DIR="$(cd ../shared/data && pwd)"
fi
say() { echo "browser-test: $*"; }
die() { echo "browser-test: FAIL: $*" >&2; exit 1; }

# 1. What it needs.
chromium=/usr/bin/chromium
need_apt=()
[[ -x $chromium ]] || need_apt+=(chromium)
command -v npm >/dev/null || need_apt+=(nodejs npm)
command -v curl >/dev/null || need_apt+=(curl)
command -v ps >/dev/null || need_apt+=(procps)
/usr/bin/python3 -c 'import nbformat' >/dev/null 2>&1 || need_apt+=(python3-nbformat)
command -v jupyter >/dev/null && jupyter notebook --version >/dev/null 2>&1 || need_apt+=(jupyter-notebook)
if ((${#need_apt[@]})); then
  if [[ "${FER_SKIP_APT:-}" != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing ${need_apt[*]} from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    die "missing ${need_apt[*]} (Debian: apt-get install --no-install-recommends ${need_apt[*]})"
  fi
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || die "node $(node --version) is too old: playwright-core needs node >= 18"

if ! (cd test/browser && node -e 'process.exit(require("playwright-core/package.json").version === require("./package.json").dependencies["playwright-core"] ? 0 : 1)') 2>/dev/null; then
  say "npm ci in test/browser"
  (cd test/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

if [[ ! -f $JUPYTER_DATA_DIR/kernels/fer/kernel.json ]]; then
  say "installing the kernel into $JUPYTER_DATA_DIR"
  scripts/install.sh
fi

# 2. A scratch copy of the notebook with its outputs cleared.
work=$OUT_DIR/work
rm -rf "$work" "$OUT_DIR/tmp" "$OUT_DIR/jupyter-config" "$OUT_DIR/jupyter-runtime"
mkdir -p "$work" "$OUT_DIR/tmp" "$OUT_DIR/jupyter-config" "$OUT_DIR/jupyter-runtime"
rm -f "$OUT_DIR"/notebook05*.png
[[ -f $notebook_src ]] || die "no notebook $notebook_src"
nb_name=$(basename "$notebook_src")
/usr/bin/python3 - "$notebook_src" "$work/$nb_name" <<'EOF'
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
n = 0
for c in nb.cells:
    if c.cell_type == "code":
        n += bool(c.outputs)
        c.outputs = []
        c.execution_count = None
nb.metadata.pop("widgets", None)
nbformat.write(nb, sys.argv[2])
print(f"browser-test: copied {sys.argv[1]} to {sys.argv[2]}, cleared the outputs of {n} cells")
EOF

# 3. The server, killed on any exit. setsid puts it and its kernel (and the
#    kernel's compiler and cell programs) in one process group.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(24))')
server_log=$OUT_DIR/jupyter.log
server_pid=
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
stop_server() {
  [[ -n $server_pid ]] || return 0
  # Jupyter starts each kernel in a session of its own: note those groups now,
  # while they are still below the server, to kill what outlives the shutdown
  # (a cell's go build, say).
  local groups=("$server_pid") p g
  for p in $(descendants "$server_pid"); do
    g=$(ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ') || continue
    [[ $g == "$p" ]] && groups+=("$g")
  done
  if alive "$server_pid"; then
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$server_pid" || break; sleep 0.2; done
  fi
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

allow_root=()
[[ $(id -u) == 0 ]] && allow_root=(--allow-root)
say "starting Jupyter Notebook on 127.0.0.1:$port (log $server_log)"
# TMPDIR: the notebook keeps its trained models under os.TempDir(); a private
# one keeps this run apart from others on the machine.
JUPYTER_CONFIG_DIR=$OUT_DIR/jupyter-config JUPYTER_RUNTIME_DIR=$OUT_DIR/jupyter-runtime TMPDIR=$OUT_DIR/tmp \
  setsid jupyter notebook --no-browser --port="$port" --port-retries=0 --ip=127.0.0.1 \
  --NotebookApp.token="$token" --NotebookApp.password= --notebook-dir="$work" \
  --NotebookApp.open_browser=False "${allow_root[@]}" >"$server_log" 2>&1 </dev/null &
server_pid=$!

for i in $(seq 120); do
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/api/status?token=$token" 2>/dev/null; then break; fi
  alive "$server_pid" || { tail -20 "$server_log" >&2; die "jupyter notebook exited"; }
  ((i < 120)) || { tail -20 "$server_log" >&2; die "jupyter notebook did not answer on port $port within 60 s"; }
  sleep 0.5
done
spec=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/api/kernelspecs?token=$token")
/usr/bin/python3 -c '
import json, sys
specs = json.loads(sys.argv[1])["kernelspecs"]
fer = specs.get("fer")
if not fer:
    sys.exit("browser-test: FAIL: the server has no \"fer\" kernelspec (has %s)" % sorted(specs))
print("browser-test: server up, kernelspec \"fer\" (%s): %s" % (fer["spec"]["display_name"], " ".join(fer["spec"]["argv"][:1])))
' "$spec"

# 4. The browser.
say "running $nb_name in headless Chromium (limit ${timeout_s}s)"
rc=0
(cd test/browser && JUPYTER_URL="http://127.0.0.1:$port" JUPYTER_TOKEN="$token" NOTEBOOK="$nb_name" \
  OUT_DIR="$OUT_DIR" TIMEOUT_S="$timeout_s" CHROMIUM="$chromium" \
  timeout -k 10 $((timeout_s + 40)) node run-notebook.mjs) || rc=$?
stop_server
if ((rc != 0)); then
  ((rc == 124 || rc == 137)) && echo "browser-test: node was killed after $((timeout_s + 40))s" >&2
  echo "browser-test: server log (last lines of $server_log):" >&2
  tail -15 "$server_log" >&2
  die "$nb_name in the browser (exit $rc) after $((SECONDS - start))s"
fi
say "PASS in $((SECONDS - start))s (screenshots in $OUT_DIR)"
