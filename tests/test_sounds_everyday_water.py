"""Water by kind: drips, splashes and gurgles from the drops model, checked by their physics (bubble pitch
band, envelope of each entry, glug modulation), not by ear."""

import time

import numpy as np
import pytest
from scipy import signal, stats

from server.sounds.synth import SourceDescription, synthesize, water_kind

SR = 48000


def _render(cls: str, play: str = "in the water", seed: int = 0, seconds: float = 6.0) -> np.ndarray:
    desc = SourceDescription("thing", "water", play, model="drops", audioset=(cls,))
    audio, choice = synthesize(desc, seconds, seed=seed, sample_rate=SR)
    assert choice.model == "drops"
    return audio.astype(np.float64)


def _band_share(x: np.ndarray, lo: float, hi: float) -> float:
    f, pxx = signal.welch(x, SR, nperseg=4096)
    return float(pxx[(f >= lo) & (f < hi)].sum() / pxx[f > 20].sum())


def _envelope(x: np.ndarray, ms: float = 10.0) -> np.ndarray:
    hop = int(ms * 1e-3 * SR)
    m = len(x) // hop
    return np.sqrt((x[: m * hop] ** 2).reshape(m, hop).mean(axis=1))


@pytest.mark.parametrize("cls,play,kind", [
    ("Splash, splatter", "oars dipping", "splash"), ("Slosh", "x", "splash"), ("Gurgling", "plunging", "gurgle"),
    ("Drip", "dripping", "drip"), ("Water", "tail splashing", "splash"), ("Water", "bubbles rising", "gurgle"),
    ("Water", "dripping into a sink", "drip"),
])
def test_kind_from_class_then_play_method(cls, play, kind):
    assert water_kind(SourceDescription("x", "water", play, audioset=(cls,))) == kind


def test_gurgle_bubbles_sit_in_their_minnaert_band_and_glug():
    """Bubbles of 1-5 mm ring at 3/r = 0.6-3 kHz: most of the energy is there; the flow chokes and lets go a
    few times a second, so the level envelope is modulated at 2-12 Hz far more than a steady stream's."""
    for seed in range(2):
        x = _render("Gurgling", "bubbles rising", seed)
        assert _band_share(x, 500, 3500) > 0.6, seed
        env = _envelope(x)
        f, pxx = signal.welch(env - env.mean(), 100, nperseg=256)
        glug = pxx[(f >= 2) & (f <= 12)].mean()  # modulation power per Hz
        fast = pxx[f > 20].mean()  # the bubbles' own randomness
        assert glug > 3 * fast, (seed, glug, fast)


def test_splash_entries_rise_fast_and_die_slowly():
    """Each entry churns the water: the level jumps within ~20 ms and decays over a few hundred ms (the
    bubbles and the falling spray), so the level envelope rises in a few big steps and falls in many small
    ones (its frame-to-frame change is positively skewed), unlike the gurgle's symmetric glugs; the water is
    never silent between entries."""
    skews = {}
    for cls in ("Splash, splatter", "Gurgling"):
        vals = []
        for seed in range(4):
            x = _render(cls, "in the water", seed, seconds=8.0)
            vals.append(stats.skew(np.diff(_envelope(x, 50.0))))
            if cls.startswith("Splash"):
                env_db = 20 * np.log10(_envelope(x) + 1e-9)
                assert np.percentile(env_db - env_db.max(), 10) > -35, seed
                assert _band_share(x, 400, 9000) > 0.8, seed  # spray and bubbles: broadband
        skews[cls] = vals
    assert np.mean(skews["Splash, splatter"]) > 0.4 and min(skews["Splash, splatter"]) > 0, skews
    assert np.mean(skews["Splash, splatter"]) > np.mean(skews["Gurgling"]) + 0.3, skews


def test_drips_stay_sparse_single_drops():
    """A drip is one drop at a time: the clip is mostly quiet between drops (unlike a splash's churn)."""
    x = _render("Drip", "dripping into a sink", seed=1)
    env_db = 20 * np.log10(_envelope(x) + 1e-9)
    env_db -= env_db.max()
    assert np.median(env_db) < -40


def test_water_kinds_are_deterministic_and_quick():
    for cls in ("Splash, splatter", "Gurgling"):
        t0 = time.perf_counter()
        a = _render(cls, seed=4, seconds=5.0)
        assert time.perf_counter() - t0 < 0.6, cls
        assert np.array_equal(a, _render(cls, seed=4, seconds=5.0))
        assert not np.array_equal(a, _render(cls, seed=5, seconds=5.0))


@pytest.mark.parametrize("seed", [0, 3])
def test_a_streams_flow_noise_is_as_strong_as_its_bubbles(seed):
    """Running water is bubbles (0.8-5 mm: 0.6-3.75 kHz) over the broadband noise of the turbulent flow, which
    carries as much energy as they do: a fifth of the 0.3-8 kHz energy lies above the bubbles, at 4-8 kHz (with
    the flow at 0.6 of the bubbles' level it was a tenth: the bubbles stood out one by one, heard as a pour)."""
    desc = SourceDescription("stream", "water", "water babbling over stones", model="stream")
    x, choice = synthesize(desc, 5.0, seed=seed, sample_rate=SR)
    assert choice.model == "stream"
    f, pxx = signal.welch(x.astype(np.float64), SR, nperseg=4096)
    share = pxx[(f >= 4000) & (f < 8000)].sum() / pxx[(f >= 300) & (f < 8000)].sum()
    assert 0.16 < share < 0.3, share
    bubbles = pxx[(f >= 600) & (f < 3750)].sum() / pxx[(f >= 300) & (f < 8000)].sum()
    assert bubbles > 0.5, bubbles  # the bubbles' band still holds most of it


def test_rain_taps_spread_over_more_than_a_decade():
    """Raindrop sizes spread widely (Marshall-Palmer) and a drop's impact energy goes as d^3 v^2, so the near
    taps' amplitudes are log-normal with sigma 1 (ln): a few strikes stand far out of the hiss of the far field.
    The 4-12 kHz band's kurtosis (Gaussian hiss alone: 3) is far above a narrow spread's (sigma 0.7: 10-65,
    median ~25 over these seeds)."""
    kurt = []
    for seed in range(4):
        x, choice = synthesize(SourceDescription("rain", "water", "steady rain falling on the ground"), 4.0, seed=seed)
        assert choice.model == "rain"
        sos = signal.butter(2, [4000, 12000], btype="band", fs=SR, output="sos")
        h = signal.sosfilt(sos, x.astype(np.float64))
        kurt.append(stats.kurtosis(h, fisher=False))
    assert np.median(kurt) > 40, kurt
