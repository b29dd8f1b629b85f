"""The VLM output parser on malformed outputs, and the hallucination guard."""

from __future__ import annotations

import pytest

from server.errors import InputError
from server.scene.builtin import Evidence, ground
from server.scene.cues import Cues
from server.scene.detect import Detection
from server.scene.vlm import FEW_SHOT, parse_scene_text

GOOD = ('{"scene_description": "a kitchen", "mood_description": "calm", "sound_sources": [{"name": "cup", '
        '"material": "ceramic", "variants": [{"play_method": "tap", "timbre": ["bright"], '
        '"mapping_to_music_instrument": "keyboard"}]}]}')


@pytest.mark.parametrize("text", [
    GOOD,
    "Sure! Here is the JSON:\n```json\n" + GOOD + "\n```\nHope this helps.",
    GOOD.replace("]}]}", "],}],}"),  # trailing commas
    GOOD.replace('"', "'"),  # single quotes
    GOOD.replace('"keyboard"', "None"),
    GOOD[:-12],  # truncated by max_new_tokens
    '[{"name": "cup", "material": "ceramic", "play_method": "tap", "timbre": "bright, clear"}]',
    '{scene_description: "a kitchen", mood_description: "calm", sources: [{name: "cup", material: "ceramic", '
    'variants: [{play_method: "tap", timbre: ["bright"], role: "piano"}]}]}',
])
def test_parser_repairs(text):
    spec = parse_scene_text(text)
    assert spec.sound_sources[0].name == "cup"
    assert spec.sound_sources[0].variants[0].play_method == "tap"


def test_parser_few_shot_and_hopeless():
    import json

    assert len(parse_scene_text(json.dumps(FEW_SHOT)).sound_sources) == 2
    for bad in ["no json here", "{}", '{"sound_sources": []}', "{{{{"]:
        with pytest.raises(InputError):
            parse_scene_text(bad)


def _cues(**kw):
    base = dict(brightness=0.5, saturation=0.3, warmth=0.1, sky=0.5, water=0.0, foliage=0.0, texture=0.05, grey=0.2)
    base.update(kw)
    return Cues(**base)


def test_guard_flags_and_drops():
    spec = parse_scene_text(
        '{"scene_description": "s", "mood_description": "m", "sound_sources": ['
        '{"name": "cat", "material": "fur", "variants": [{"play_method": "purr", "timbre": []}]},'
        '{"name": "grand piano", "material": "wood", "variants": [{"play_method": "chord", "timbre": []}]},'
        '{"name": "wind", "material": "air", "variants": [{"play_method": "gust", "timbre": []}]}]}')
    ev = Evidence([Detection("cat", 0.9, (0.1, 0.1, 0.6, 0.9))], [], _cues())
    flagged = ground(spec, ev, guard="flag")
    g = {s.name: s.grounded for s in flagged.sound_sources}
    assert g == {"cat": True, "grand piano": False, "wind": True}
    assert {s.named_by for s in flagged.sound_sources} == {"vlm"}
    # the vocabulary's rendering hints are added to what the language model wrote
    hints = {s.name: (s.variants[0].sound_model, s.variants[0].gm_program) for s in flagged.sound_sources}
    assert hints == {"cat": ("purr", None), "grand piano": ("gm_instrument", 0), "wind": ("wind", None)}
    assert flagged.sound_sources[0].variants[0].play_method == "purr"  # the model's own words are kept
    assert flagged.sound_sources[0].box == (0.1, 0.1, 0.6, 0.9)
    dropped = ground(spec, ev, guard="drop")
    assert [s.name for s in dropped.sound_sources] == ["cat", "wind"]
    assert ground(spec, Evidence([], [], _cues(sky=0.0)), guard="drop").sound_sources == []
