"""`wave make` with a model sounds backend: the model options (checkpoints, mapper, device) are part of the
sounds stage's cache key, and the stage hands them and the photo to the sounds backend explicitly.

The model itself is replaced by a tone generator whose pitch is a function of the checkpoint it was asked
for: what is tested is which checkpoint the cached or re-rendered sounds came from (measured as pitch), not a
diffusion model (that is tests/test_sounds_diffusion.py and tests/test_models_v2a.py)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from server.audio.io import read_audio
from server.make import MakeSettings, make, pipeline
from server.make.cli import BUNDLED_PHOTO
from server.models.options import ModelOptions
from tests.helpers.models import RUN_ENV as ENV


def _pitch_of(model_id: str) -> float:
    """The tone a checkpoint 'sounds like': 200-800 Hz from a hash of its id (distinct ids, distinct tones)."""
    return 200.0 + int(hashlib.sha256(model_id.encode()).hexdigest()[:6], 16) % 600


class ToneGenerator:
    """What the sounds stage needs of a model generator, rendering a sine at the checkpoint's pitch."""

    backend = "audioldm"
    steps, guidance, scheduler = 1, 1.0, "ddim"
    sample_rate = 16000

    def __init__(self, models: ModelOptions) -> None:
        self.model_id = models.sound_model or "cvssp/audioldm-s-full-v2"
        self.info = {"device": models.device}

    def generate(self, prompt, negative_prompt, seconds, *, candidates=None, seed=0, rank_prompt=None):
        t = np.arange(int(seconds * self.sample_rate)) / self.sample_rate
        y = 0.5 * np.sin(2 * np.pi * _pitch_of(self.model_id) * t)
        return y.astype(np.float32), self.sample_rate, [{"rank": 0, "clap_score": None}]


@pytest.fixture
def calls(monkeypatch):
    """Every generator the sounds stage builds: (kind, the ModelOptions it was given, the image)."""
    from server.sounds import generate

    for var in ENV:
        monkeypatch.setenv(var, "")  # recorded, so what a test exports is undone after it
        monkeypatch.delenv(var)
    seen: list[tuple] = []

    def build(kind, models=None, *, cache=None, progress=False, image=None, **kw):
        models = generate.check_model_backend(kind, models, image)
        seen.append((kind, models, image))
        return ToneGenerator(models)

    monkeypatch.setattr(generate, "build_generator", build)
    return seen


def _measured_pitch(path) -> float:
    y, sr = read_audio(path)
    y = y.reshape(-1) if y.ndim == 1 else y[0]
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.argmax(spec) * sr / len(y))


def _first_source(out):
    import json

    manifest = json.loads((out / "sounds.json").read_text())
    return out / manifest["sources"][0]["file"], manifest


def _cents(a: float, b: float) -> float:
    return abs(1200 * np.log2(a / b))


def test_a_changed_sound_model_renders_the_sounds_again(calls, tmp_path, monkeypatch):
    """As `wave make --sound-model A`, then `--sound-model B` without --force: the second run must not reuse
    A's sounds. Both ways of giving the checkpoint: the settings' models (the flags) and the environment
    (what `wave serve` and `wave batch` pass their make runs)."""
    out = tmp_path / "o"
    a, b = str(tmp_path / "ldm_a"), str(tmp_path / "ldm_b")
    st = MakeSettings(sounds_backend="audioldm", seconds=1.0, models={"sound_model": a, "device": "cpu"})
    res = make(BUNDLED_PHOTO, out, st, progress=None, stop_after="sounds")
    assert res.stages["sounds"].status == "done"
    wav, manifest = _first_source(out)
    assert _cents(_measured_pitch(wav), _pitch_of(a)) < 10
    assert manifest["sources"][0]["model_id"] == a
    # the stage handed the backend the photo and the options, not a guess from a label
    kind, models, image = calls[-1]
    assert (kind, models.sound_model, models.device) == ("audioldm", a, "cpu")
    assert str(image) == str(BUNDLED_PHOTO)

    again = make(BUNDLED_PHOTO, out, st, progress=None, stop_after="sounds")  # same options: reused
    assert again.stages["sounds"].status == "cached" and again.stages["scene"].status == "cached"

    st_b = MakeSettings(sounds_backend="audioldm", seconds=1.0, models={"sound_model": b, "device": "cpu"})
    res_b = make(BUNDLED_PHOTO, out, st_b, progress=None, stop_after="sounds")
    assert res_b.stages["scene"].status == "cached"  # the scene does not depend on the sound model
    assert res_b.stages["sounds"].status == "done"
    wav, _ = _first_source(out)
    assert _cents(_measured_pitch(wav), _pitch_of(b)) < 10

    # the same checkpoint change through the environment (no models in the settings)
    monkeypatch.setenv("WAVE_SOUND_MODEL", a)
    st_env = MakeSettings(sounds_backend="audioldm", seconds=1.0)
    assert make(BUNDLED_PHOTO, out, st_env, progress=None, stop_after="sounds").stages["sounds"].status == "done"
    assert _cents(_measured_pitch(_first_source(out)[0]), _pitch_of(a)) < 10
    monkeypatch.setenv("WAVE_SOUND_MODEL", b)
    assert make(BUNDLED_PHOTO, out, st_env, progress=None, stop_after="sounds").stages["sounds"].status == "done"
    assert _cents(_measured_pitch(_first_source(out)[0]), _pitch_of(b)) < 10


