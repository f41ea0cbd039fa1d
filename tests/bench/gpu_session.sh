#!/usr/bin/env bash
# The GPU checks of the speed issue in one prepared command, for a session that is lent the
# GPU machine (the library's `device`): the CUDA tests, the speed table, `ganstudio train`
# alone and under torchrun, quality per minute, and the compiled column.
#
#   bash tests/bench/gpu_session.sh                 # every step: about 8-9 minutes
#   bash tests/bench/gpu_session.sh tests speed     # only the named steps
#
# Steps: gpu tests speed cli torchrun quality compile. Each runs under its own time limit
# (so one that hangs cannot eat the others' time) and writes its output to $OUT/NAME.txt as
# well as to the screen; $OUT defaults to /tmp/ganstudio-gpu. Nothing is installed: it
# needs python3 with torch, numpy, pillow and pytest, which the GPU machine's image has
# (PySide6 and pyqtgraph are not needed: none of these steps opens the window).
# DEVICE=cpu runs the same steps on the CPU, to check the script itself on a machine without one.
set -u
OUT=${OUT:-/tmp/ganstudio-gpu}
DEVICE=${DEVICE:-cuda}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" GANSTUDIO_CACHE_DIR="$SCRATCH/cache"

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(gpu tests speed cli torchrun quality compile)

run_step() {  # NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit} s): $*"
    local start=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee "$OUT/$name.txt"
    local status=${PIPESTATUS[0]}
    echo "== $name: exit $status after $((SECONDS - start)) s$([ "$status" = 124 ] && echo ' (time limit)')"
}

for name in "${wanted[@]}"; do
    case $name in
    gpu) run_step gpu 30 bash -c "nvidia-smi; $PY -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name())'" ;;
    tests) run_step tests 120 "$PY" -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_data_bank.py tests/test_device.py tests/test_engine.py ;;
    speed) run_step speed 170 "$PY" tests/bench/train_speed.py --device "$DEVICE" --models preset textbook --resolutions 32 64 128 --rounds 3 --no-compile ;;
    cli) run_step cli 60 "$PY" -m ganstudio train --data demo:shapes:2000 --out "$SCRATCH/cli" --device "$DEVICE" --minutes 0.5 ;;
    # With one GPU, torchrun starts one process: this checks the launcher path and the CLI
    # under it, not DistributedDataParallel (NCCL will not put two ranks on one GPU).
    torchrun) run_step torchrun 60 "$PY" -m torch.distributed.run --standalone --nproc-per-node 1 -m ganstudio train \
        --data demo:shapes:2000 --out "$SCRATCH/torchrun" --device "$DEVICE" --minutes 0.25 ;;
    quality) run_step quality 150 "$PY" tests/bench/quality_per_minute.py --device "$DEVICE" --sets shapes --resolutions 64 --minutes 1 ;;
    compile) run_step compile 100 "$PY" tests/bench/train_speed.py --device "$DEVICE" --models preset --resolutions 64 --rounds 3 ;;
    *) echo "unknown step '$name' (steps: gpu tests speed cli torchrun quality compile)" >&2; exit 2 ;;
    esac
done
