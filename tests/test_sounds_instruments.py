"""Musical instruments play their General MIDI program in tune: the notes of a rendered phrase measured in cents
against the notes written and against the fluidsynth CLI rendering the same MIDI file; phrases shaped by the
play method; GM programs inferred from names; deterministic output, whatever was rendered before."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from server.errors import ConfigError
from server.paths import default_soundfont
from server.sounds import instruments as inst
from server.sounds.synth import MODEL_FUNCS, SourceDescription, choose_model, synthesize

SR = 48000


def note_pitch(x: np.ndarray, sr: int, note: inst.Note) -> float:
    """Median f0 (Hz) over the steady middle of a note, by YIN searching a whole octave around it
    (the estimate does not start from the written pitch)."""
    import librosa

    a, b = int((note.start + 0.15) * sr), int((note.start + note.duration - 0.08) * sr)
    f_written = 440.0 * 2 ** ((note.key - 69) / 12)
    f0 = librosa.yin(x[a:b].astype(np.float64), fmin=f_written / 1.5, fmax=f_written * 1.5, sr=sr,
                     frame_length=4096, hop_length=512)
    return float(np.median(f0))


def cents(f: float, key: int) -> float:
    return 1200 * np.log2(f / (440.0 * 2 ** ((key - 69) / 12)))


def violin_phrase(seed: int = 0):
    desc = SourceDescription("violin", "wood", "bowed slowly", model="gm_instrument")
    program, notes = inst.phrase(desc, 5.0, np.random.default_rng(seed))
    return desc, program, notes


def test_violin_phrase_is_legato_in_its_register_and_in_tune():
    for seed in (0, 1, 2):
        _desc, program, notes = violin_phrase(seed)
        assert program == 40
        lo, hi = inst.register(40)
        assert len(notes) >= 3 and all(lo <= n.key <= hi for n in notes)
        # legato: each note starts before the previous one ends
        assert all(b.start < a.start + a.duration for a, b in zip(notes, notes[1:], strict=False))
        x = inst.render_notes(program, notes, int(5.0 * SR), SR).mean(axis=0)
        for n in notes:
            if n.duration < 0.4:
                continue
            c = cents(note_pitch(x, SR, n), n.key)
            assert abs(c) < 10, (seed, n, c)


@pytest.mark.peer
def test_violin_phrase_matches_the_fluidsynth_cli(tmp_path):
    if shutil.which("fluidsynth") is None:
        pytest.skip("the fluidsynth CLI is not installed")
    _desc, program, notes = violin_phrase(1)
    mid = inst.phrase_midi(program, notes, tmp_path / "phrase.mid")
    wav = tmp_path / "cli.wav"
    subprocess.run(["fluidsynth", "-ni", "-R", "0", "-C", "0", "-g", str(inst.SYNTH_GAIN), "-r", str(SR),
                    "-F", str(wav), str(default_soundfont()), str(mid)], check=True, capture_output=True, timeout=60)
    peer, sr = sf.read(str(wav), always_2d=True)
    assert sr == SR
    peer = peer.mean(axis=1)
    ours = inst.render_notes(program, notes, peer.size, SR).mean(axis=0)
    for n in notes:
        if n.duration < 0.4:
            continue
        f_ours, f_peer = note_pitch(ours, SR, n), note_pitch(peer, SR, n)
        assert abs(1200 * np.log2(f_ours / f_peer)) < 3, (n, f_ours, f_peer)
        assert abs(cents(f_peer, n.key)) < 10
    # the same notes at the same times: the 20 ms envelopes agree
    k = int(0.02 * SR)
    m = min(ours.size, peer.size) // k * k
    e1 = np.sqrt((ours[:m] ** 2).reshape(-1, k).mean(axis=1))
    e2 = np.sqrt((peer[:m] ** 2).reshape(-1, k).mean(axis=1))
    assert np.corrcoef(e1, e2)[0, 1] > 0.95


@pytest.mark.parametrize("name,program", [
    ("violin", 40), ("cello", 42), ("piano", 0), ("grand piano", 0), ("guitar", 24), ("electric guitar", 27),
    ("trumpet", 56), ("flute", 73), ("harp", 46), ("accordion", 21), ("church organ", 19), ("saxophone", 65),
    ("double bass", 43), ("xylophone", 13), ("timpani", 47), ("bass guitar", 33),
])
def test_program_inferred_from_the_name(name, program):
    assert inst.program_for(SourceDescription(name)) == (program, None)


def test_program_and_drums_from_the_description_win():
    assert inst.program_for(SourceDescription("thing", gm_program=71)) == (71, None)
    assert inst.program_for(SourceDescription("snare drum", gm_drums=True)) == (None, (38,))
    assert inst.program_for(SourceDescription("drum kit")) == (None, ())
    assert inst.program_for(SourceDescription("bass drum")) == (None, (36,))
    with pytest.raises(ConfigError, match="0-127"):
        inst.program_for(SourceDescription("violin", gm_program=128))


def test_play_method_shapes_the_phrase():
    rng = np.random.default_rng
    _, plucked = inst.phrase(SourceDescription("guitar", play_method="plucked"), 5.0, rng(0))
    _, struck = inst.phrase(SourceDescription("piano", play_method="struck"), 5.0, rng(0))
    _, rolled = inst.phrase(SourceDescription("timpani", play_method="rolled"), 5.0, rng(0))
    _, snare = inst.phrase(SourceDescription("snare drum", play_method="drum roll"), 5.0, rng(0))
    step = np.diff([n.start for n in plucked])
    assert 0.15 < np.median(step) < 0.25  # an arpeggio of short steps
    assert len({n.key for n in plucked}) >= 4
    gaps = [b.start - (a.start + a.duration) for a, b in zip(struck, struck[1:], strict=False)]
    assert min(gaps) > 0  # separate hits
    for roll, lo, hi in ((rolled, 12, 16), (snare, 14, 18)):
        rate = 1 / np.median(np.diff([n.start for n in roll]))
        assert lo - 0.5 < rate < hi + 0.5, rate
    assert all(n.channel == inst.DRUM_CHANNEL and n.key == 38 for n in snare)


def test_drum_kit_groove_on_channel_10():
    program, notes = inst.phrase(SourceDescription("drum kit", play_method="played"), 5.0, np.random.default_rng(0))
    assert program is None
    keys = {n.key for n in notes}
    assert {36, 38, 42} <= keys and all(n.channel == 9 for n in notes)
    x = inst.render_notes(None, notes, 5 * SR, SR).mean(axis=0)
    # a kick note sounds: energy below 150 Hz right after its onset
    kick = next(n for n in notes if n.key == 36)
    seg = x[int(kick.start * SR):int((kick.start + 0.1) * SR)]
    power = np.abs(np.fft.rfft(seg)) ** 2
    f = np.fft.rfftfreq(seg.size, 1 / SR)
    assert power[f < 200].sum() > 0.5 * power.sum()


def test_deterministic_per_seed_and_registered():
    desc = SourceDescription("cello", "wood", "bowed")
    assert choose_model(desc)[0] == "gm_instrument"
    assert MODEL_FUNCS["gm_instrument"] is inst.m_gm_instrument
    a, choice = synthesize(desc, 3.0, seed=5)
    b, _ = synthesize(desc, 3.0, seed=5)
    c, _ = synthesize(desc, 3.0, seed=6)
    assert choice.model == "gm_instrument"
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.isfinite(a).all() and abs(20 * np.log10(np.abs(a).max()) + 1.0) < 0.01


def test_rendering_does_not_depend_on_what_was_rendered_before():
    _desc, program, notes = violin_phrase(0)
    first = inst.render_notes(program, notes, 3 * SR, SR)
    _, drums = inst.phrase(SourceDescription("drum kit"), 2.0, np.random.default_rng(1))
    inst.render_notes(None, drums, 100_003, SR)  # other notes, a length that is not a whole FluidSynth period
    assert np.array_equal(inst.render_notes(program, notes, 3 * SR, SR), first)


def test_audioset_classes_follow_the_gm_family():
    assert "Violin, fiddle" in inst.audioset_for(SourceDescription("violin"))
    assert "Trumpet" in inst.audioset_for(SourceDescription("trumpet"))
    assert "Drum kit" in inst.audioset_for(SourceDescription("drum kit"))
    assert set(inst.audioset_for(SourceDescription("piano"))) <= set(inst.AUDIOSET["gm_instrument"])


def test_soundfont_loaded_once_per_process():
    first = inst._synth(SR)
    assert inst._synth(SR) is first and len(first.soundfonts) == 1
    inst.render_notes(0, [inst.Note(60, 100, 0.0, 0.2)], SR // 2, SR)
    assert inst._synth(SR) is first


@pytest.mark.parametrize("rate", [22050, 192000])
def test_in_tune_at_other_sample_rates(rate):
    note = inst.Note(69, 100, 0.05, 1.0)
    x = inst.render_notes(40, [note], int(1.2 * rate), rate).mean(axis=0)
    assert x.shape == (int(1.2 * rate),)
    assert abs(cents(note_pitch(x, rate, note), 69)) < 10


@pytest.mark.parametrize("name,play,model", [
    ("timpani", "rolled", "gm_instrument"), ("snare drum", "drum roll", "gm_instrument"),
    ("cello", "bowed", "gm_instrument"), ("guitar", "strummed", "gm_instrument"),
    ("suitcase", "rolled along the platform", "rolling"), ("church bell", "ringing", "bell"),
])
def test_play_words_side_with_the_instrument_named(name, play, model):
    assert choose_model(SourceDescription(name, "", play))[0] == model


def test_a_preset_that_stops_below_the_register_is_played_an_octave_lower():
    """TimGM6mb's whistle (GM 78) has no sample above about key 78; its phrase (74-96) must still sound."""
    from server.sounds.synth import SourceDescription, synthesize

    x, choice = synthesize(SourceDescription("whistle", "metal", "short trills", model="gm_instrument",
                                             gm_program=78), 3.0, seed=0)
    assert choice.model == "gm_instrument"
    assert float(np.sqrt(np.mean(np.square(x)))) > 0.01
