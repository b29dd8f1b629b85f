"""V2A-Mapper: the mapper learns a known map between embedding spaces; a mapper file round-trips and is refused
when it does not fit; a picture drives AudioLDM through CLIP -> mapper -> CLAP space with no text step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from server.errors import ConfigError, InputError  # noqa: E402
from server.sounds import v2a  # noqa: E402
from tests.helpers.threads import one_torch_thread as _one_torch_thread  # noqa: E402,F401 (autouse fixture)


def _pairs(n: int, clip_dim: int = 24, clap_dim: int = 16, seed: int = 0):
    """Synthetic paired embeddings: the 'audio' embedding is a fixed nonlinear function of the 'image' one."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, clip_dim)).astype(np.float32)
    w1 = rng.standard_normal((clip_dim, 32)).astype(np.float32) / np.sqrt(clip_dim)
    w2 = rng.standard_normal((32, clap_dim)).astype(np.float32) / np.sqrt(32)
    y = np.tanh(x @ w1) @ w2
    return x, y / np.linalg.norm(y, axis=1, keepdims=True)


def test_mapper_learns_a_held_out_map():
    x, y = _pairs(300)
    res = v2a.train_mapper(x, y, hidden=64, layers=2, epochs=40, lr=3e-3, batch=32, val_fraction=0.2, seed=1)
    assert res.baseline_cosine < 0.3  # an untrained mapper points anywhere
    assert res.val_cosine > 0.9, res.val_cosine  # on pairs it never saw
    assert res.train_loss[-1] < 0.2 * res.train_loss[0]


def test_mapper_file_round_trip_and_contract(tmp_path):
    x, y = _pairs(64)
    res = v2a.train_mapper(x, y, hidden=32, layers=1, epochs=3, seed=0)
    path = tmp_path / "mapper.pt"
    v2a.save_mapper(res.mapper, path, clip="openai/clip-vit-base-patch32", clap="laion/clap-htsat-unfused")
    again, meta = v2a.load_mapper(path, clip_dim=24, clap_dim=16)
    with torch.no_grad():
        np.testing.assert_allclose(again(torch.from_numpy(x)).numpy(), res.mapper(torch.from_numpy(x)).numpy(),
                                   atol=1e-6)
    assert meta["clip"] == "openai/clip-vit-base-patch32" and meta["config"]["layers"] == 1
    with pytest.raises(ConfigError, match="maps 24-d CLIP to 16-d CLAP.*clip_dim 512"):
        v2a.load_mapper(path, clip_dim=512)
    (tmp_path / "junk.pt").write_bytes(b"not a mapper")
    with pytest.raises(InputError, match="not a V2A mapper file"):
        v2a.load_mapper(tmp_path / "junk.pt")
    with pytest.raises(InputError, match="at least 4"):
        v2a.train_mapper(x[:2], y[:2])
    with pytest.raises(InputError, match="one row per pair"):
        v2a.train_mapper(x, y[:10])


def _tiny_clip():
    """CLIP laid out like openai/clip-vit-base-patch32 (224-pixel images, 32-pixel patches), widths shrunk."""
    import json

    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    real = json.loads((Path(__file__).parent / "data/model_configs/clip/config.json").read_text())
    rv = real["vision_config"]
    torch.manual_seed(0)
    cfg = CLIPConfig(text_config=dict(vocab_size=100, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                      num_attention_heads=2,
                                      max_position_embeddings=real["text_config"]["max_position_embeddings"]),
                     vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                        num_attention_heads=2, image_size=rv["image_size"], patch_size=rv["patch_size"]),
                     projection_dim=24)
    proc = CLIPImageProcessor(size=real["processor"]["size"], crop_size=real["processor"]["crop_size"])
    return v2a.ImageEncoder(CLIPModel(cfg).eval(), proc)


