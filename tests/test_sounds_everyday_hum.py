"""Hums by kind: a fan's blade-chopped airflow versus a transformer's mains hum (measured, not listened to)."""

import numpy as np
import pytest
from scipy import signal

from server.sounds.synth import SourceDescription, hum_kind, synthesize

SR = 48000


def _render(cls: str, play: str, seed: int, seconds: float = 4.0) -> np.ndarray:
    desc = SourceDescription("appliance", "metal", play, model="hum", audioset=(cls,))
    audio, choice = synthesize(desc, seconds, seed=seed, sample_rate=SR)
    assert choice.model == "hum"
    return audio.astype(np.float64)


@pytest.mark.parametrize("cls,play,kind", [
    ("Mechanical fan", "blades whirring", "fan"), ("Air conditioning", "x", "fan"), ("Hum", "fan humming", "mains"),
    ("Mains hum", "electrical humming", "mains"), ("Whir", "fan turning", "whir"), ("Whir", "x", "whir"),
    ("Mechanical fan", "x", "fan"), ("Vibration", "blades turning", "fan"), ("Vibration", "disc spinning", "whir"),
    ("Vibration", "buzzing", "mains"),
])
def test_kind_from_class_then_play_method(cls, play, kind):
    assert hum_kind(SourceDescription("x", "metal", play, audioset=(cls,))) == kind


@pytest.mark.parametrize("seed", range(3))
def test_fan_airflow_is_chopped_at_the_blade_pass_frequency(seed):
    """4-6 blades at 13-25 rev/s chop the airflow 52-150 times a second: the envelope of the turbulence
    (band 250-1000 Hz, above the motor's hum lines) is modulated there, far above its neighbouring rates."""
    x = _render("Mechanical fan", "blades whirring", seed)
    band = signal.sosfiltfilt(signal.butter(4, [250, 1000], "band", fs=SR, output="sos"), x)
    env = np.abs(signal.hilbert(band))
    env = signal.decimate(signal.decimate(env, 8), 6)  # 1 kHz
    f, pxx = signal.welch(env - env.mean(), 1000, nperseg=2000)
    sel = (f >= 40) & (f <= 200)
    f_peak = f[sel][np.argmax(pxx[sel])]
    assert 50 <= f_peak <= 155, f_peak
    near = (np.abs(f - f_peak) > 8) & (np.abs(f - f_peak) < 30)
    assert pxx[sel].max() > 10 * np.median(pxx[near]), seed


def test_fan_is_broadband_below_a_kilohertz_mains_hum_is_lines():
    """The fan's energy is turbulence spread over 50-1000 Hz; the transformer's sits in a few lines."""
    def line_share(x: np.ndarray) -> float:
        f, pxx = signal.welch(x, SR, nperseg=SR)  # 1 Hz bins
        sel = (f >= 50) & (f <= 1000)
        p = np.sort(pxx[sel])[::-1]
        return float(p[:20].sum() / p.sum())  # share of the 20 strongest 1 Hz bins

    fan = np.mean([line_share(_render("Mechanical fan", "fan", s)) for s in range(2)])
    mains = np.mean([line_share(_render("Mains hum", "electrical humming", s)) for s in range(2)])
    assert fan < 0.5 < mains, (fan, mains)


@pytest.mark.parametrize("seed", range(3))
def test_whir_whines_at_the_motors_slot_pass_rate_and_hunts(seed):
    """A small motor's whine sits at 250-450 Hz (rev/s x slots); its speed hunts a few per cent at 1-2 Hz, so
    the whine's pitch, tracked over 0.25 s frames, spreads 1-15 % (not a fixed tone, not a siren)."""
    x = _render("Whir", "tape or disc whirring", seed, seconds=6.0)
    f, pxx = signal.welch(x, SR, nperseg=SR // 2)
    sel = (f >= 150) & (f <= 600)
    f_line = f[sel][np.argmax(pxx[sel])]
    assert 240 <= f_line <= 470, f_line
    hop = SR // 4
    tracks = []
    for i in range(0, len(x) - SR // 2, hop):
        fr, pf = signal.periodogram(x[i:i + SR // 2] * np.hanning(SR // 2), SR, nfft=4 * SR)
        band = (fr > 0.85 * f_line) & (fr < 1.15 * f_line)
        tracks.append(fr[band][np.argmax(pf[band])])
    spread = (max(tracks) - min(tracks)) / np.median(tracks)
    assert 0.01 < spread < 0.15, spread
