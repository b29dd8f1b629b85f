"""AudioLDM2 / AudioLDM backends run through their real code with tiny random-weight pipelines.

The pipelines are built here from configs (the shapes of diffusers' own fast tests); tokenizers are
built in code (a byte-level BPE with no merges for RoBERTa, a unigram vocabulary for T5), so nothing is
downloaded. What is checked: candidates are generated, ranked by CLAP (scores descending, the same
scores an independent CLAP call gives), resampled to the scene rate and written with their manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

from server.errors import ConfigError, MissingDependencyError  # noqa: E402
from server.models.cache import ModelCache  # noqa: E402
from server.scene import SceneSpec  # noqa: E402
from server.sounds.diffusion import (  # noqa: E402
    DiffusionGenerator,
    Ranker,
    clap_scores,
    language_model_generate,
    source_core_prompt,
)
from server.sounds.generate import render_sounds  # noqa: E402
from tests.helpers.threads import one_torch_thread as _one_torch_thread  # noqa: E402,F401 (autouse fixture)

CONFIGS = Path(__file__).parent / "data" / "model_configs"


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


@pytest.fixture(scope="module")
def published_audioldm2(tmp_path_factory):
    """A folder laid out like the published ``cvssp/audioldm2`` checkpoint: the same component classes
    (``GPT2Model`` language model, full ``ClapModel``, fast tokenizers; tests/data/model_configs/audioldm2/
    model_index.json) and the same structure (8 latent channels, 64 mel bins, the vocoder's 5-4-2-2-2
    upsampling to 16 kHz, DDIM with the checkpoint's betas, ``max_new_tokens`` = 8), widths shrunk."""
    from diffusers import (
        AudioLDM2Pipeline,
        AudioLDM2ProjectionModel,
        AudioLDM2UNet2DConditionModel,
        AutoencoderKL,
        DDIMScheduler,
    )
    from transformers import (
        GPT2Config,
        GPT2Model,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        T5Config,
        T5EncoderModel,
    )

    real = json.loads((CONFIGS / "audioldm2" / "components.json").read_text())
    torch.manual_seed(0)
    unet = AudioLDM2UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=16,
        in_channels=real["unet"]["in_channels"], out_channels=real["unet"]["out_channels"],
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=([None, 16, 32], [None, 16, 32]))
    sch = {k: v for k, v in real["scheduler"].items() if k != "class"}
    scheduler = DDIMScheduler(**sch)
    vae = AutoencoderKL(block_out_channels=[16, 32], in_channels=1, out_channels=1,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                        latent_channels=real["vae"]["latent_channels"], norm_num_groups=8)
    voc = real["vocoder"]
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=voc["model_in_dim"], sampling_rate=voc["sampling_rate"], upsample_initial_channel=32,
        upsample_rates=voc["upsample_rates"], upsample_kernel_sizes=voc["upsample_kernel_sizes"],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3, 5]], normalize_before=False))
    clap, fe = _tiny_clap()
    torch.manual_seed(0)
    t5 = T5EncoderModel(T5Config(vocab_size=32100, d_model=32, d_ff=37, d_kv=8, num_heads=2, num_layers=2))
    torch.manual_seed(0)
    npos = real["language_model"]["n_positions"]  # room for T5's 128 tokens + CLAP's + the 8 generated
    lm = GPT2Model(GPT2Config(n_embd=16, n_head=2, n_layer=2, vocab_size=1000, n_ctx=npos, n_positions=npos,
                              bos_token_id=0, eos_token_id=2))
    lm.config.max_new_tokens = real["language_model"]["max_new_tokens"]
    torch.manual_seed(0)
    proj = AudioLDM2ProjectionModel(text_encoder_dim=16, text_encoder_1_dim=32, langauge_model_dim=16)
    t5tok = _t5_tokenizer()
    t5tok.model_max_length = real["tokenizer_2"]["model_max_length"]
    pipe = AudioLDM2Pipeline(vae=vae, text_encoder=clap, text_encoder_2=t5, projection_model=proj, language_model=lm,
                             tokenizer=_roberta_tokenizer(), tokenizer_2=t5tok, feature_extractor=fe,
                             unet=unet, scheduler=scheduler, vocoder=vocoder)
    folder = tmp_path_factory.mktemp("cvssp_audioldm2")
    pipe.save_pretrained(folder)
    # the published model index, as is: the class names diffusers resolves when a user loads the hub id
    published = json.loads((CONFIGS / "audioldm2" / "model_index.json").read_text())
    saved = json.loads((folder / "model_index.json").read_text())
    assert set(published) - {"_diffusers_version"} == set(saved) - {"_diffusers_version"}
    (folder / "model_index.json").write_text(json.dumps(published, indent=2))
    return folder


