"""A builtin timbre model on a graph at another rate than 48 kHz is the same model made for that rate, not the
48 kHz one resampled: same latency in samples as at 48 kHz, in tune at the graph's rate (issue 14: latency)."""

from __future__ import annotations

import numpy as np
import pytest

from server.live.graph import at_rate, load_timbre_model
from server.timbre import builtin
from server.timbre.builtin import BUILTIN_DIR, BUILTIN_SR
from server.timbre.model import NNModel
from server.timbre.transfer import transfer
from tests.helpers.analysis import cents, peak_hz

SR = 44100


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WAVE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _latency(path, sr: int, block: int = 256) -> int:
    st = load_timbre_model(path)
    try:
        st.prepare(sr, block, 2)
        return st.latency_samples
    finally:
        st.close()


def test_a_builtin_model_on_a_44k_graph_is_made_for_44k_and_answers_as_fast_as_at_48k(cache):
    shipped = BUILTIN_DIR / "keyboard.ts"
    path = at_rate(shipped, SR)
    assert path.parent == cache / "builtin" and path.is_file()
    assert NNModel.load(path).sr == SR
    at_48k = _latency(shipped, BUILTIN_SR)
    assert _latency(path, SR) == at_48k  # the same model, no resampler in the way
    assert _latency(shipped, SR) > 3 * at_48k  # what resampling the 48 kHz model cost (soxr each way)

    m = NNModel.load(path)
    m.set_attribute("note", 60.0)
    x = np.zeros((1, 2 * SR), np.float32)
    x[0, 500:596] = (np.exp(-np.arange(96) / SR / 0.0005) * 0.8).astype(np.float32)  # a 2 ms knock
    y = transfer(x, SR, m)[0]
    expect = 440 * 2 ** ((60 - 69) / 12)
    assert abs(cents(peak_hz(y[int(0.05 * SR) : int(1.05 * SR)].astype(np.float64), SR, expect * 2 ** (-1 / 12),
                                 expect * 2 ** (1 / 12), pad=8), expect)) <= 10


def test_the_model_made_for_a_rate_is_kept_and_reused(cache, monkeypatch):
    first = at_rate(BUILTIN_DIR / "bass.ts", SR)
    made = first.stat().st_mtime_ns

    def no_second_build(*a, **k):
        raise AssertionError("the cached model was made again")

    monkeypatch.setattr(builtin, "export_builtin", no_second_build)
    assert at_rate(BUILTIN_DIR / "bass.ts", SR) == first and first.stat().st_mtime_ns == made


def test_other_models_and_the_48k_graph_are_left_alone(cache, tmp_path):
    own = tmp_path / "models" / "keyboard.ts"  # a user's own model that happens to share a role's name
    own.parent.mkdir()
    own.write_bytes((BUILTIN_DIR / "keyboard.ts").read_bytes())
    assert at_rate(own, SR) == own
    assert at_rate(BUILTIN_DIR / "keyboard.ts", BUILTIN_SR) == BUILTIN_DIR / "keyboard.ts"
    assert not cache.exists()


def test_a_rate_or_role_it_cannot_make_is_one_clear_error_and_nothing_is_written(cache):
    from server.errors import ConfigError
    from server.timbre.builtin import builtin_path

    with pytest.raises(ConfigError, match="outside 8000-192000 Hz"):
        builtin_path("keyboard", 4000)
    with pytest.raises(ConfigError, match="unknown builtin role 'tuba'; choose one of"):
        builtin_path("tuba", SR)
    assert not cache.exists()
