"""The FluidSynth block engine measured: onset times across a tempo change, pitch bend with its RPN
range, sustain pedal, volume/pan controllers, drums, all-notes-off, block-size invariance."""

from __future__ import annotations

import mido
import numpy as np
import pytest
from midi_helpers import GM_FONT, dry, note, seconds_at, write_midi
from render_helpers import SongPlayer

from server.engine.fluid import FluidSynthSource
from server.midi.song import NOTE_ON, Event, load_song
from server.render import RenderSettings, render_midi_file, render_song
from tests.helpers.analysis import cents, f0_autocorr, onsets, rms_db

SR = 48000


def raw(path, **kw):
    return render_midi_file(path, soundfont=GM_FONT, raw=True, progress=False, **kw)


def seg(x, t0, t1):
    return x[:, int(t0 * SR) : int(t1 * SR)]


def test_onsets_within_2ms_across_tempo_change(tmp_path):
    tempos = [(0, 100.0), (8, 137.0)]
    beats = [0, 1, 2.5, 4, 5, 7, 8, 9, 10.5, 12, 13, 14]
    evs = dry(9)
    for b in beats:
        evs += note(b + 1, 0.1, 42, 110, ch=9)  # closed hat, starting one beat in
    out = raw(write_midi(tmp_path / "clicks.mid", evs, [(b, t) for b, t in tempos]), tail=0.5)
    # the hat sample's own onset delay, measured from a note at t=0 (a 64-frame boundary)
    cal = raw(write_midi(tmp_path / "cal.mid", dry(9) + note(0, 0.1, 42, 110, ch=9)), tail=0.5)
    d0 = onsets(cal, SR, threshold_db=-60)[0]
    got = onsets(out, SR, threshold_db=-60, min_gap=0.1)
    want = np.array([seconds_at(b + 1, tempos) for b in beats])
    assert len(got) == len(want)
    err_ms = (got - d0) / SR * 1000 - want * 1000
    assert np.max(np.abs(err_ms)) <= 2.0, err_ms


@pytest.mark.parametrize("bend_range, bend, want_cents", [(12, 4779, 4779 / 8192 * 1200), (2, 8191, 8191 / 8192 * 200),
                                                         (2, -4096, -100.0)])
def test_pitch_bend_follows_rpn_range(tmp_path, bend_range, bend, want_cents):
    ch = 0
    evs = dry(ch) + [(0, mido.Message("program_change", program=80))]
    for cc, v in ((101, 0), (100, 0), (6, bend_range), (38, 0)):
        evs.append((0, mido.Message("control_change", control=cc, value=v)))
    evs += note(0.5, 5, 57)  # A3, square lead, 120 BPM: plays 0.25 s .. 2.75 s
    evs.append((2.5, mido.Message("pitchwheel", pitch=bend)))  # at 1.25 s
    out = raw(write_midi(tmp_path / "bend.mid", evs), tail=0.2)
    f_flat = f0_autocorr(seg(out, 0.5, 1.2), SR)
    f_bent = f0_autocorr(seg(out, 1.5, 2.2), SR)
    # FluidSynth's default pitch-wheel modulator (12700 cents) scales by the sensitivity read as a
    # 7-bit source, range/128: a full bend at range R is R * 99.2 cents (the fluidsynth CLI does the same).
    assert cents(f_bent, f_flat) == pytest.approx(want_cents * 127 / 128, abs=3.0)


def test_sustain_pedal_holds_released_notes(tmp_path):
    base = dry() + note(0, 0.5, 60)  # piano C4, released at 0.25 s
    pedal = [(0.1, mido.Message("control_change", control=64, value=127)),
             (4.0, mido.Message("control_change", control=64, value=0))]
    held = raw(write_midi(tmp_path / "pedal.mid", base + pedal), tail=0.5)
    free = raw(write_midi(tmp_path / "free.mid", base + [(4.0, mido.Message("control_change", control=1, value=0))]), tail=0.5)
    assert rms_db(seg(held, 1.0, 1.5)) - rms_db(seg(free, 1.0, 1.5)) > 20.0
    assert rms_db(seg(held, 1.0, 1.5)) > -60  # still sounding under the pedal


