"""SceneSpec: seed files round-trip byte for byte, field-named errors, JSON Schema export, roles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.errors import InputError
from server.scene import SceneSpec, assign_roles
from server.scene.roles import role_table
from server.scene.spec import json_schema

SEEDS = sorted((Path(__file__).parent / "data" / "seed_examples").glob("*.json"))
REPO = Path(__file__).resolve().parent.parent


def _seed_dict():
    return {"scene_description": "plaza", "mood_description": "calm", "sound_sources": [
        {"name": n, "material": "m", "variants": [{"play_method": p, "timbre": t, "mapping_to_music_instrument": r}]}
        for n, p, t, r in [("bell tower", "bell chime", ["resonant"], "keyboard"),
                           ("barricade", "rattle", ["clanky"], "drums"),
                           ("palm trees", "rustling", ["airy"], "drums"),
                           ("stroller", "wheels rolling", ["low rumble"], "bass"),
                           ("bag", "crinkling", ["crinkly"], "drum")]]}


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seed_round_trip_byte_for_byte(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    spec = SceneSpec.load(path)
    assert spec.to_json() == text
    out = spec.save(tmp_path / "s.json")
    assert out.read_text(encoding="utf-8") == text + "\n"
    assert SceneSpec.load(out) == spec


def test_optional_fields_and_aliases():
    d = _seed_dict()
    d["sound_sources"][0].update(box=[0.1, 0.2, 0.5, 0.9], depth=0.3, confidence=0.8, grounded=True)
    d["sound_sources"][1]["variants"][0]["mapping_to_music_instrument"] = "None"
    d["mood"] = {"valence": -0.5, "arousal": 0.2}
    spec = SceneSpec.from_data(d)
    assert spec.sound_sources[4].role == "drums"  # "drum" normalised
    assert spec.sound_sources[1].role is None
    back = json.loads(spec.to_json())
    assert back["sound_sources"][0]["box"] == [0.1, 0.2, 0.5, 0.9]
    assert "box" not in back["sound_sources"][2] and "ambience" not in back["sound_sources"][2]


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["sound_sources"][2]["variants"][0].update(timbre="x"), "sound_sources[2].variants[0].timbre"),
    (lambda d: d["sound_sources"][1].update(variants=[]), "sound_sources[1].variants"),
    (lambda d: d["sound_sources"][0].update(box=[0.6, 0.1, 0.2, 0.5]), "sound_sources[0].box"),
    (lambda d: d["sound_sources"][0].update(box=[0.1, 0.1, 1.2, 0.5]), "sound_sources[0].box"),
    (lambda d: d["sound_sources"][3].update(depth=1.5), "sound_sources[3].depth"),
    (lambda d: d["sound_sources"][0]["variants"][0].update(mapping_to_music_instrument="flute"),
     "sound_sources[0].variants[0].mapping_to_music_instrument"),
    (lambda d: d.update(mood={"valence": 2, "arousal": 0.5}), "mood.valence"),
    (lambda d: d.pop("scene_description"), "scene_description"),
])
def test_errors_name_the_field(mutate, field):
    d = _seed_dict()
    mutate(d)
    with pytest.raises(InputError) as ei:
        SceneSpec.from_data(d)
    assert f"{field}:" in str(ei.value)


def test_bad_json_and_missing_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"scene_description": ')
    with pytest.raises(InputError, match="not valid JSON"):
        SceneSpec.load(p)
    with pytest.raises(InputError, match="does not exist"):
        SceneSpec.load(tmp_path / "nope.json")
    with pytest.raises(InputError, match="JSON object"):
        SceneSpec.from_json("[1, 2]")


def test_committed_schema_is_generated():
    committed = json.loads((REPO / "docs" / "scene.schema.json").read_text())
    assert committed == json_schema()


def _check_roles(spec):
    table = role_table(spec)
    assert set(table) == {"drums", "bass", "guitar", "keyboard"}
    for src in spec.sound_sources:
        roles = [v.mapping_to_music_instrument for v in src.variants if v.mapping_to_music_instrument]
        assert len(roles) == len(set(roles))
    return table


def test_assign_roles_seed_no_duplicates():
    spec = assign_roles(SceneSpec.from_data(_seed_dict()))
    table = _check_roles(spec)
    assert len({i for i, _ in table.values()}) == 4  # enough sources: none used twice
    names = {r: spec.sound_sources[i].name for r, (i, _) in table.items()}
    assert names["keyboard"] == "bell tower" and names["bass"] == "stroller"


def test_assign_roles_few_sources_yield_extra_variants():
    d = _seed_dict()
    d["sound_sources"] = d["sound_sources"][:2]
    spec = assign_roles(SceneSpec.from_data(d))
    _check_roles(spec)
    one = d.copy()
    one["sound_sources"] = d["sound_sources"][:1]
    _check_roles(assign_roles(SceneSpec.from_data(one)))
