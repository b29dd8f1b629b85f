"""Model backends with tiny random-weight transformers models built from configs (no hub downloads).

Random weights give garbage text, so the end-to-end runs check that the real backend code runs and
that its output goes through the parse -> repair -> retry path; the parser itself is tested on
malformed outputs directly in test_scene_parse.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from server.errors import ConfigError, InputError, MissingDependencyError
from server.scene import vlm

CONFIGS = Path(__file__).parent / "data" / "model_configs"

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


def _image(h=64, w=96):
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 0] = (x * 255 // w).astype(np.uint8)
    rgb[..., 2] = (y * 255 // h).astype(np.uint8)
    return rgb


def _byte_tokenizer(tmp_path):
    """A small word-level tokenizer built in code, with the special tokens the models need."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(
        ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
         "<|video_pad|>", "[CLS]", "[SEP]", "{", "}", "[", "]", ":", ",", '"', "name", "cat", "drums", "a", "photo",
         "of", "the", "cup", "wind", "user", "assistant", "system", "\n"] + [f"w{i}" for i in range(60)])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(pattern=r"(<\|[a-z_]+\|>|\s+|[{}\[\]:,\"])", behavior="isolated")
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>"), vocab


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    """A folder laid out like Qwen/Qwen2.5-VL-7B-Instruct (tests/data/model_configs/qwen2.5-vl): the same
    model class and config keys (mrope in the real 2:3:3 proportion, 14-pixel patches merged 2x2, temporal
    patches of 2, 112-pixel attention windows with full-attention blocks), the checkpoint's own
    preprocessor_config.json (pixel bounds 3136..12845056) as is; widths and depths shrunk."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2VLImageProcessorPil

    real = json.loads((CONFIGS / "qwen2.5-vl" / "config.json").read_text())
    rv = real["vision_config"]
    tmp = tmp_path_factory.mktemp("qwen")
    tok, vocab = _byte_tokenizer(tmp)
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% for c in m['content'] %}"
        "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}"
        "{% endfor %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    tok.add_special_tokens({"additional_special_tokens": ["<|image_pad|>", "<|video_pad|>", "<|vision_start|>",
                                                         "<|vision_end|>"]})
    cfg = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                         rope_scaling={"type": real["rope_scaling"]["type"], "mrope_section": [2, 3, 3]}),
        vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=32,
                           patch_size=rv["patch_size"], spatial_merge_size=rv["spatial_merge_size"],
                           temporal_patch_size=rv["temporal_patch_size"], fullatt_block_indexes=[1],
                           window_size=rv["window_size"], in_chans=rv["in_chans"]),
        image_token_id=vocab["<|image_pad|>"], video_token_id=vocab["<|video_pad|>"],
        vision_start_token_id=vocab["<|vision_start|>"], vision_end_token_id=vocab["<|vision_end|>"],
    )
    torch.manual_seed(0)
    net = Qwen2_5_VLForConditionalGeneration(cfg).eval()
    ip = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112)
    proc = vlm.qwen_processor_pil(tokenizer=tok, image_processor=ip)
    net.save_pretrained(tmp / "model")
    tok.save_pretrained(tmp / "model")
    (tmp / "model" / "preprocessor_config.json").write_text(
        (CONFIGS / "qwen2.5-vl" / "preprocessor_config.json").read_text())
    return tmp / "model", net, proc


def test_qwen_fixture_has_the_checkpoints_keys(tiny_qwen):
    path, _net, _proc = tiny_qwen
    real = json.loads((CONFIGS / "qwen2.5-vl" / "config.json").read_text())
    saved = json.loads((path / "config.json").read_text())
    assert saved["architectures"] == real["architectures"] and saved["model_type"] == real["model_type"]
    vision = saved["vision_config"]
    for k in ("patch_size", "spatial_merge_size", "temporal_patch_size", "window_size"):
        assert vision[k] == real["vision_config"][k], k
    assert set(real["vision_config"]) <= set(vision)
    text = saved.get("text_config", saved)
    assert (text.get("rope_scaling") or text.get("rope_parameters"))["mrope_section"] == [2, 3, 3]


def test_a_12_megapixel_photo_costs_at_most_the_budgeted_visual_tokens(tiny_qwen):
    """4000x3000 through the loaded processor: the checkpoint's own bounds would give ~15,300 visual tokens;
    WAVE's budget caps it at MAX_VISUAL_TOKENS, and the prompt carries exactly that many image tokens."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

    path, _net, _proc = tiny_qwen
    _n, proc = vlm.load_qwen(path)
    h, w = smart_resize(3000, 4000, factor=28, min_pixels=3136, max_pixels=12845056)
    assert (h // 28) * (w // 28) > 15000  # what the checkpoint's preprocessor_config.json alone allows
    from PIL import Image

    big = Image.fromarray(np.full((3000, 4000, 3), 127, np.uint8))
    text = proc.apply_chat_template([{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "a"}]}],
                                    tokenize=False, add_generation_prompt=True)
    inputs = proc(text=[text], images=[big], return_tensors="pt")
    t, gh, gw = inputs["image_grid_thw"][0].tolist()
    tokens = t * gh * gw // 4
    assert vlm.MIN_VISUAL_TOKENS <= tokens <= vlm.MAX_VISUAL_TOKENS
    image_id = proc.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert int((inputs["input_ids"] == image_id).sum()) == tokens
    # aspect ratio kept within one 28-pixel cell
    assert abs(gw - gh * 4 / 3) <= 2
    # a tighter budget is honoured; a nonsense one is refused with the range
    vlm.set_pixel_budget(proc.image_processor, max_tokens=64, min_tokens=16)
    t, gh, gw = proc(text=[text], images=[big], return_tensors="pt")["image_grid_thw"][0].tolist()
    assert t * gh * gw // 4 <= 64
    with pytest.raises(ConfigError, match="4 <= min <= max <= 16384"):
        vlm.set_pixel_budget(proc.image_processor, max_tokens=10, min_tokens=20)
    vlm.set_pixel_budget(proc.image_processor)