def test_the_model_options_in_the_sounds_key(tmp_path, monkeypatch):
    """Which options change which stage's key: a model backend's checkpoints, mapper (its path and its
    contents: a retrained mapper) and device; none of them for the builtin (offline) backends."""
    for var in ENV:
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    sounds_key = pipeline._ADAPTERS["sounds"][1]
    scene_key = pipeline._ADAPTERS["scene"][1]
    mapper = tmp_path / "m.pt"
    mapper.write_bytes(b"mapper one")

    def v2a(**models):
        return MakeSettings(sounds_backend="v2a", models={"v2a_mapper": str(mapper), **models})

    base = sounds_key(v2a(), "set")
    assert sounds_key(v2a(), "set") == base
    for change in ({"sound_model": "x/ldm"}, {"clap_model": "x/clap"}, {"clip_model": "x/clip"},
                   {"device": "cpu"}, {"v2a_mapper": str(tmp_path / "other.pt")}):
        assert sounds_key(v2a(**change), "set") != base, change
    mapper.write_bytes(b"mapper two, retrained")
    assert sounds_key(v2a(), "set") != base  # same path, new weights

    builtin = MakeSettings()
    assert sounds_key(builtin, "set") == sounds_key(
        MakeSettings(models={"sound_model": "x/ldm", "device": "cpu"}), "set")
    assert scene_key(builtin, "set") == scene_key(MakeSettings(models={"device": "cpu"}), "set")
    vlm = MakeSettings(scene_backend="qwen2.5-vl")
    assert scene_key(vlm, "set") != scene_key(MakeSettings(scene_backend="qwen2.5-vl", models={"device": "cpu"}),
                                              "set")
    monkeypatch.setenv("WAVE_DEVICE", "cpu")  # the environment's device counts as the flag's
    assert scene_key(vlm, "set") == scene_key(MakeSettings(scene_backend="qwen2.5-vl", models={"device": "cpu"}),
                                              "set")


def test_make_command_line_puts_the_options_in_the_settings(tmp_path, monkeypatch, capsys):
    """`wave make --device cpu --sound-model X` records them in MakeSettings.models (make.json, cache keys);
    with no backend flag, the backends come from WAVE_SCENE_BACKEND / WAVE_SOUND_BACKEND (what `wave serve
    --scene-backend/--sound-backend` gives its jobs), checked with one line naming the variable."""
    from server.cli import main

    for var in ENV:
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    seen = []

    class Stop(Exception):
        pass

    def fake_make(image, out, st, **kw):
        seen.append(st)
        raise Stop

    monkeypatch.setattr(pipeline, "make", fake_make)
    lib = tmp_path / "lib"
    lib.mkdir()
    monkeypatch.setenv("WAVE_SCENE_BACKEND", "blip")
    monkeypatch.setenv("WAVE_SOUND_BACKEND", f"library:{lib}")
    with pytest.raises(Stop):
        main(["make", "--device", "cpu", "--sound-model", "some/ldm", "-o", str(tmp_path / "o")])
    st = seen[-1]
    assert (st.scene_backend, st.sounds_backend) == ("blip", f"library:{lib}")
    assert st.models["device"] == "cpu" and st.models["sound_model"] == "some/ldm"
    with pytest.raises(Stop):  # the command line wins over the environment
        main(["make", "--scene-backend", "builtin", "--backends", "sounds=builtin", "-o", str(tmp_path / "o")])
    assert (seen[-1].scene_backend, seen[-1].sounds_backend) == ("builtin", "builtin")
    monkeypatch.setenv("WAVE_SOUND_BACKEND", "audioldm3")
    assert main(["make", "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown sounds backend 'audioldm3'" in err
    assert "WAVE_SOUND_BACKEND='audioldm3'" in err
