#!/usr/bin/env bash
# run.sh measures float32 GEMM side by side on this machine, in one run:
# NumPy's matmul (Debian python3-numpy and its OpenBLAS), gonum's blas32
# Sgemm, and rakam's tensor.Gemm (AVX2/AVX-512 kernels with 1 and 2 threads,
# and the purego build with 1 thread). It interleaves ROUNDS rounds of every
# implementation so that load from other users spreads over all of them, and
# prints a Markdown summary with medians and ratios to NumPy.
#
#   bench/gemm/run.sh                 # defaults below
#   ROUNDS=5 REPS=3 bench/gemm/run.sh
#   SHAPES=1024x1024x1024 bench/gemm/run.sh
#   GODEBUG=cpu.avx512f=off NUMPY_CORETYPE=Haswell bench/gemm/run.sh   # both on AVX2
#
# Needs: go, /usr/bin/python3 with numpy and OpenBLAS (apt-get install -y python3-numpy
# python3-threadpoolctl libopenblas0-pthread; bench/blas_check.sh refuses the reference BLAS).
# Shapes are MxKxN: A is MxK, B is KxN; a suffix :TN, :NT or :TT stores A or
# B transposed.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
REPS=${REPS:-3}
MINTIME=${MINTIME:-0.15}
# The MLP's 128x784x128 and the zoo cnn's conv products at batch 64: forward
# W·col, weight gradient dY·colᵀ (:NT) and input gradient Wᵀ·dY (:TN).
SHAPES=${SHAPES:-1024x1024x1024,128x784x128,16x9x50176,32x144x12544,64x288x3136,16x50176x9:NT,32x12544x144:NT,64x3136x288:NT,144x32x12544:TN,288x64x3136:TN}
PY=/usr/bin/python3 # Debian's, which has python3-numpy; not a pyenv python on PATH

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" -c 'import numpy' 2>/dev/null || {
	echo "run.sh: $PY cannot import numpy; run: apt-get install -y python3-numpy python3-threadpoolctl" >&2
	exit 1
}
. bench/blas_check.sh
go build -o "$tmp/gemm" ./bench/gemm
go build -tags purego -o "$tmp/gemm-purego" ./bench/gemm
# gonum's assembly is switched off by its own tag, noasm: its pure-Go path is
# the like-for-like peer of rakam's purego build (both are reported).
go build -tags purego,noasm -o "$tmp/gemm-noasm" ./bench/gemm

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
	echo "round $round/$ROUNDS" >&2
	# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set in this environment, would
	# force OpenBLAS onto another kernel: unset them for NumPy's command only,
	# unless NUMPY_CORETYPE asks for one (Haswell: OpenBLAS's AVX2 kernel, the
	# like-for-like peer of rakam's AVX2 path under GODEBUG=cpu.avx512f=off).
	numpy_env=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
	if [ -n "${NUMPY_CORETYPE:-}" ]; then numpy_env+=(OPENBLAS_CORETYPE="$NUMPY_CORETYPE"); fi
	env "${numpy_env[@]}" "$PY" bench/gemm/numpy_gemm.py "$SHAPES" 1,2 "$REPS" "$MINTIME" >>"$tmp/numpy.jsonl"
	GOMAXPROCS=1 "$tmp/gemm" -impl rakam,gonum -threads 1 -shapes "$SHAPES" -reps "$REPS" -mintime "${MINTIME}s" >>"$tmp/go.jsonl"
	GOMAXPROCS=2 "$tmp/gemm" -impl rakam,gonum -threads 2 -shapes "$SHAPES" -reps "$REPS" -mintime "${MINTIME}s" >>"$tmp/go.jsonl"
	GOMAXPROCS=1 "$tmp/gemm-purego" -impl rakam -label -purego -threads 1 -shapes "$SHAPES" -reps "$REPS" -mintime "${MINTIME}s" >>"$tmp/go.jsonl"
	GOMAXPROCS=1 "$tmp/gemm-noasm" -impl gonum -label -noasm -threads 1 -shapes "$SHAPES" -reps "$REPS" -mintime "${MINTIME}s" >>"$tmp/go.jsonl"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat >"$tmp/meta.json" <<JSON
{"date": "$(date -u '+%Y-%m-%d %H:%M')", "cpu": "$(lscpu | sed -n 's/^Model name: *//p' | head -1)",
 "cores": "$(nproc)", "go": "$(go version | cut -d' ' -f3-)", "load_before": "$load_before",
 "load_after": "$load_after", "command": "${GODEBUG:+GODEBUG=$GODEBUG }${NUMPY_CORETYPE:+NUMPY_CORETYPE=$NUMPY_CORETYPE }ROUNDS=$ROUNDS REPS=$REPS MINTIME=$MINTIME SHAPES=$SHAPES bench/gemm/run.sh",
 "rounds": $ROUNDS, "reps": $REPS, "mintime": $MINTIME}
JSON
"$PY" bench/gemm/report.py "$tmp/meta.json" "$tmp/numpy.jsonl" "$tmp/go.jsonl"
