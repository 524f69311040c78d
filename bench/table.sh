#!/bin/sh
# Issue 8's bench table: alternates `fer bench` (GoMLX, pure-Go backend, built
# with GOEXPERIMENT=simd) and bench/pytorch_bench.py on the thesis's CNNs, round
# after round, so that both see the same machine load, then prints a Markdown
# table of the medians: model, ours, PyTorch, ratio, and the share of the CPU's
# arithmetic ceiling each reaches.
#
#   sh bench/table.sh [rounds] [models]        e.g. sh bench/table.sh 3 "mnist-cnn fer-cnn"
#
# Environment: THREADS (PyTorch's threads and ours' GOMAXPROCS, default: all
# cores), STEPS (our timed steps, default 20), GOMLX_BACKEND (ours' backend,
# default the project's choice), CEILING_GFLOPS (the CPU's float32 FMA peak for
# THREADS cores; default: an estimate from lscpu, see below), PYTHON (default
# /usr/bin/python3). Without PyTorch it prints our numbers only.
set -eu
rounds=${1:-3}
models=${2:-"mnist-cnn fer-cnn"}
steps=${STEPS:-20}
threads=${THREADS:-$(nproc)}
python=${PYTHON:-/usr/bin/python3}
for v in "rounds=$rounds" "STEPS=$steps" "THREADS=$threads"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0) echo "bench/table.sh: ${v%%=*} must be a positive whole number, got '${v#*=}'" >&2; exit 2 ;;
	esac
done
for m in $models; do
	case $m in
	mnist-cnn | fer-cnn) ;;
	*) echo "bench/table.sh: model '$m' has no PyTorch twin in bench/pytorch_bench.py (want mnist-cnn or fer-cnn)" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
bin=${TMPDIR:-/tmp}/fer-table
mkdir -p "$bin"
GOEXPERIMENT=simd go build -o "$bin/fer" ./cmd/fer

# Ceiling: cores × clock × float32 FLOPs per cycle. 64 FLOPs/cycle for two
# 512-bit FMA units (Intel AVX-512 server cores); 32 for AMD Zen 4, which runs
# AVX-512 on two 256-bit FMA pipes (cpu family 25). The clock is lscpu's
# "CPU max MHz" when given, else BogoMIPS/2 (the base clock on these VMs).
if [ -z "${CEILING_GFLOPS:-}" ]; then
	mhz=$(lscpu | awk -F: '/CPU max MHz/ {gsub(/ /, "", $2); print $2}')
	[ -n "$mhz" ] || mhz=$(lscpu | awk -F: '/BogoMIPS/ {gsub(/ /, "", $2); print $2 / 2}')
	fpc=64
	if grep -q '^vendor_id.*AuthenticAMD' /proc/cpuinfo && grep -q '^cpu family.*: 25$' /proc/cpuinfo; then fpc=32; fi
	CEILING_GFLOPS=$(echo "$threads $mhz $fpc" | awk '{printf "%.0f", $1 * $2 / 1000 * $3}')
	echo "ceiling: $threads cores × $mhz MHz × $fpc FLOPs/cycle ≈ $CEILING_GFLOPS GFLOP/s (set CEILING_GFLOPS to override)"
fi

torch=1
"$python" -c 'import torch' 2>/dev/null || { torch=0; echo "PyTorch not installed for $python: our numbers only"; }

log=$bin/results.txt
: >"$log"
for r in $(seq "$rounds"); do
	echo "== round $r: $(uptime)"
	for m in $models; do
		for mode in train infer; do
			flag=""
			[ $mode = infer ] && flag=--infer
			v=$(GOMAXPROCS=$threads "$bin/fer" bench --model "$m" --batch 32 --steps "$steps" $flag | grep -o '[0-9.]* images/s' | tail -1 | cut -d' ' -f1)
			echo "$m ours $mode $v" | tee -a "$log"
		done
		if [ $torch = 1 ]; then
			"$python" bench/pytorch_bench.py --model "$m" --threads "$threads" --windows 3 |
				awk -v m="$m" '/^(train|infer): median/ {sub(":", "", $1); print m, "pytorch", $1, $3}' | tee -a "$log"
		fi
	done
done

# Forward multiply-adds per image (BENCHMARKS.md, "Work per image"); training
# counts 3× the forward FLOPs (forward, input gradient, weight gradient).
echo
echo "| model | step | ours, images/s (median of $rounds) | PyTorch $threads threads, images/s | ours ÷ PyTorch | ours, % of $CEILING_GFLOPS GFLOP/s | PyTorch, % of ceiling |"
echo "|---|---|---|---|---|---|---|"
sort "$log" | awk -v ceil="$CEILING_GFLOPS" '
function median(key,   n, i, j, t, a) {
	n = split(vals[key], a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ key = $1 " " $2 " " $3; vals[key] = vals[key] " " $4; models[$1] = 1 }
END {
	macs["mnist-cnn"] = 21759616; macs["fer-cnn"] = 53423104
	for (m in models) for (s = 0; s < 2; s++) {
		mode = s ? "infer" : "train"
		ours = median(m " ours " mode)
		flops = 2 * macs[m] * (mode == "train" ? 3 : 1)
		if ((m " pytorch " mode) in vals) {
			pt = median(m " pytorch " mode)
			printf "| %s | %s | %.1f | %.1f | %.2f× | %.1f %% | %.1f %% |\n", m, mode, ours, pt, ours / pt, 100 * ours * flops / 1e9 / ceil, 100 * pt * flops / 1e9 / ceil
		} else {
			printf "| %s | %s | %.1f | — | — | %.1f %% | — |\n", m, mode, ours, 100 * ours * flops / 1e9 / ceil
		}
	}
}' | sort