def test_volume_and_pan_controllers(tmp_path):
    def organ(vol, pan):
        evs = dry() + [(0, mido.Message("program_change", program=19)),
                       (0, mido.Message("control_change", control=7, value=vol)),
                       (0, mido.Message("control_change", control=10, value=pan))] + note(0.5, 3, 60)
        return raw(write_midi(tmp_path / f"o{vol}_{pan}.mid", evs), tail=0.1)

    full, half = organ(127, 64), organ(64, 64)
    # General MIDI volume law: 40 log10(v / 127) dB
    assert rms_db(seg(half, 0.6, 1.6)) - rms_db(seg(full, 0.6, 1.6)) == pytest.approx(40 * np.log10(64 / 127), abs=1.0)
    left = seg(organ(127, 0), 0.6, 1.6)
    assert rms_db(left[0]) - rms_db(left[1]) > 20.0


def test_drum_channel_plays_kit(tmp_path):
    def low_share(key):
        """Share of the hit's energy below 200 Hz."""
        x = raw(write_midi(tmp_path / f"d{key}.mid", dry(9) + note(0, 0.5, key, 120, ch=9)), tail=0.3)
        power = np.abs(np.fft.rfft(x.mean(axis=0))) ** 2
        f = np.fft.rfftfreq(x.shape[1], 1 / SR)
        return float(power[f < 200].sum() / power.sum())

    assert low_share(36) > 0.5  # kick
    assert low_share(42) < 0.01  # closed hat


def test_all_notes_off_at_the_end(tmp_path):
    evs = dry() + [(0, mido.Message("program_change", program=19)),
                   (0, mido.Message("note_on", note=60, velocity=100)),
                   (0, mido.Message("control_change", control=64, value=127)),
                   (4, mido.Message("control_change", control=7, value=127))]  # song ends at 2 s, note still held
    out = raw(write_midi(tmp_path / "hang.mid", evs), tail=3.0)
    assert out.shape[1] == 5 * SR
    assert rms_db(seg(out, 1.5, 1.9)) - rms_db(seg(out, 4.5, 5.0)) > 40.0


def test_block_size_does_not_change_the_output(tmp_path):
    evs = dry() + note(0, 1, 60) + note(0.37, 2, 64) + [(1.11, mido.Message("pitchwheel", pitch=3000))]
    song = load_song(write_midi(tmp_path / "b.mid", evs))
    outs = [render_song(song, soundfont=GM_FONT, settings=RenderSettings(raw=True, block=b, tail=0.5, progress=False))
            for b in (64, 333, 1024, 4096)]
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])
    # through the master section too, driven into its limiter (+35 dB)
    hot = [render_song(song, soundfont=GM_FONT, settings=RenderSettings(normalize="none", gain_db=35.0, block=b,
                                                                         tail=0.5, progress=False))
           for b in (333, 4096)]
    assert 20 * np.log10(np.abs(hot[0]).max()) > -1.5
    np.testing.assert_array_equal(hot[1], hot[0])


def test_live_inbox_applies_events_next_block():
    src = FluidSynthSource([GM_FONT], sample_rate=SR)
    src.prepare(SR, 256, 2)
    silence = np.zeros((2, 256), np.float32)
    assert np.abs(src.process(silence)).max() < 1e-6
    src.send(Event(0.0, NOTE_ON, 0, 72, 120))
    blocks = np.concatenate([src.process(silence).copy() for _ in range(40)], axis=1)
    assert np.flatnonzero(np.abs(blocks[0]) > 1e-6)[0] < 256 + 64 * 8
    src.all_notes_off()
    src.process(silence)
    assert src.active_voices >= 0
    src.close()


