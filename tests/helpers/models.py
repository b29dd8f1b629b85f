"""What the model-backend tests share: the ``WAVE_*`` variables a run exports (from the options table, so a new
option is covered), a fixture that starts each test without them and with a fresh model cache, and the
published-layout AudioLDM and CLAP fixtures where diffusers is installed."""

from __future__ import annotations

import pytest

from server.models import cache as cache_mod
from server.models.cache import ModelCache
from server.models.options import BACKEND_ENV, OPTIONS

MODEL_ENV = tuple(spec.env for spec in OPTIONS)  # WAVE_DEVICE, WAVE_SOUND_MODEL ... WAVE_V2A_MAPPER
RUN_ENV = MODEL_ENV + tuple(BACKEND_ENV.values())  # and the default backends (WAVE_SCENE_BACKEND ...)


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    """No model option in the environment, and a fresh default model cache (returned)."""
    for var in MODEL_ENV:
        monkeypatch.setenv(var, "")  # recorded, so what a test exports is undone after it
        monkeypatch.delenv(var)
    cache = ModelCache(budget="4G")
    monkeypatch.setattr(cache_mod, "_DEFAULT", cache)
    return cache


try:  # folders laid out like the published AudioLDM and CLAP checkpoints (random weights)
    from test_sounds_diffusion import published_audioldm, published_clap
except (ImportError, pytest.skip.Exception):  # no diffusers: only the tests that need them are skipped
    @pytest.fixture
    def published_audioldm():
        pytest.skip("needs diffusers and transformers")

    published_clap = published_audioldm

__all__ = ["MODEL_ENV", "RUN_ENV", "_clean", "published_audioldm", "published_clap"]
