"""AudioLDM2 / AudioLDM backends run through their real code with tiny random-weight pipelines.

The pipelines are built here from configs (the shapes of diffusers' own fast tests); tokenizers are
built in code (a byte-level BPE with no merges for RoBERTa, a unigram vocabulary for T5), so nothing is
downloaded. What is checked: candidates are generated, ranked by CLAP (scores descending, the same
scores an independent CLAP call gives), resampled to the scene rate and written with their manifest.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

from server.errors import ConfigError, MissingDependencyError  # noqa: E402
from server.scene import SceneSpec  # noqa: E402
from server.sounds.diffusion import DiffusionGenerator, Ranker, clap_scores  # noqa: E402
from server.sounds.generate import render_sounds  # noqa: E402


def _roberta_tokenizer():
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import RobertaTokenizer

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}
    for ch in sorted(ByteLevel.alphabet()):
        vocab.setdefault(ch, len(vocab))
    return RobertaTokenizer(vocab=vocab, merges=[], model_max_length=77)


def _t5_tokenizer():
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(f"▁{c}", -3.0) for c in "abcdefghijklmnopqrstuvwxyz"]
    pieces += [(c, -4.0) for c in "abcdefghijklmnopqrstuvwxyz,.:"]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=77)


def _vae_vocoder():
    from diffusers import AutoencoderKL
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=[32, 64], in_channels=1, out_channels=1,
                        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
                        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4)
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=8, sampling_rate=16000, upsample_initial_channel=16, upsample_rates=[8, 8],
        upsample_kernel_sizes=[16, 16], resblock_kernel_sizes=[3, 7], resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5]],
        normalize_before=False))
    return vae, vocoder


def _tiny_clap():
    from transformers import ClapAudioConfig, ClapConfig, ClapFeatureExtractor, ClapModel, ClapTextConfig

    torch.manual_seed(0)
    text = ClapTextConfig(bos_token_id=0, eos_token_id=2, hidden_size=16, intermediate_size=37, layer_norm_eps=1e-5,
                          num_attention_heads=2, num_hidden_layers=2, pad_token_id=1, vocab_size=1000,
                          projection_dim=16)
    audio = ClapAudioConfig(spec_size=64, window_size=4, num_mel_bins=64, intermediate_size=37, layer_norm_eps=1e-5,
                            depths=[2, 2], num_attention_heads=[2, 2], num_hidden_layers=2, hidden_size=192,
                            projection_dim=16, patch_size=2, patch_stride=2, patch_embed_input_channels=4)
    model = ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16))
    return model.eval(), ClapFeatureExtractor(hop_length=7900)


@pytest.fixture(scope="module")
def tiny_audioldm2():
    from diffusers import (
        AudioLDM2Pipeline,
        AudioLDM2ProjectionModel,
        AudioLDM2UNet2DConditionModel,
        DDIMScheduler,
    )
    from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5EncoderModel

    torch.manual_seed(0)
    unet = AudioLDM2UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=([None, 16, 32], [None, 16, 32]))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False)
    vae, vocoder = _vae_vocoder()
    clap, fe = _tiny_clap()
    torch.manual_seed(0)
    t5 = T5EncoderModel(T5Config(vocab_size=32100, d_model=32, d_ff=37, d_kv=8, num_heads=2, num_layers=2))
    torch.manual_seed(0)
    lm = GPT2LMHeadModel(GPT2Config(n_embd=16, n_head=2, n_layer=2, vocab_size=1000, n_ctx=99, n_positions=99,
                                     bos_token_id=0, eos_token_id=2))
    lm.config.max_new_tokens = 8
    torch.manual_seed(0)
    proj = AudioLDM2ProjectionModel(text_encoder_dim=16, text_encoder_1_dim=32, langauge_model_dim=16)
    for m in (unet, vae, vocoder, t5, lm, proj):
        m.eval()  # built from configs, so still in training mode (dropout)
    return AudioLDM2Pipeline(vae=vae, text_encoder=clap, text_encoder_2=t5, projection_model=proj, language_model=lm,
                             tokenizer=_roberta_tokenizer(), tokenizer_2=_t5_tokenizer(), feature_extractor=fe,
                             unet=unet, scheduler=scheduler, vocoder=vocoder)


@pytest.fixture(scope="module")
def tiny_audioldm():
    from diffusers import AudioLDMPipeline, DDIMScheduler, UNet2DConditionModel
    from transformers import ClapTextConfig, ClapTextModelWithProjection

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=(32, 64), class_embed_type="simple_projection", projection_class_embeddings_input_dim=32,
        class_embeddings_concat=True)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False)
    vae, vocoder = _vae_vocoder()
    torch.manual_seed(0)
    text = ClapTextModelWithProjection(ClapTextConfig(
        bos_token_id=0, eos_token_id=2, hidden_size=32, intermediate_size=37, layer_norm_eps=1e-5,
        num_attention_heads=4, num_hidden_layers=2, pad_token_id=1, vocab_size=1000, projection_dim=32))
    for m in (unet, vae, vocoder, text):
        m.eval()
    return AudioLDMPipeline(vae=vae, text_encoder=text, tokenizer=_roberta_tokenizer(), unet=unet,
                            scheduler=scheduler, vocoder=vocoder)


SCENE = {
    "scene_description": "A kitchen at night.",
    "mood_description": "calm",
    "sound_sources": [
        {"name": "glass", "material": "glass", "box": [0.0, 0.4, 0.2, 0.6],
         "variants": [{"play_method": "clink with a spoon", "timbre": ["bright"], "mapping_to_music_instrument": "keyboard"}]},
        {"name": "tap", "material": "metal",
         "variants": [{"play_method": "water dripping", "timbre": ["soft"], "mapping_to_music_instrument": "drums"}]},
    ],
}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models run faster on one thread on this shared machine; restore the setting afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.slow
def test_audioldm2_candidates_ranked_by_clap(tiny_audioldm2):
    gen = DiffusionGenerator("audioldm2", pipeline=tiny_audioldm2, steps=2, device="cpu")
    audio, sr, cands = gen.generate("a glass clink", "music", 0.1, candidates=3, seed=5)
    assert sr == 16000
    assert audio.ndim == 1 and abs(len(audio) / sr - 0.1) < 0.01
    scores = [c["clap_score"] for c in cands]
    assert len(scores) == 3 and all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)
    # an independent CLAP call on the returned best candidate gives the best score
    again = clap_scores(gen.ranker, "a glass clink", audio[None, :], sr)
    assert again[0] == pytest.approx(scores[0], abs=1e-4)
    # same seed -> same audio
    audio2, _, _ = gen.generate("a glass clink", "music", 0.1, candidates=3, seed=5)
    np.testing.assert_array_equal(audio, audio2)


@pytest.mark.slow
def test_audioldm2_fast_scheduler_and_render(tiny_audioldm2, tmp_path):
    gen = DiffusionGenerator("audioldm2", pipeline=tiny_audioldm2, scheduler="dpm", steps=2, device="cpu")
    assert type(gen.pipe.scheduler).__name__ == "DPMSolverMultistepScheduler"
    spec = SceneSpec.from_data(SCENE)
    out = tmp_path / "snd"
    manifest = render_sounds(spec, out, backend="audioldm2", generator=gen, candidates=2, seconds=0.1, seed=1,
                             sample_rate=48000)
    assert (out / "scene.wav").is_file() and (out / "sources" / "01_glass.wav").is_file()
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["backend"] == "audioldm2" and on_disk["model"]["scheduler"] == "dpm"
    src = on_disk["sources"][0]
    assert "not music" in src["prompt"] and "clink with a spoon" in src["prompt"] and "calm" in src["prompt"]
    assert "music" in src["negative_prompt"] and "low quality" in src["negative_prompt"]
    assert len(src["candidates"]) == 2 and src["model_sample_rate"] == 16000
    import soundfile as sf

    info = sf.info(str(out / "sources" / "01_glass.wav"))
    assert info.samplerate == 48000 and info.channels == 1 and abs(info.frames - 0.1 * 48000) <= 48 * 2
    assert manifest["sources"][1]["seconds_taken"] > 0


def test_audioldm_seed_settings_and_external_ranker(tiny_audioldm):
    gen = DiffusionGenerator("audioldm", pipeline=tiny_audioldm, steps=2, device="cpu")
    assert gen.guidance == 2.5 and gen.defaults.candidates == 3 and gen.defaults.steps == 200
    assert type(gen.pipe.scheduler).__name__ == "DDIMScheduler"
    clap, fe = _tiny_clap()
    gen.ranker = Ranker(clap, _roberta_tokenizer(), fe)
    audio, sr, cands = gen.generate("rain on a roof", None, 0.1, seed=3)  # default: 3 candidates
    assert len(cands) == 3 and sr == 16000 and np.isfinite(audio).all()
    scores = [c["clap_score"] for c in cands]
    assert scores == sorted(scores, reverse=True)
    assert sorted(c["generated_index"] for c in cands) == [0, 1, 2]


def test_audioldm_without_ranker_keeps_order(tiny_audioldm):
    gen = DiffusionGenerator("audioldm", pipeline=tiny_audioldm, steps=1, device="cpu", ranker=False)
    gen._ranker_arg = False
    _, _, cands = gen.generate("wind", None, 0.1, candidates=2, seed=0)
    assert [c["generated_index"] for c in cands] == [0, 1] and all(c["clap_score"] is None for c in cands)


@pytest.mark.parametrize("kwargs", [{"backend": "audioldm3"}, {"scheduler": "euler"}, {"steps": 0},
                                    {"guidance": -1.0}])
def test_bad_options_refused(kwargs):
    with pytest.raises(ConfigError):
        DiffusionGenerator(**kwargs)


def test_audioldm_loads_a_saved_pipeline_folder_with_from_pretrained(tiny_audioldm, tmp_path):
    """The loading path real users take (``from_pretrained(model_id)``), on a local folder."""
    tiny_audioldm.save_pretrained(tmp_path / "audioldm")
    gen = DiffusionGenerator("audioldm", model_id=str(tmp_path / "audioldm"), steps=1, device="cpu", ranker=False)
    assert gen.pipe is None
    pipe = gen.load()
    assert type(pipe).__name__ == "AudioLDMPipeline" and pipe.unet.dtype == torch.float32
    audio, sr, cands = gen.generate("wind", None, 0.1, candidates=1, seed=0)
    ref, _, _ = DiffusionGenerator("audioldm", pipeline=tiny_audioldm, steps=1, device="cpu",
                                   ranker=False).generate("wind", None, 0.1, candidates=1, seed=0)
    assert sr == 16000 and np.isfinite(audio).all() and len(cands) == 1
    np.testing.assert_allclose(audio, ref, atol=1e-5)  # the saved weights are the fixture's weights


def test_missing_model_folder_says_how_to_get_it(tmp_path):
    gen = DiffusionGenerator("audioldm2", model_id=str(tmp_path / "nowhere"), device="cpu")
    with pytest.raises(MissingDependencyError, match="huggingface-cli download|--backend builtin"):
        gen.load()
