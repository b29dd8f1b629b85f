"""Loading nn~ models: clear errors for bad files; the `wave timbre` command end to end."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from server.cli import main as wave_main
from server.errors import InputError
from server.timbre.model import NNModel


def _nn_module(methods: dict[str, tuple[int, int, int, int]], sr: int | None = 48000):
    import nn_tilde

    class M(nn_tilde.Module):
        def __init__(self) -> None:
            super().__init__(sr=sr)
            for name, (ic, ir, oc, orr) in methods.items():
                self.register_method(name, ic, ir, oc, orr, test_method=False)

        @torch.jit.export
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

        @torch.jit.export
        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return x

    return M()


def _save(module, path) -> str:
    torch.jit.script(module).save(str(path))
    return str(path)


def test_random_bytes_refused(tmp_path):
    p = tmp_path / "junk.ts"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="not a TorchScript file"):
        NNModel.load(p)


def test_missing_file_refused(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        NNModel.load(tmp_path / "nope.ts")


def test_plain_torchscript_without_nn_contract(tmp_path):
    class Plain(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * 2

    p = _save(Plain(), tmp_path / "plain.ts")
    with pytest.raises(InputError, match="get_methods"):
        NNModel.load(p)


def test_methods_missing(tmp_path):
    p = _save(_nn_module({"encode": (1, 1, 8, 512)}), tmp_path / "enc_only.ts")
    with pytest.raises(InputError, match="needs 'forward' or both 'encode' and 'decode'"):
        NNModel.load(p)


def test_wrong_channels(tmp_path):
    p = _save(_nn_module({"forward": (4, 1, 4, 1)}), tmp_path / "quad.ts")
    with pytest.raises(InputError, match="takes 4 input channels"):
        NNModel.load(p)


def test_good_minimal_model_contract(tmp_path):
    p = _save(_nn_module({"forward": (1, 1, 2, 1)}, sr=44100), tmp_path / "ok.ts")
    m = NNModel.load(p)
    assert m.sr == 44100 and m.methods["forward"].out_channels == 2 and not m.has_latent


def test_cli_timbre_builtin_and_bad_model(tmp_path, capsys):
    sr = 44100  # not the builtin's 48 kHz: the command resamples both ways
    x = np.zeros(sr, np.float32)
    x[200:2400] = np.random.default_rng(1).standard_normal(2200) * 0.3
    src = tmp_path / "in.wav"
    sf.write(src, x, sr)
    out = tmp_path / "out.wav"
    assert wave_main(["timbre", str(src), "-m", "builtin:bass", "--note", "45", "-o", str(out)]) == 0
    y, ysr = sf.read(out)
    assert ysr == sr and len(y) == len(x)
    seg = y[int(0.05 * sr) : int(0.95 * sr)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    freqs = np.fft.rfftfreq(8 * len(seg), 1 / sr)
    band = (freqs > 100) & (freqs < 120)
    f = freqs[band][np.argmax(spec[band])]
    assert abs(1200 * np.log2(f / 110.0)) < 10
    bad = tmp_path / "bad.ts"
    bad.write_bytes(b"not a model")
    assert wave_main(["timbre", str(src), "-m", str(bad), "-o", str(tmp_path / "x.wav")]) == 1
    assert "not a TorchScript file" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()


def test_rave_dataset_renders_the_roles_notes(tmp_path):
    """`wave rave dataset`: one WAV per note x velocity from the GM soundfont, pitched as named (cents)."""
    from server.timbre.rave import render_dataset

    paths = render_dataset("bass", tmp_path, step=12, velocities=(100,), seconds=1.0)
    assert [p.name for p in paths] == ["bass_028_100.wav", "bass_040_100.wav", "bass_052_100.wav"]
    y, sr = sf.read(paths[1])
    assert sr == 44100 and 20 * np.log10(np.abs(y).max()) > -30
    seg = y[int(0.05 * sr) : int(0.7 * sr)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 16 * len(seg)))
    freqs = np.fft.rfftfreq(16 * len(seg), 1 / sr)
    band = (freqs > 60) & (freqs < 400)
    peaks = freqs[band][np.argsort(spec[band])[-3:]]
    # some partial of E2 (82.41 Hz) dominates: the strongest peak is a harmonic within 30 cents
    k = np.round(peaks[-1] / 82.4069)
    assert k >= 1 and abs(1200 * np.log2(peaks[-1] / (k * 82.4069))) < 30
