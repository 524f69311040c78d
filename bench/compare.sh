#!/bin/sh
# Alternates `fer bench` (GoMLX, pure-Go backend) and bench/pytorch_bench.py on the
# thesis's CNNs, so that both see the same machine load; BENCHMARKS.md quotes the
# medians of its output.
#
#   sh bench/compare.sh [rounds] [models]      e.g. sh bench/compare.sh 3 "mnist-cnn fer-cnn"
#
# Each round runs, per model: ours built with GOEXPERIMENT=simd (fast conv), ours
# without it, PyTorch with 2 threads; the load average is printed before each round.
# Set NATIVE=1 to also time GoMLX's own convolution (FER_CONV=native, few steps: slow).
set -eu
rounds=${1:-3}
models=${2:-"mnist-cnn fer-cnn"}
steps=${STEPS:-20}
cd "$(dirname "$0")/.."
bin=${TMPDIR:-/tmp}/fer-compare
mkdir -p "$bin"
go build -o "$bin/fer" ./cmd/fer
GOEXPERIMENT=simd go build -o "$bin/fer-simd" ./cmd/fer
for r in $(seq "$rounds"); do
	echo "== round $r: $(uptime)"
	for m in $models; do
		echo "-- $m"
		"$bin/fer-simd" bench --model "$m" --batch 32 --steps "$steps" | sed 's/^/simd fast: /'
		/usr/bin/python3 bench/pytorch_bench.py --model "$m" --threads 2 --windows 3 | sed 's/^/pytorch: /'
		"$bin/fer" bench --model "$m" --batch 32 --steps "$steps" | sed 's/^/nosimd fast: /'
		if [ "${NATIVE:-0}" = 1 ]; then
			FER_CONV=native "$bin/fer-simd" bench --model "$m" --batch 32 --steps 2 --warmup 1 | sed 's/^/simd native: /'
		fi
	done
done

# CPU=1: also the single-threaded CPU time per training step, which depends much less
# on the load than wall time: ours with GOMAXPROCS=1 (CPU time of a 4+N-step run minus
# that of a 4-step run, divided by N), PyTorch with one thread (time.process_time).
if [ "${CPU:-0}" = 1 ]; then
	n=${CPU_STEPS:-10}
	cpu() { # prints user+sys seconds of the command
		/usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'
	}
	for r in $(seq "$rounds"); do
		echo "== cpu round $r: $(uptime)"
		for m in $models; do
			for b in fer-simd fer; do
				a=$(GOMAXPROCS=1 cpu "$bin/$b" bench --model "$m" --batch 32 --steps 2 --warmup 2)
				z=$(GOMAXPROCS=1 cpu "$bin/$b" bench --model "$m" --batch 32 --steps $((2 + n)) --warmup 2)
				echo "$m $b 1 thread: $(echo "$a $z $n" | awk '{printf "%.0f ms CPU/step, %.1f images per CPU-second", 1000*($2-$1)/$3, 32*$3/($2-$1)}')"
			done
			/usr/bin/python3 bench/pytorch_bench.py --model "$m" --threads 1 --windows 3 | grep train | sed "s/^/$m pytorch 1 thread: /"
		done
	done
fi