def test_published_audioldm2_layout_matches_the_checkpoint(published_audioldm2):
    real = json.loads((CONFIGS / "audioldm2" / "components.json").read_text())
    lm = json.loads((published_audioldm2 / "language_model" / "config.json").read_text())
    assert lm["architectures"] == ["GPT2Model"] and lm["max_new_tokens"] == 8
    gpt2_keys = {"n_embd", "n_layer", "n_head", "n_positions", "vocab_size"}
    assert gpt2_keys <= set(lm) and gpt2_keys <= set(real["language_model"])
    unet = json.loads((published_audioldm2 / "unet" / "config.json").read_text())
    assert unet["_class_name"] == real["unet"]["class"] and unet["in_channels"] == 8
    voc = json.loads((published_audioldm2 / "vocoder" / "config.json").read_text())
    assert voc["upsample_rates"] == real["vocoder"]["upsample_rates"] and voc["sampling_rate"] == 16000


@pytest.mark.slow
def test_audioldm2_as_published_loads_and_generates(published_audioldm2):
    """The checkpoint's GPT2Model language model has no generation methods (diffusers #12630): WAVE's own
    language-model loop must carry it, through the same from_pretrained path a user's hub id takes."""
    cache = ModelCache(budget="4G")
    gen = DiffusionGenerator("audioldm2", model_id=str(published_audioldm2), steps=2, device="cpu", cache=cache)
    pipe = gen.load()
    assert len(cache) == 1 and gen.load() is pipe
    assert type(pipe.language_model).__name__ == "GPT2Model"
    assert not hasattr(pipe.language_model, "_update_model_kwargs_for_generation")
    assert type(pipe.scheduler).__name__ == "DDIMScheduler" and pipe.scheduler.config.beta_end == 0.0195
    audio, sr, cands = gen.generate("a glass clink", "music", 0.2, candidates=2, seed=1,
                                    rank_prompt="The sound of a glass, clinked.")
    assert sr == 16000 and abs(len(audio) / sr - 0.2) < 0.011 and np.isfinite(audio).all()
    assert np.abs(audio).max() > 0
    assert len(cands) == 2 and all(c["clap_score"] is not None for c in cands)


def test_language_model_loop_matches_diffusers_own_loop(tiny_audioldm2):
    """Independent peer: with a GPT2LMHeadModel (where diffusers' loop works) both loops give the same
    eight hidden states, and a GPT2Model holding the same weights gives them too."""
    from transformers import GPT2Model

    lm = tiny_audioldm2.language_model
    torch.manual_seed(3)
    embeds = torch.randn(2, 5, lm.config.n_embd)
    mask = torch.ones(2, 5, dtype=torch.long)
    mask[1, 4] = 0
    from diffusers import AudioLDM2Pipeline

    with torch.inference_mode():
        theirs = AudioLDM2Pipeline.generate_language_model(tiny_audioldm2, embeds, max_new_tokens=8,
                                                           attention_mask=mask)
        ours = language_model_generate(lm, embeds, 8, attention_mask=mask)
        bare = GPT2Model(lm.config).eval()
        bare.load_state_dict(lm.transformer.state_dict())
        ours_bare = language_model_generate(bare, embeds, 8, attention_mask=mask)
    assert ours.shape == (2, 8, lm.config.n_embd)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours_bare, theirs, atol=1e-5, rtol=1e-4)


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


SIX = {
    "scene_description": "A bell tower above a market square.",
    "mood_description": "busy",
    "sound_sources": [
        {"name": n, "material": m, "variants": [{"play_method": p, "timbre": ["bright"],
                                                  "mapping_to_music_instrument": "drums"}]}
        for n, m, p in [("glass", "glass", "clink with a spoon"), ("cart", "wood", "rolling over cobbles"),
                        ("dog", "fur", "barking"), ("fountain", "stone", "water splashing"),
                        ("pigeons", "feathers", "wings flapping"), ("kettle", "steel", "whistling")]
    ],
}