def test_image_only_processor_patches_nothing_process_wide(tiny_qwen):
    from transformers import Qwen2_5_VLProcessor
    from transformers.processing_utils import ProcessorMixin

    before = ProcessorMixin.__dict__["check_argument_for_proper_class"]
    _path, _net, proc = tiny_qwen
    vlm.qwen_processor_pil(tokenizer=proc.tokenizer, image_processor=proc.image_processor)
    assert ProcessorMixin.__dict__["check_argument_for_proper_class"] is before
    assert "check_argument_for_proper_class" not in Qwen2_5_VLProcessor.__dict__
    assert isinstance(proc, Qwen2_5_VLProcessor)
    with pytest.raises((TypeError, ValueError, AttributeError)):  # the stock class still checks it
        Qwen2_5_VLProcessor(image_processor=proc.image_processor, tokenizer=proc.tokenizer, video_processor=None)


def test_qwen_dtype_on_gpu_is_bf16_or_fp16(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert vlm.auto_device_dtype() == ("cuda", torch.bfloat16)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert vlm.auto_device_dtype() == ("cuda", torch.float16)
    assert vlm.auto_device_dtype("cpu") == ("cpu", torch.float32)
    assert vlm.auto_device_dtype("cuda", "float32") == ("cuda", torch.float32)
    with pytest.raises(ConfigError, match="bfloat16"):
        vlm.auto_device_dtype("cpu", "int8")


def test_qwen_generate_end_to_end_and_retry(tiny_qwen):
    _path, net, proc = tiny_qwen
    raw = vlm.qwen_generate(_image(), net, proc, max_new_tokens=6)
    assert isinstance(raw, str)
    # random weights: the output is not a scene, so every attempt fails and the retry bound holds
    with pytest.raises(InputError, match="after 2 attempts"):
        vlm.qwen_scene(_image(), net, proc, retries=1, max_new_tokens=6)


def test_qwen_scene_repairs_model_output(tiny_qwen, monkeypatch):
    """The real generate runs, and a malformed-but-repairable answer is parsed on the first try."""
    _path, net, proc = tiny_qwen
    calls = []
    real = vlm.qwen_generate

    def fake_decode_first(rgb, n, p, **kw):
        out = real(rgb, n, p, max_new_tokens=4)  # the real code path
        calls.append(out)
        if len(calls) == 1:
            return "not json at all"
        return "```json\n{'scene_description': 'a cat', 'mood_description': 'calm', 'sound_sources': " \
               "[{'name': 'cat', 'material': 'fur', 'variants': [{'play_method': 'purr', 'timbre': 'low, soft', " \
               "'mapping_to_music_instrument': 'None'}]},]}\n```"

    monkeypatch.setattr(vlm, "qwen_generate", fake_decode_first)
    spec, outputs = vlm.qwen_scene(_image(), net, proc, retries=2)
    assert len(outputs) == 2 and len(calls) == 2
    assert spec.sound_sources[0].variants[0].timbre == ["low", "soft"]
    assert spec.sound_sources[0].role is None


def test_load_qwen_from_local_folder(tiny_qwen):
    from server.models.cache import default_cache

    path, _net, _proc = tiny_qwen
    net, proc = vlm.load_qwen(path)
    assert str(net.device) == "cpu" and net.dtype == torch.float32
    assert isinstance(vlm.qwen_generate(_image(), net, proc, max_new_tokens=3), str)
    assert vlm.load_qwen(path)[0] is net  # one load per process
    key = next(k for k in default_cache().keys() if k.backend == "qwen2.5-vl" and k.checkpoint == str(path))
    assert default_cache().loads[key] == 1


@pytest.fixture(scope="module")
def tiny_blip(tmp_path_factory):
    """A folder laid out like Salesforce/blip-image-captioning-large (tests/data/model_configs/blip): 384-pixel
    images in 16-pixel patches, a BERT word-piece tokenizer whose decoder start token [DEC] sits after the
    vocabulary (bos_token_id = vocab - 2, as 30522 of 30524), [SEP] as separator; widths shrunk."""
    from transformers import (
        BertTokenizerFast,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    real = json.loads((CONFIGS / "blip" / "config.json").read_text())
    rv, rp = real["vision_config"], real["processor"]
    tmp = tmp_path_factory.mktemp("blip")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo", "of", "cat", "cup", "on", "table",
             "the", "objects", "in", "this", "picture", "are", "photograph", "rain", "street"] + [f"w{i}" for i in range(40)]
    (tmp / "vocab.txt").write_text("\n".join(words) + "\n")
    tok = BertTokenizerFast(vocab_file=str(tmp / "vocab.txt"))
    tok.add_special_tokens({"bos_token": rp["bos_token"], "additional_special_tokens": ["[ENC]"]})
    vocab = len(tok)
    assert tok.convert_tokens_to_ids("[DEC]") == vocab - 2  # the checkpoint's layout: 30522 of 30524
    cfg = BlipConfig(
        text_config=dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=64, bos_token_id=vocab - 2,
                         sep_token_id=tok.sep_token_id, pad_token_id=tok.pad_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=rv["image_size"], patch_size=rv["patch_size"]),
        projection_dim=32,
    )
    torch.manual_seed(0)
    net = BlipForConditionalGeneration(cfg).eval()
    proc = BlipProcessor(image_processor=BlipImageProcessor(size=rp["size"]), tokenizer=tok)
    net.save_pretrained(tmp / "model")
    proc.save_pretrained(tmp / "model")
    return tmp / "model", net, proc


