#!/usr/bin/env bash
# Create the acids-rave tool venv in .tools/rave-venv (idempotent: installs only what is missing).
#
# acids-rave 2.3.1 pins numpy<2, scipy 1.10 and pytorch-lightning 1.9, so it lives apart from
# WAVE's own .venv. torch is pinned to the same CPU build as .venv (an unpinned torch would pull a
# multi-GB CUDA build). acids-rave imports torchaudio only for its pure-torch transforms; no
# torchaudio release matches torch 2.13, so torchaudio 2.11 goes in with --no-deps and without its
# compiled extension (torchaudio then runs as pure Python). Set RAVE_TORCH to pick another torch
# (e.g. a CUDA build on a GPU machine).
#
# It also puts nn-tilde (+ cached-conv) into WAVE's own .venv with --no-deps: nn-tilde 1.6.0
# declares torch==2.5 but works with torch 2.13; it is needed only to rebuild the builtin models.
set -euo pipefail
cd "$(dirname "$0")/.."

MAIN_PY="${WAVE_PY:-.venv/bin/python}"
if [[ -x "$MAIN_PY" ]] && ! "$MAIN_PY" -c "import nn_tilde, cached_conv" 2>/dev/null; then
  "$MAIN_PY" -m pip install -q --disable-pip-version-check --no-deps "nn-tilde>=1.6.0" "cached-conv>=2.5.0"
fi

VENV="${RAVE_VENV:-.tools/rave-venv}"
PYTHON="${PYTHON:-python3}"
TORCH="${RAVE_TORCH:-torch==2.13.0}"
STAMP="$VENV/.wave-rave-ok"

if [[ -f "$STAMP" ]] && "$VENV/bin/python" -c "import rave, nn_tilde, cached_conv" 2>/dev/null; then
  exit 0
fi

mkdir -p "$(dirname "$VENV")"
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)

CONS="$VENV/wave-constraints.txt"
cat > "$CONS" <<CONS_EOF
$TORCH
numpy<2
scipy==1.10.0
setuptools<81
pytorch-lightning==1.9.0
CONS_EOF

"$VENV/bin/python" -c "import torch" 2>/dev/null || "${PIP[@]}" -c "$CONS" "$TORCH"
"${PIP[@]}" -c "$CONS" "setuptools<81" wheel "numpy<2"
# acids-rave, nn-tilde and cached-conv without their declared deps (they pin torch==2.5 / torchaudio).
"$VENV/bin/python" -c "import rave, nn_tilde, cached_conv" 2>/dev/null || \
  "${PIP[@]}" --no-deps "acids-rave==2.3.1" "nn-tilde==1.6.0" "cached-conv>=2.5.0"
"${PIP[@]}" -c "$CONS" "absl-py>=1.2.0" "einops>=0.5.0" gin-config "GPUtil>=1.4.0" "librosa>=0.9.2" \
  "pytorch-lightning==1.9.0" "PyYAML>=6.0" "scikit-learn>=1.1.2" "scipy==1.10.0" "tqdm>=4.64.1" \
  "udls>=1.0.1" tensorboard
"$VENV/bin/python" -c "import torchaudio" 2>/dev/null || {
  "${PIP[@]}" --no-deps "torchaudio==2.11.0"
  rm -f "$VENV"/lib/python3*/site-packages/torchaudio/lib/*.so
}
"$VENV/bin/python" -c "import rave, nn_tilde, cached_conv, torch; print('rave venv ok: torch', torch.__version__)"
touch "$STAMP"
