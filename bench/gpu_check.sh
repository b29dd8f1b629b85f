#!/usr/bin/env bash
# One script for a machine with an NVIDIA GPU and the checkpoints in its Hugging Face cache: every model backend
# on the bundled photo, in a few minutes. Prints the environment, one REAL line per backend (load and run time,
# device, dtype, peak GPU memory: tests/test_models_real.py), then the whole `wave make` job with model backends
# (time per stage, peak GPU memory sampled by nvidia-smi). Everything also lands in $OUT (default out/gpu_check).
#
#   bench/gpu_check.sh            # checkpoints already cached (wave models)
#   bench/gpu_check.sh --fetch    # download the missing ones first (network)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WAVE=${WAVE:-.venv/bin/wave}
OUT=${OUT:-out/gpu_check}
PHOTO=${PHOTO:-server/make/data/coffee.jpg}
mkdir -p "$OUT"

{
  echo "# gpu_check $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD 2>/dev/null)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
  "$PY" -c "import torch, transformers, diffusers; g = torch.cuda.is_available(); print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpu', g, 'bf16', g and torch.cuda.is_bf16_supported()); print('transformers', transformers.__version__, 'diffusers', diffusers.__version__)"
} 2>&1 | tee "$OUT/env.txt"

if [[ "${1:-}" == "--fetch" ]]; then
  "$WAVE" models fetch audioldm2 audioldm clap-ranker qwen2.5-vl blip owlvit || echo "fetch: some failed (see above)"
fi
"$WAVE" models | tee -a "$OUT/env.txt"

# Peak GPU memory of a whole command, sampled every 0.2 s (the tests measure their own with torch).
gpu_peak() {
  local log=$1; shift
  local peak=0
  ( while sleep 0.2; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1; done ) > "$log.mem" &
  local sampler=$!
  "$@"
  local rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  peak=$(sort -n "$log.mem" 2>/dev/null | tail -1)
  echo "peak GPU memory used (nvidia-smi): ${peak:-?} MiB" | tee -a "$log"
  return $rc
}

echo "== every backend end to end (REAL lines)"
WAVE_REAL_WEIGHTS=1 "$PY" -m pytest -m real_weights -s -q -rs -p no:cacheprovider tests/test_models_real.py 2>&1 \
  | tee "$OUT/real.txt" | grep -E "^REAL|passed|failed|skipped|^E " || true

for sound in audioldm2 audioldm; do
  echo "== wave make, scene=qwen2.5-vl, sounds=$sound (time per stage)"
  gpu_peak "$OUT/make_$sound.log" "$WAVE" make "$PHOTO" -o "$OUT/make_$sound" --force \
    --backends "scene=qwen2.5-vl,sounds=$sound" 2> >(tee "$OUT/make_$sound.log" | grep -E "^\[[0-9]+/[0-9]+\]|error" >&2)
  echo "exit $?"
done
echo "results in $OUT"
