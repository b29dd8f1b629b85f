"""Rustles: a book's pages turned one by one versus leaves' continuous flicker (measured, not listened to)."""

import numpy as np
from scipy import signal

from server.sounds.synth import SourceDescription, synthesize

SR = 48000


def _render(play: str, seed: int, seconds: float = 8.0) -> np.ndarray:
    desc = SourceDescription("thing", "paper", play, model="rustle", audioset=("Rustle",))
    audio, choice = synthesize(desc, seconds, seed=seed, sample_rate=SR)
    assert choice.model == "rustle"
    return audio.astype(np.float64)


def _env_db(x: np.ndarray, ms: float = 10.0) -> np.ndarray:
    hop = int(ms * 1e-3 * SR)
    m = len(x) // hop
    e = np.sqrt((x[: m * hop] ** 2).reshape(m, hop).mean(axis=1))
    return 20 * np.log10(e / e.max() + 1e-9)


def test_pages_turn_one_at_a_time_about_one_and_a_half_a_second():
    """Each turn is a swish of a few hundred ms ending in a flap; between turns the book is quiet, so the
    level falls 30 dB or more between events; 8 s hold about 6-20 turns."""
    for seed in range(3):
        x = _render("pages flipping", seed)
        env = _env_db(x)
        assert np.percentile(env, 20) < -30, seed  # quiet between turns
        smooth = _env_db(x, 50.0)  # 50 ms frames: one swish and its flap are one event
        peaks, _ = signal.find_peaks(smooth, height=-25, distance=4)  # turns at least 200 ms apart
        assert 5 <= len(peaks) <= 20, (seed, len(peaks))
        f, pxx = signal.welch(x, SR, nperseg=4096)
        share = pxx[(f >= 400) & (f <= 7000)].sum() / pxx[f > 20].sum()
        assert share > 0.8, seed


def test_leaves_flicker_continuously():
    """Leaves in the wind never fall silent: the level stays within ~30 dB of its peak most of the time."""
    x = _render("leaves rustling in the wind", 1)
    assert np.percentile(_env_db(x), 20) > -30