@pytest.mark.slow
def test_one_load_for_a_six_source_scene_and_a_second_render(published_audioldm2, tmp_path, monkeypatch):
    """What `wave make` does: render_sounds builds its own generator per call; the pipeline loads once."""
    import dataclasses

    from server.models import cache as cache_mod
    from server.sounds import diffusion as dmod

    cache = ModelCache(budget="4G")
    monkeypatch.setattr(cache_mod, "_DEFAULT", cache)
    fast = dataclasses.replace(dmod.BACKENDS["audioldm2"], model_id=str(published_audioldm2), steps=2)
    monkeypatch.setitem(dmod.BACKENDS, "audioldm2", fast)
    spec = SceneSpec.from_data(SIX)
    for run in ("a", "b"):
        m = render_sounds(spec, tmp_path / run, backend="audioldm2", candidates=1, seconds=0.2, sample_rate=16000)
        assert len(m["sources"]) == 6
    (key,) = cache.keys()
    assert key.backend == "audioldm2" and key.device == "cpu" and key.dtype == "float32"
    assert cache.loads[key] == 1
    # another dtype is another model; releasing returns the cache to empty
    DiffusionGenerator("audioldm2", model_id=str(published_audioldm2), device="cpu", fp16=True).load()
    assert len(cache) == 2 and all(n == 1 for n in cache.loads.values())
    assert {k.dtype for k in cache.keys()} == {"float32", "float16"}
    half = next(k for k in cache.keys() if k.dtype == "float16")
    assert cache.get(half, lambda: None).unet.dtype == torch.float16
    assert cache.release() == 2 and len(cache) == 0


@pytest.mark.slow
def test_candidates_ranked_against_the_sources_core_prompt(tiny_audioldm2, tmp_path):
    spec = SceneSpec.from_data(SIX)
    gen = DiffusionGenerator("audioldm2", pipeline=tiny_audioldm2, steps=2, device="cpu")
    m = render_sounds(spec, tmp_path / "snd", backend="audioldm2", generator=gen, candidates=3, seconds=0.1,
                      seed=4, sample_rate=16000)
    src = m["sources"][0]
    core = source_core_prompt(spec.sound_sources[0])
    assert src["rank_prompt"] == core
    assert "glass" in core and "clink with a spoon" in core and "bright" in core
    assert "bell tower" not in core and "market" not in core and "busy" not in core
    assert "bell tower" in src["prompt"]  # the generation prompt keeps the scene context
    # the stored scores are CLAP(core prompt, candidate): the same call made directly gives the same numbers,
    # and differs from scoring against the whole context prompt
    audio, sr, cands = gen.generate(src["prompt"], src["negative_prompt"], 0.1, candidates=3, seed=src["seed"],
                                    rank_prompt=core)
    assert [c["clap_score"] for c in src["candidates"]] == [c["clap_score"] for c in cands]
    assert clap_scores(gen.ranker, core, audio[None, :], sr)[0] == pytest.approx(cands[0]["clap_score"], abs=1e-4)
    whole = clap_scores(gen.ranker, src["prompt"], audio[None, :], sr)[0]
    assert abs(whole - cands[0]["clap_score"]) > 1e-4
    on_disk = json.loads((tmp_path / "snd" / "manifest.json").read_text())
    assert on_disk["sources"][0]["candidates"][0]["clap_score"] == cands[0]["clap_score"]


def _faithful_clap(real: dict):
    """ClapModel with laion/clap-htsat-unfused's structure (HTSAT audio tower on 64 mel bins, spec 256, window 8,
    patch stride 4; RoBERTa text tower with 514 positions), widths and depths shrunk."""
    from transformers import ClapAudioConfig, ClapConfig, ClapModel, ClapTextConfig

    a, t = real["model"]["audio_config"], real["model"]["text_config"]
    torch.manual_seed(0)
    text = ClapTextConfig(hidden_size=16, intermediate_size=37, num_attention_heads=2, num_hidden_layers=2,
                          vocab_size=1000, projection_dim=16, max_position_embeddings=t["max_position_embeddings"],
                          bos_token_id=0, eos_token_id=2, pad_token_id=1, layer_norm_eps=1e-5)
    audio = ClapAudioConfig(spec_size=a["spec_size"], window_size=a["window_size"], num_mel_bins=a["num_mel_bins"],
                            depths=[1, 1], num_attention_heads=[2, 2], hidden_size=32, patch_embeds_hidden_size=16,
                            patch_stride=a["patch_stride"], patch_size=a["patch_size"], projection_dim=16,
                            intermediate_size=37, enable_fusion=a["enable_fusion"])
    return ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16)).eval()