@pytest.fixture(scope="module")
def tiny_v2a():
    from diffusers import AudioLDMPipeline, DDIMScheduler, UNet2DConditionModel
    from test_sounds_diffusion import _faithful_clap, _roberta_tokenizer, _vae_vocoder
    from transformers import ClapFeatureExtractor, ClapTextConfig, ClapTextModelWithProjection

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=(32, 64), class_embed_type="simple_projection", projection_class_embeddings_input_dim=16,
        class_embeddings_concat=True)
    vae, vocoder = _vae_vocoder()
    text = ClapTextModelWithProjection(ClapTextConfig(
        bos_token_id=0, eos_token_id=2, hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=2, pad_token_id=1, vocab_size=1000, projection_dim=16, layer_norm_eps=1e-5))
    for m in (unet, vae, vocoder, text):
        m.eval()
    pipe = AudioLDMPipeline(vae=vae, text_encoder=text, tokenizer=_roberta_tokenizer(), unet=unet,
                            scheduler=DDIMScheduler(), vocoder=vocoder)
    pipe.set_progress_bar_config(disable=True)
    import json
    from pathlib import Path

    real = json.loads((Path(__file__).parent / "data/model_configs/clap/components.json").read_text())
    audio = v2a.AudioEncoder(_faithful_clap(real), ClapFeatureExtractor(truncation="rand_trunc"))
    image = _tiny_clip()
    x, y = _pairs(64, clip_dim=24, clap_dim=16)
    mapper = v2a.train_mapper(x, y, hidden=32, layers=1, epochs=2, seed=0).mapper
    return v2a.V2AGenerator(image, mapper, pipe, audio, steps=2)


def _crop(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (60, 80, 3), dtype=np.uint8)


def test_a_picture_conditions_audioldm_through_the_mapper(tiny_v2a):
    gen = tiny_v2a
    audio, sr, cands = gen.generate(_crop(1), 0.2, candidates=3, seed=4)
    assert sr == 16000 and abs(len(audio) / sr - 0.2) < 0.011 and np.isfinite(audio).all()
    cos = [c["clap_cosine"] for c in cands]
    assert None not in cos and cos == sorted(cos, reverse=True) and all(-1 <= c <= 1 for c in cos)
    # the mapped embedding is exactly what reaches AudioLDM: the same call with it as prompt_embeds
    cond = gen.condition(_crop(1))
    assert abs(np.linalg.norm(cond) - 1) < 1e-5
    g = torch.Generator().manual_seed(4)
    with torch.inference_mode():
        ref = gen.pipe(prompt_embeds=torch.from_numpy(cond)[None], audio_length_in_s=0.2, num_inference_steps=2,
                       guidance_scale=gen.guidance, num_waveforms_per_prompt=3, generator=g).audios
    np.testing.assert_array_equal(audio, np.asarray(ref, np.float32)[cands[0]["generated_index"]])
    # a different picture is a different condition
    other = gen.condition(_crop(2))
    assert float(other @ cond) < 0.9999


def test_mismatched_parts_are_refused(tiny_v2a):
    gen = tiny_v2a
    wrong = v2a.build_mapper(24, 8, hidden=8, layers=0)
    with pytest.raises(ConfigError, match="8-d CLAP embeddings; this AudioLDM is conditioned on 16-d"):
        v2a.V2AGenerator(gen.image, wrong, gen.pipe)
    with pytest.raises(ConfigError, match="takes 10-d CLIP"):
        v2a.V2AGenerator(gen.image, v2a.build_mapper(10, 16, hidden=8, layers=0), gen.pipe)