def test_render_is_the_reference_player_sample_for_sample(tmp_path):
    """The render (the engine's graph, its MIDI player, one shared sampler) equals an independent model: the
    same font in one FluidSynth with each event applied at its exact sample (tests/render_helpers.py)."""
    evs = (dry() + note(0, 1, 60) + note(0.37, 2, 64, ch=1) + note(0.5, 0.5, 38, ch=9)
           + [(0, mido.Message("program_change", channel=1, program=33)),
              (1.11, mido.Message("pitchwheel", pitch=3000)),
              (1.3, mido.Message("control_change", control=64, value=127))])  # held to the end: released there
    song = load_song(write_midi(tmp_path / "c.mid", evs))
    st = RenderSettings(raw=True, block=512, tail=1.0, progress=False)
    ours = render_song(song, soundfont=GM_FONT, settings=st)
    src = FluidSynthSource([GM_FONT], sample_rate=SR)
    try:
        player = SongPlayer(song, src)
        player.prepare(SR, 512, 2)
        ref = np.concatenate([player.process(np.zeros((2, 512), np.float32)).copy()
                              for _ in range(-(-ours.shape[1] // 512))], axis=1)[:, :ours.shape[1]]
    finally:
        src.close()
    assert rms_db(ours) > -50
    np.testing.assert_array_equal(ours, ref)
    np.testing.assert_array_equal(render_song(song, soundfont=GM_FONT, settings=st), ours)  # and again the same


def _sine_sf2(path):
    """A one-preset SF2 made here: a looped sine, 440 Hz at key 69."""
    from server.instruments_build.model import LOOP_CONTINUOUS, Envelope, Instrument, Zone
    from server.instruments_build.sf2 import Preset, write_sf2

    n = SR // 10
    x = (0.7 * np.sin(2 * np.pi * 44 * np.arange(n) / n)).astype(np.float32)
    zone = Zone("sine", x, SR, 69, 0, 127, loop_mode=LOOP_CONTINUOUS, loop_start=0, loop_end=n,
                envelope=Envelope(attack=0.0, hold=0.0, decay=0.0, sustain=1.0, release=0.05))
    return write_sf2(path, "sine", [Instrument("sine", "bass", [zone], SR)], [Preset("sine", 0, 0, 0)])


def test_role_switches_play_as_the_reference_player_routes_them(tmp_path):
    """A channel that switches from piano to a bass program and back is re-routed at its program changes
    (ROUTE events through the engine's player); the reference player re-routes between its events."""
    from server.render import open_source

    evs = dry(0) + [(0, mido.Message("program_change", channel=0, program=0))] + note(0, 1, 60) + note(1, 1, 64)
    evs += [(2, mido.Message("program_change", channel=0, program=33))] + note(2, 1, 45) + note(3, 1, 45)
    evs += [(4, mido.Message("program_change", channel=0, program=0))] + note(4, 1, 60) + note(1.5, 3, 42, ch=9)
    song = load_song(write_midi(tmp_path / "sw.mid", evs))
    font = _sine_sf2(tmp_path / "sine.sf2")
    st = RenderSettings(raw=True, block=1024, tail=0.5, progress=False)
    ours = render_song(song, soundfont=GM_FONT, instruments={"bass": font}, settings=st)
    src, routing = open_source(song, soundfont=GM_FONT, instruments={"bass": font}, sample_rate=SR)
    try:
        assert len(routing.switches) == 2  # to the sine font and back
        player = SongPlayer(song, src, routing.switches, routing.initial)
        player.prepare(SR, 1024, 2)
        ref = np.concatenate([player.process(np.zeros((2, 1024), np.float32)).copy()
                              for _ in range(-(-ours.shape[1] // 1024))], axis=1)[:, :ours.shape[1]]
    finally:
        src.close()
    np.testing.assert_array_equal(ours, ref)
    # the bass stretch is the sine: one partial at A2 (110 Hz)
    bass = ours.mean(axis=0)[int(1.1 * SR):int(1.4 * SR)]  # beats 2-4 at 120 BPM
    spec = np.abs(np.fft.rfft(bass * np.hanning(bass.size)))
    f = np.fft.rfftfreq(bass.size, 1 / SR)
    assert abs(f[np.argmax(spec)] - 110.0) < 5


def test_master_chain_normalises_to_target(tmp_path):
    p = write_midi(tmp_path / "m.mid", note(0, 2, 60) + note(0, 2, 64) + note(0, 2, 67))
    out = render_midi_file(p, soundfont=GM_FONT, progress=False, reverb=0.3)
    assert 20 * np.log10(np.abs(out).max()) == pytest.approx(-1.0, abs=0.01)
    # below the limiter's threshold the master chain is only its gain
    quiet = render_midi_file(p, soundfont=GM_FONT, progress=False, normalize="none", gain_db=-12)
    rawout = raw(p)
    assert rms_db(quiet) == pytest.approx(rms_db(rawout) - 12, abs=0.05)
    # a hot signal is held near the threshold
    hot = render_midi_file(p, soundfont=GM_FONT, progress=False, normalize="none", gain_db=30)
    assert 20 * np.log10(np.abs(hot).max()) < -0.09