@pytest.fixture(scope="module")
def published_clap(tmp_path_factory):
    """A folder laid out like laion/clap-htsat-unfused (ClapModel + ClapProcessor with the real feature
    extractor settings: 48 kHz, 64 mels, hop 480, 10 s, rand_trunc), sizes shrunk."""
    from transformers import ClapFeatureExtractor, ClapProcessor

    real = json.loads((CONFIGS / "clap" / "components.json").read_text())
    fe_cfg = real["feature_extractor"]
    fe = ClapFeatureExtractor(feature_size=fe_cfg["feature_size"], sampling_rate=fe_cfg["sampling_rate"],
                              hop_length=fe_cfg["hop_length"], fft_window_size=fe_cfg["fft_window_size"],
                              max_length_s=fe_cfg["max_length_s"], truncation=fe_cfg["truncation"],
                              padding=fe_cfg["padding"])
    folder = tmp_path_factory.mktemp("laion_clap_htsat_unfused")
    _faithful_clap(real).save_pretrained(folder)
    ClapProcessor(feature_extractor=fe, tokenizer=_roberta_tokenizer()).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def published_audioldm(tmp_path_factory):
    """A folder laid out like cvssp/audioldm-s-full-v2 (tests/data/model_configs/audioldm): the converter's
    component classes, 8 latent channels, FiLM class embedding of the CLAP text projection (concatenated),
    64 mel bins, the vocoder's 5-4-2-2-2 upsampling to 16 kHz, DDIM with the checkpoint's betas; widths shrunk."""
    from diffusers import AudioLDMPipeline, AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import (
        ClapTextConfig,
        ClapTextModelWithProjection,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
    )

    real = json.loads((CONFIGS / "audioldm" / "components.json").read_text())
    u = real["unet"]
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=16, in_channels=u["in_channels"],
        out_channels=u["out_channels"], down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=(32, 64),
        class_embed_type=u["class_embed_type"], projection_class_embeddings_input_dim=32,
        class_embeddings_concat=u["class_embeddings_concat"])
    scheduler = DDIMScheduler(**{k: v for k, v in real["scheduler"].items() if k != "class"})
    vae = AutoencoderKL(block_out_channels=[16, 32], in_channels=1, out_channels=1,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                        latent_channels=real["vae"]["latent_channels"], norm_num_groups=8)
    voc = real["vocoder"]
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=voc["model_in_dim"], sampling_rate=voc["sampling_rate"], upsample_initial_channel=32,
        upsample_rates=voc["upsample_rates"], upsample_kernel_sizes=voc["upsample_kernel_sizes"],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3, 5]], normalize_before=False))
    torch.manual_seed(0)
    text = ClapTextModelWithProjection(ClapTextConfig(
        bos_token_id=0, eos_token_id=2, hidden_size=32, intermediate_size=37, layer_norm_eps=1e-5,
        num_attention_heads=4, num_hidden_layers=2, pad_token_id=1, vocab_size=1000, projection_dim=32,
        max_position_embeddings=514))
    pipe = AudioLDMPipeline(vae=vae, text_encoder=text, tokenizer=_roberta_tokenizer(), unet=unet,
                            scheduler=scheduler, vocoder=vocoder)
    folder = tmp_path_factory.mktemp("cvssp_audioldm")
    pipe.save_pretrained(folder)
    published = json.loads((CONFIGS / "audioldm" / "model_index.json").read_text())
    saved = json.loads((folder / "model_index.json").read_text())
    assert {k for k in published if not k.startswith("_")} == {k for k in saved if not k.startswith("_")}
    (folder / "model_index.json").write_text(json.dumps({**published, "_diffusers_version": saved["_diffusers_version"]}))
    return folder


def test_published_clap_layout(published_clap):
    real = json.loads((CONFIGS / "clap" / "components.json").read_text())
    cfg = json.loads((published_clap / "config.json").read_text())
    assert cfg["architectures"] == [real["model"]["class"]]
    for tower in ("text_config", "audio_config"):
        assert set(real["model"][tower]) <= set(cfg[tower])
    fe = json.loads((published_clap / "processor_config.json").read_text()) \
        if (published_clap / "processor_config.json").exists() else \
        json.loads((published_clap / "preprocessor_config.json").read_text())
    text = json.dumps(fe)
    assert "ClapFeatureExtractor" in text and '"hop_length": 480' in text and '"sampling_rate": 48000' in text