def test_train_command_on_a_folder_of_pairs(tmp_path, capsys):
    """`wave v2a train DIR -o mapper.pt` with CLIP and CLAP loaded from folders by from_pretrained, on pairs made
    here (coloured pictures, tones); the mapper file fits the encoders it was trained between."""
    import json

    import soundfile as sf
    from PIL import Image
    from test_sounds_diffusion import _faithful_clap, _roberta_tokenizer
    from transformers import ClapFeatureExtractor, ClapProcessor

    from server.cli import main

    clip = _tiny_clip()
    clip.model.save_pretrained(tmp_path / "clip")
    clip.processor.save_pretrained(tmp_path / "clip")
    real = json.loads((Path(__file__).parent / "data/model_configs/clap/components.json").read_text())
    _faithful_clap(real).save_pretrained(tmp_path / "clap")
    ClapProcessor(feature_extractor=ClapFeatureExtractor(truncation="rand_trunc"),
                  tokenizer=_roberta_tokenizer()).save_pretrained(tmp_path / "clap")
    pairs = tmp_path / "pairs"
    (pairs / "sub").mkdir(parents=True)
    for i in range(8):
        folder = pairs / "sub" if i % 2 else pairs
        Image.new("RGB", (64, 48), (30 * i, 255 - 30 * i, 90)).save(folder / f"thing{i}.png")
        t = np.arange(16000) / 16000
        sf.write(folder / f"thing{i}.wav", 0.3 * np.sin(2 * np.pi * (220 * (i + 1)) * t), 16000)
    (pairs / "lonely.png").write_bytes((pairs / "thing0.png").read_bytes())  # no sound: not a pair
    out = tmp_path / "mapper.pt"
    rc = main(["v2a", "train", str(pairs), "-o", str(out), "--clip", str(tmp_path / "clip"), "--clap",
               str(tmp_path / "clap"), "--epochs", "3", "--hidden", "32", "--layers", "1", "--val-fraction", "0.25",
               "--seconds", "1"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["pairs"] == 8 and -1 <= report["val_cosine"] <= 1
    mapper, meta = v2a.load_mapper(out, clip_dim=24, clap_dim=16)
    assert meta["clip"] == str(tmp_path / "clip") and meta["clap"] == str(tmp_path / "clap")
    assert main(["v2a", "train", str(tmp_path / "clip"), "-o", str(tmp_path / "m2.pt")]) == 1  # no pairs there
    assert "at least 4" in capsys.readouterr().err


def test_each_source_is_heard_from_its_own_crop(tiny_v2a):
    """One picture, several sources: a source with a box is conditioned on that part of the picture (with
    context), one without a box (ambience) on the whole picture."""
    from server.scene import SceneSpec
    from server.scene.detect import crop_box

    rgb = np.zeros((120, 160, 3), np.uint8)
    rgb[:, :80] = (200, 30, 30)  # left half red, right half blue
    rgb[:, 80:] = (30, 30, 200)
    spec = SceneSpec.from_data({"scene_description": "", "mood_description": "", "sound_sources": [
        {"name": "bell", "material": "brass", "box": [0.05, 0.1, 0.3, 0.5],
         "variants": [{"play_method": "struck", "timbre": [], "mapping_to_music_instrument": "keyboard"}]},
        {"name": "wind", "material": "air", "ambience": True,
         "variants": [{"play_method": "blowing", "timbre": [], "mapping_to_music_instrument": None}]}]})
    src = v2a.V2ASources(tiny_v2a, rgb)
    bell, wind = spec.sound_sources
    np.testing.assert_array_equal(src.crop(bell), crop_box(rgb, tuple(bell.box)))
    assert (src.crop(bell)[..., 0] == 200).all()  # only the red half
    assert src.crop(wind).shape == rgb.shape
    a, sr, cands = src.generate("ignored", None, 0.1, candidates=2, seed=1, source=bell)
    ref, _, _ = tiny_v2a.generate(crop_box(rgb, tuple(bell.box)), 0.1, candidates=2, seed=1)
    np.testing.assert_array_equal(a, ref)
    assert len(cands) == 2 and sr == 16000
    with pytest.raises(InputError, match="RGB array"):
        v2a.V2ASources(tiny_v2a, np.zeros((10, 10)))