def test_blip_captions_end_to_end(tiny_blip):
    path, _n, _p = tiny_blip
    net, proc = vlm.load_blip(path)
    caps = vlm.blip_captions(_image(), net, proc, max_new_tokens=5)
    assert len(caps) == 3 and all(isinstance(c, str) for c in caps)
    spec = vlm.captions_to_scene(caps + ["a cat next to a cup on a table in the rain"])
    names = [s.name for s in spec.sound_sources]
    assert {"cat", "cup", "table", "rain"} <= set(names)
    assert next(s for s in spec.sound_sources if s.name == "rain").ambience


def _tiny_detr():
    """A random-weight DETR (ResNet backbone from a config) that knows two labels, and its processor."""
    from transformers import ConditionalDetrImageProcessor, DetrConfig, DetrForObjectDetection

    cfg = DetrConfig(use_timm_backbone=False, backbone_config={"model_type": "resnet", "embedding_size": 8,
                     "hidden_sizes": [8, 8, 8, 8], "depths": [1, 1, 1, 1], "out_features": ["stage4"]},
                     use_pretrained_backbone=False, d_model=16, encoder_layers=1, decoder_layers=1,
                     encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=16, decoder_ffn_dim=16,
                     num_queries=10, id2label={0: "cat", 1: "cup"}, label2id={"cat": 0, "cup": 1})
    torch.manual_seed(0)
    net = DetrForObjectDetection(cfg).eval()
    return net, ConditionalDetrImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})


def test_detr_detector_tiny_random(monkeypatch):
    from server.scene.detect import detect_hf, merge_duplicates

    net, proc = _tiny_detr()
    dets = detect_hf(_image(), net, proc, threshold=0.01)
    for d in merge_duplicates(dets):
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        assert d.label in ("cat", "cup")


