"""Every sound the vocabulary asks for lands on a model that can make it (issue 12, item 4).

:mod:`server.sounds.capabilities` says which AudioSet classes each builtin model can make (the synthesiser's
21 models in one table, the animal, machine, instrument and action families in their own ``AUDIOSET`` tables). These
tests check the tables themselves, then walk every play of every source of the sound vocabulary
(``server/vocab``) and fail on any whose ``sound_model`` cannot make its ``audioset`` classes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from server.errors import ConfigError
from server.sounds import capabilities
from server.sounds.capabilities import CORE, can_make, cannot_make
from server.sounds.synth import MODEL_FUNCS
from server.sounds.tagger import ontology
from tests.helpers.sounds import models_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/

CORE_MODELS = ("strike", "bell", "rattle", "scrape", "creak", "rustle", "crinkle", "drops", "stream", "surf", "rain",
               "wind", "engine", "hum", "chirp", "insects", "room", "footsteps", "rolling", "murmur", "fire")


def test_the_core_table_covers_the_synthesisers_21_models_with_ontology_names():
    assert set(CORE) == set(CORE_MODELS)
    onto = ontology()
    bad = {m: [c for c in classes if c not in onto.byname] for m, classes in CORE.items()}
    assert not any(bad.values()), bad


def test_every_family_table_names_registered_models_and_ontology_classes():
    onto = ontology()
    problems = []
    for module, tab in capabilities.family_tables().items():
        for model, classes in tab.items():
            if model not in MODEL_FUNCS:
                problems.append(f"{module}: {model!r} is not a registered sound model")
            problems += [f"{module}: {model}: {c!r} is not an AudioSet class" for c in classes if c not in onto.byname]
    assert not problems, "\n".join(problems)


def test_every_registered_model_can_make_something():
    assert [m for m in MODEL_FUNCS if not can_make(m)] == []


def test_can_make_closes_upwards_through_the_ontology_only():
    made = can_make("chirp")
    assert {"Chirp, tweet", "Bird", "Wild animals", "Animal"} <= made
    assert "Cat" not in made and "Music" not in made
    assert cannot_make("chirp", ["Bird", "chirp, TWEET"]) == []  # names match case-insensitively
    assert cannot_make("engine", ["Car", "Dog", "Not a class"]) == ["Dog", "Not a class"]
    assert "Bark" not in can_make("engine") and "Engine" in can_make("engine")
    with pytest.raises(ConfigError, match="unknown sound model 'theremin'; known: .*strike"):
        can_make("theremin")


def test_models_for_names_the_models_that_make_every_class():
    assert models_for(["Rain"])[:1] == ["rain"]
    assert "engine" in models_for(["Idling", "Car"]) and "rain" not in models_for(["Idling", "Car"])
    assert models_for(["Rain", "Cat"]) == []
    some = models_for(["Rain", "Meow"], every=False)
    assert "rain" in some and "engine" not in some


def test_a_gm_program_narrows_what_the_instrument_model_makes():
    if capabilities.gm_classes(40) is None:
        pytest.skip("the instruments family publishes no GM_FAMILY_AUDIOSET table yet")
    violin = can_make("gm_instrument", gm_program=40)  # program 41, Violin: the strings family
    assert "Violin, fiddle" in violin and "Musical instrument" in violin and "Piano" not in violin
    assert "Piano" in can_make("gm_instrument", gm_program=0)
    assert "Snare drum" in can_make("gm_instrument", gm_drums=True)
    assert can_make("gm_instrument") >= violin  # no program: anything the family can play


def test_the_bench_cases_land_on_models_that_make_their_classes():
    """The benchmark's own cases (bench/bench_sounds.py) choose a model by keywords; it must make their classes."""
    from bench.bench_sounds import builtin_cases
    from server.sounds.synth import describe

    wrong = []
    for case in builtin_cases():
        model = describe(case.description()).model
        missing = cannot_make(model, case.audioset)
        if missing:
            wrong.append((case.name, model, missing))
    assert not wrong, wrong


def _vocab_failures(every: bool) -> tuple[int, list[str]]:
    """Plays whose model can make none of their classes (``every``: not all of them), with the models that can."""
    vocab = pytest.importorskip("server.vocab")
    v = vocab.vocabulary()
    plays, out = 0, []
    for key, src in v.sources.items():
        for play in src.plays:
            plays += 1
            try:
                missing = cannot_make(play.sound_model, play.audioset, gm_program=play.gm_program,
                                      gm_drums=bool(play.gm_drums))
            except ConfigError as exc:
                missing = [str(exc)]
            if missing and (every or len(missing) == len(play.audioset)):
                fits = models_for(play.audioset, every=every)
                hint = f" (can: {', '.join(fits[:3])})" if fits else " (no builtin model can)"
                out.append(f"{key} / {play.method!r}: {play.sound_model} cannot make {', '.join(missing)}{hint}")
    return plays, out


def test_every_vocabulary_play_lands_on_a_model_that_can_make_its_sound():
    """The bench's measure: a play is right when its sound is heard as any of its classes, so its model must be
    able to make at least one of them."""
    plays, failures = _vocab_failures(every=False)
    assert plays > 0
    assert not failures, f"{len(failures)} of {plays} plays:\n" + "\n".join(failures)


def test_every_class_a_vocabulary_play_names_is_one_its_model_makes():
    plays, failures = _vocab_failures(every=True)
    assert plays > 0
    assert not failures, f"{len(failures)} of {plays} plays:\n" + "\n".join(failures)


def test_every_vocabulary_entry_resolves_to_checked_plays():
    """The COCO and ImageNet entries use their source's plays: walking the sources walks every entry."""
    vocab = pytest.importorskip("server.vocab")
    v = vocab.vocabulary()
    entries = v.entries()
    assert entries and all(e.plays == v.sources[e.source].plays for e in entries)


# Animals whose usual sound is not a call: silent or nearly (giraffe, deer, fish, rabbit), or better known
# by something else they do (a gorilla beating its chest, a hummingbird's wings).
NOT_CALL_FIRST = {"gorilla", "rabbit", "hummingbird", "deer", "giraffe", "fish"}
CALLS = {"bark", "howl", "growl", "whine", "meow", "purr", "roar", "moo", "bleat", "neigh", "oink", "elephant",
         "crow", "cluck", "quack", "honk", "gobble", "hoot", "caw", "songbird", "squawk", "croak", "hiss", "chirp",
         "buzz", "stridulate", "insects", "rattle"}


def test_an_animal_is_first_heard_by_its_call():
    """The first play is what `wave sounds` renders by default: a horse neighs before its hooves clop (a
    picture of a horse heard as knocks on a door is the wrong animal to a listener)."""
    from server.vocab import vocabulary

    wrong = [key for key, src in vocabulary().sources.items()
             if src.group == "animals" and key not in NOT_CALL_FIRST
             and src.plays[0].sound_model not in CALLS and any(p.sound_model in CALLS for p in src.plays)]
    assert not wrong, wrong