@pytest.mark.slow
def test_audioldm_as_published_with_the_published_clap_ranker(published_audioldm, published_clap):
    """Both load through from_pretrained of folders laid out like the hub checkpoints, through the process
    cache; the ranker scores every candidate against the core prompt, as an independent CLAP call does."""
    cache = ModelCache(budget="4G")
    gen = DiffusionGenerator("audioldm", model_id=str(published_audioldm), ranker=str(published_clap), steps=2,
                             device="cpu", cache=cache)
    pipe = gen.load()
    assert type(pipe.text_encoder).__name__ == "ClapTextModelWithProjection"
    assert type(pipe.tokenizer).__name__ in ("RobertaTokenizerFast", "RobertaTokenizer")
    audio, sr, cands = gen.generate("Scene: a farm. The sound of a cow mooing.", None, 0.2, candidates=3, seed=2,
                                    rank_prompt="The sound of a cow, mooing.")
    assert sr == 16000 and abs(len(audio) / sr - 0.2) < 0.011 and np.isfinite(audio).all()
    scores = [c["clap_score"] for c in cands]
    assert None not in scores and scores == sorted(scores, reverse=True)
    assert sorted(k.backend for k in cache.keys()) == ["audioldm", "clap-ranker"]
    assert type(gen.ranker.feature_extractor).__name__ == "ClapFeatureExtractor"
    assert gen.ranker.feature_extractor.sampling_rate == 48000
    again = clap_scores(gen.ranker, "The sound of a cow, mooing.", audio[None, :], sr)
    assert again[0] == pytest.approx(scores[0], abs=1e-4)
    # a second generator with the same checkpoint and ranker loads nothing new
    DiffusionGenerator("audioldm", model_id=str(published_audioldm), ranker=str(published_clap), steps=2,
                       device="cpu", cache=cache).generate("wind", None, 0.1, candidates=2, seed=0)
    assert all(n == 1 for n in cache.loads.values()) and len(cache.loads) == 2


@pytest.mark.slow
def test_fetch_then_wave_sounds_by_hub_id_offline(published_audioldm2, tmp_path):
    """A user's path before a gig: `wave models fetch audioldm2` (here from a local mirror), then
    `wave sounds --backend audioldm2` with the network off loads cvssp/audioldm2 by its hub id."""
    import os
    import shutil
    import subprocess
    import sys

    hub, cache = tmp_path / "hub", tmp_path / "hf"
    shutil.copytree(published_audioldm2, hub / "cvssp" / "audioldm2")
    wave = [sys.executable, "-m", "server"]
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    r = subprocess.run(wave + ["models", "fetch", "audioldm2", "--from", str(hub)], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (tmp_path / "scene.json").write_text(json.dumps(SCENE))
    r = subprocess.run(wave + ["sounds", str(tmp_path / "scene.json"), "-o", str(tmp_path / "out"), "--backend",
                               "audioldm2", "--steps", "2", "--candidates", "1", "--seconds", "0.2",
                               "--sample-rate", "16000", "--device", "cpu"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["model"]["id"] == "cvssp/audioldm2" and len(manifest["sources"]) == 2
    assert manifest["sources"][0]["rank_prompt"].startswith("The sound of glass")


@pytest.mark.slow
def test_generators_sharing_a_cached_pipeline_on_two_threads(published_audioldm2):
    """Two generators (DDIM and DPM-Solver) share one cached pipeline, as two server jobs would: run at once
    on two threads, each gets exactly what it gets alone."""
    import threading

    cache = ModelCache(budget="4G")
    kw = {"model_id": str(published_audioldm2), "steps": 2, "device": "cpu", "cache": cache}
    ddim = DiffusionGenerator("audioldm2", scheduler="ddim", **kw)
    dpm = DiffusionGenerator("audioldm2", scheduler="dpm", **kw)
    assert ddim.load() is dpm.load() and len(cache) == 1
    alone = {g.scheduler: g.generate("wind", None, 0.1, candidates=1, seed=3)[0] for g in (ddim, dpm)}
    a, b = alone["ddim"], alone["dpm"]
    assert np.abs(a - b).max() > 0.01 * np.abs(a).max()  # the schedulers differ, so the audio does
    together: dict[str, np.ndarray] = {}

    def run(g):
        together[g.scheduler] = g.generate("wind", None, 0.1, candidates=1, seed=3)[0]

    threads = [threading.Thread(target=run, args=(g,)) for g in (ddim, dpm, ddim)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in ("ddim", "dpm"):
        np.testing.assert_array_equal(together[name], alone[name])
