#!/usr/bin/env bash
# Issue #24's GPU checks in one go, for the few minutes a GPU machine is lent: the benchmark of
# every config with a PyTorch twin (float32 and bfloat16, 1 and 10 steps per call), the judge
# and the deep Syriac GAN for the original project's 6000 steps (timed, with label fidelity and
# Frechet distance), and the main job.
#
#   bash scripts/gpu_checks.sh OUT_DIR [STAGE ...]     # stages: versions bench judge gan main
#
# Run from the repository root with a Python that has JAX's CUDA build, flax, optax,
# orbax-checkpoint, ml-collections, absl-py, pillow, scipy, scikit-image, tensorboardX and torch
# (set PYTHON to choose it; python3 by default). Each stage writes its log to OUT_DIR and one
# line with its exit status and seconds to OUT_DIR/summary.txt, so a stage that failed or ran
# out of time can be run again alone, by name. The judge is kept in RUNS (default /tmp/runs)
# for the GAN stage.
set -uo pipefail

out=${1:?usage: bash scripts/gpu_checks.sh OUT_DIR [STAGE ...]}
shift
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(versions bench judge gan main)
python=${PYTHON:-python3}
runs=${RUNS:-/tmp/runs}
mkdir -p "$out" "$runs"
export PYTHONUNBUFFERED=1

# stage NAME SECONDS COMMAND...: runs COMMAND under a time limit, logged to OUT_DIR/NAME.log.
stage() {
  local name=$1 limit=$2 start rc
  shift 2
  start=$(date +%s)
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  rc=$?
  echo "$name: exit $rc after $(($(date +%s) - start)) s (limit $limit s)" | tee -a "$out/summary.txt"
}

# The device, the driver and the versions the figures were taken with.
versions() {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  "$python" -c 'import jax, jaxlib, flax, optax, orbax.checkpoint, torch
print("jax", jax.__version__, "jaxlib", jaxlib.__version__, "flax", flax.__version__,
      "optax", optax.__version__, "torch", torch.__version__, "cuda", torch.version.cuda)
print("JAX devices:", jax.devices())'
}
export -f versions
export python

for name in "${stages[@]}"; do
  case $name in
    versions) stage versions 120 bash -c versions ;;
    bench) stage bench 300 "$python" -m launch.bench --steps=20 --rounds=3 \
        --steps_per_call=1,10 --compute_dtypes=float32,bfloat16 ;;
    judge) stage judge 150 "$python" -m launch.train \
        --config=configs/cnn_classifier.py:syriac64 --workdir="$runs/cnn64" ;;
    gan) stage gan 420 "$python" -m launch.train --config=configs/gan.py \
        --workdir="$runs/gan6000" --config.train.steps=6000 \
        --config.eval.classifier_workdir="$runs/cnn64"
      cp "$runs/gan6000/eval/report.json" "$out/gan6000_report.json" 2>/dev/null
      cp "$runs/gan6000/eval/samples_test.png" "$out/gan6000_samples.png" 2>/dev/null ;;
    main) stage main 240 "$python" -m launch.train --config=configs/cnn_classifier.py \
        --workdir="$runs/cnn" ;;
    *) echo "unknown stage $name: versions, bench, judge, gan or main" >&2; exit 2 ;;
  esac
done