def _tiny_owlvit(folder):
    """A random-weight OWL-ViT laid out like google/owlvit-base-patch32 (768-pixel images in 32-pixel patches,
    16 text positions; tests/data/model_configs/owlvit) with a character-level CLIP tokenizer, saved as a
    hub-style folder."""
    import string

    real = json.loads((CONFIGS / "owlvit" / "config.json").read_text())

    from transformers import (
        CLIPTokenizer,
        OwlViTConfig,
        OwlViTForObjectDetection,
        OwlViTImageProcessor,
        OwlViTProcessor,
    )

    chars = list(string.ascii_lowercase) + list("0123456789.,'-!")
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    folder.mkdir(parents=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tok = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), pad_token="!")
    eos = vocab["<|endoftext|>"]
    cfg = OwlViTConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2,
                         max_position_embeddings=real["text_config"]["max_position_embeddings"], bos_token_id=eos - 1,
                         eos_token_id=eos, pad_token_id=eos),
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           image_size=real["vision_config"]["image_size"], patch_size=real["vision_config"]["patch_size"]),
        projection_dim=16)
    torch.manual_seed(0)
    OwlViTForObjectDetection(cfg).eval().save_pretrained(folder)
    size = real["processor"]["size"]
    ip = OwlViTImageProcessor(size=size, crop_size=size)
    OwlViTProcessor(image_processor=ip, tokenizer=tok).save_pretrained(folder)
    return folder


def test_owlvit_detector_loads_a_folder_and_names_sources_from_the_sound_table(tmp_path):
    """The real loading code (AutoModelForZeroShotObjectDetection / AutoProcessor .from_pretrained) on a
    folder; text queries of different lengths are padded; labels come back as sound-table names."""
    from server.scene.detect import run_detector
    from server.scene.labels import SOUND_TABLE

    folder = _tiny_owlvit(tmp_path / "owlvit")
    rgb = np.random.default_rng(0).integers(0, 255, (48, 80, 3), dtype=np.uint8)
    dets = run_detector(rgb, "owlvit", model=str(folder), threshold=0.01)
    assert dets, "a random OWL-ViT scores some query above 0.01 on every patch"
    for d in dets:
        assert d.label in SOUND_TABLE and all(m in SOUND_TABLE for m in d.merged)
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    # explicit queries keep their own text as the label
    dets = run_detector(rgb, "owlvit", model=str(folder), threshold=0.01, queries=["a bell", "a drum"])
    assert {d.label for d in dets} <= {"bell", "drum", "a bell", "a drum"}


def test_detr_detector_loads_a_saved_folder(tmp_path):
    from server.scene.detect import run_detector

    net, proc = _tiny_detr()
    net.save_pretrained(tmp_path / "detr")
    proc.save_pretrained(tmp_path / "detr")
    dets = run_detector(_image(), "detr", model=str(tmp_path / "detr"), threshold=0.01)
    assert dets and {d.label for d in dets} <= {"cat", "cup"}
    with pytest.raises(MissingDependencyError, match="cannot load detector"):
        run_detector(_image(), "detr", model=str(tmp_path / "missing"), threshold=0.01)


def test_detr_as_published_needs_timm_and_says_so(tmp_path):
    """facebook/detr-resnet-50 (main) declares a timm ResNet-50 backbone. Without timm the load must end in
    one actionable line, not a traceback; with timm it builds (and never downloads backbone weights)."""
    import importlib.util

    from safetensors.torch import save_file

    from server.scene.detect import run_detector

    cfg = json.loads((CONFIGS / "detr" / "config.json").read_text())
    cfg.pop("_source")
    folder = tmp_path / "detr-resnet-50"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(cfg))
    save_file({"placeholder": torch.zeros(1)}, str(folder / "model.safetensors"))
    (folder / "preprocessor_config.json").write_text(json.dumps(
        {"image_processor_type": "DetrImageProcessor", "size": {"shortest_edge": 800, "longest_edge": 1333}}))
    if importlib.util.find_spec("timm") is not None:
        pytest.skip("timm is installed: the timm path is exercised with real weights only")
    with pytest.raises(MissingDependencyError, match="timm.*no_timm"):
        run_detector(_image(), "detr", model=str(folder), threshold=0.5)


def test_half_precision_loads_run(tiny_qwen, tiny_blip):
    """The dtype a GPU gets (bf16) through the same loaders and generation code, here on the CPU: inputs are
    cast where the model needs them, and each dtype is its own cached model."""
    qpath, _n, _p = tiny_qwen
    net, proc = vlm.load_qwen(qpath, dtype="bfloat16")
    assert net.dtype == torch.bfloat16 and vlm.load_qwen(qpath)[0] is not net
    assert isinstance(vlm.qwen_generate(_image(), net, proc, max_new_tokens=3), str)
    bpath, _n, _p = tiny_blip
    net, proc = vlm.load_blip(bpath, dtype="bfloat16")
    assert net.dtype == torch.bfloat16
    caps = vlm.blip_captions(_image(), net, proc, max_new_tokens=3)
    assert len(caps) == 3 and all(isinstance(c, str) for c in caps)
