"""The song of ``wave make``: by default an original song composed for the picture (:func:`compose_plan`,
``server.compose``); with ``--song FILE`` (or a demo song) a mood-fitted arrangement of that file
(:func:`plan`): tempo set by arousal, transposed by valence. Either way each role is panned to where its
source sits in the picture. Pure functions on ``mido.MidiFile`` objects; also the audio the song stage
puts around the song (the scene's soundscape under its intro and outro, :func:`layer_intro_outro`) and
each instrument's scale demo (:func:`scale_demo`).

The rules of the arrangement of a given song:

The rules live in one table (:data:`MOOD_RULES`) so the report and the docs can state them:

* valence >= 0 -> a major-key demo song, valence < 0 -> a minor-key one (``--song`` overrides);
* arousal 0..1 -> tempo ``60 + 80 * arousal`` BPM (60-140), applied by scaling every tempo event of
  the song by one factor (its tempo changes keep their proportions), limited to 0.6-1.6x the song's own;
* valence -> transposition ``round(3 * valence)`` semitones (brighter images play in a higher key);
* each role's MIDI pan (CC 10) = the horizontal centre of its source's box (0 left .. 1 right),
  widened by :data:`PAN_WIDTH`; sources without a box (ambience) sit in the centre.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mido
import numpy as np

from ..errors import ConfigError
from ..midi.roles import DRUM_CHANNEL, ROLES
from ..midi.song import Song, song_from_midifile
from ..paths import REPO_ROOT

log = logging.getLogger(__name__)

MIDI_DIR = REPO_ROOT / "midi"
# mode -> demo song used when the mood asks for that mode
DEMO_SONGS = {"major": MIDI_DIR / "sunday_market.mid", "minor": MIDI_DIR / "harbour_lights.mid"}
MOOD_RULES = {
    "bpm_min": 60.0, "bpm_max": 140.0,  # arousal 0 -> bpm_min, 1 -> bpm_max
    "factor_min": 0.6, "factor_max": 1.6,  # tempo scale limits relative to the song's own tempo
    "transpose_per_valence": 3.0,  # semitones at valence +-1
}
PAN_WIDTH = 1.0  # 1: the picture's edges are hard left / right

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl-Kessler key profiles (major, minor), tonic first.
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass
class Key:
    tonic: int  # pitch class 0 = C
    mode: str  # "major" | "minor"
    score: float = 0.0

    @property
    def name(self) -> str:
        return f"{NOTE_NAMES[self.tonic % 12]} {self.mode}"


def estimate_key(pitch_weights: np.ndarray) -> Key:
    """Krumhansl-Schmuckler: the key whose profile correlates best with 12 pitch-class weights."""
    w = np.asarray(pitch_weights, dtype=float).reshape(12)
    if not np.any(w > 0):
        raise ConfigError("no pitched notes to estimate a key from")
    best = Key(0, "major", -2.0)
    for mode, prof in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
        for t in range(12):
            r = float(np.corrcoef(w, np.roll(prof, t))[0, 1])
            if r > best.score:
                best = Key(t, mode, r)
    return best


def song_pitch_weights(song: Song) -> np.ndarray:
    """Duration-weighted pitch-class histogram of a song's pitched (non-drum) notes."""
    from ..midi.song import NOTE_OFF, NOTE_ON

    w = np.zeros(12)
    start: dict[tuple[int, int], float] = {}
    for e in song.events:
        if e.channel == DRUM_CHANNEL:
            continue
        if e.kind == NOTE_ON and e.b > 0:
            start[(e.channel, e.a)] = e.time
        elif e.kind in (NOTE_ON, NOTE_OFF) and (e.channel, e.a) in start:
            w[e.a % 12] += e.time - start.pop((e.channel, e.a))
    return w


@dataclass
class Arrangement:
    """What the mood decided; stored in make.json and shown in the report."""

    song: str  # path of the source MIDI file
    source_key: str
    source_bpm: float
    valence: float
    arousal: float
    mode: str
    bpm: float  # first tempo of the arranged song
    tempo_factor: float
    transpose: int
    key: str
    pans: dict[str, float] = field(default_factory=dict)  # role -> -1 (left) .. 1 (right)
    chosen_by: str = "mood"  # "composer" | "--song" | "mood" (a demo song chosen by the mood)
    # the composed song (chosen_by == "composer"); see server/compose
    genre: str | None = None
    genre_score: float | None = None
    genre_method: str | None = None
    genre_scores: dict[str, float] = field(default_factory=dict)
    mood_source: str | None = None  # scene | words | neutral
    modal_key: str | None = None  # key and mode, e.g. "D dorian" (``key`` names its major/minor family)
    form: list[dict] = field(default_factory=list)  # name, start_bar, bars, start_s, end_s
    chords: list[str] = field(default_factory=list)  # one symbol per bar
    seed: int | None = None
    seconds: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def role_pans(spec, table: dict[str, tuple[int, int]]) -> dict[str, float]:
    """role -> pan -1..1 from the horizontal centre of the box of the source playing it."""
    pans = {}
    for role in ROLES:
        if role not in table:
            continue
        src = spec.sound_sources[table[role][0]]
        if src.box is None:
            pans[role] = 0.0
        else:
            cx = 0.5 * (src.box[0] + src.box[2])
            pans[role] = float(np.clip((2.0 * cx - 1.0) * PAN_WIDTH, -1.0, 1.0))
    return pans


def plan(mood, pans: dict[str, float], song_path: str | Path | None = None) -> tuple[Arrangement, mido.MidiFile]:
    """Decide the arrangement for a mood (a :class:`server.scene.Mood` or None = neutral)."""
    valence = float(mood.valence) if mood is not None else 0.0
    arousal = float(mood.arousal) if mood is not None else 0.5
    mode = "major" if valence >= 0 else "minor"
    chosen_by = "mood"
    if song_path is None:
        song_path = DEMO_SONGS[mode]
    else:
        chosen_by = "--song"
    song_path = Path(song_path)
    from ..midi.song import load_song

    song = load_song(song_path)
    mf = mido.MidiFile(str(song_path), clip=True)
    src_key = estimate_key(song_pitch_weights(song))
    src_bpm = float(song.tempo_changes[0][1])
    target = MOOD_RULES["bpm_min"] + (MOOD_RULES["bpm_max"] - MOOD_RULES["bpm_min"]) * arousal
    factor = float(np.clip(target / src_bpm, MOOD_RULES["factor_min"], MOOD_RULES["factor_max"]))
    shift = int(round(MOOD_RULES["transpose_per_valence"] * valence))
    key = Key((src_key.tonic + shift) % 12, src_key.mode)
    arr = Arrangement(song=str(song_path), source_key=src_key.name, source_bpm=round(src_bpm, 3),
                      valence=round(valence, 4), arousal=round(arousal, 4), mode=src_key.mode,
                      bpm=round(src_bpm * factor, 3), tempo_factor=round(factor, 6), transpose=shift,
                      key=key.name, pans={r: round(p, 4) for r, p in pans.items()}, chosen_by=chosen_by)
    return arr, apply(mf, arr, song)


def compose_plan(spec, roles, pans: dict[str, float], *, seed: int = 0,
                 genre: str | None = None) -> tuple[Arrangement, mido.MidiFile]:
    """An original song for the scene (``server.compose``): its mood, the genre its description is nearest
    (or ``genre``), parts for ``roles`` only, each role panned to its source (``pans``)."""
    from ..compose import compose_scene

    c = compose_scene(spec, genre=genre, roles=roles, seed=seed)
    info = c.info()
    key = Key(c.harmony.tonic, c.params.family)
    arr = Arrangement(
        song="composed", source_key=key.name, source_bpm=c.bpm, valence=info["valence"], arousal=info["arousal"],
        mode=c.params.family, bpm=c.bpm, tempo_factor=1.0, transpose=0, key=key.name,
        pans={r: round(p, 4) for r, p in pans.items() if r in roles}, chosen_by="composer",
        genre=info["genre"], genre_score=info["genre_score"], genre_method=info["genre_method"],
        genre_scores=info["genre_scores"], mood_source=info["mood_source"], modal_key=info["key"],
        form=info["form"], chords=info["chords"], seed=seed, seconds=info["seconds"])
    mf = c.to_midi()
    return arr, apply(mf, arr, song_from_midifile(mf))


def apply(mf: mido.MidiFile, arr: Arrangement, song: Song | None = None) -> mido.MidiFile:
    """A new MidiFile: tempos scaled, pitched notes transposed, pan CCs set per role."""
    song = song or song_from_midifile(mf)
    chan_role = song.channel_roles()
    out = mido.MidiFile(type=mf.type, ticks_per_beat=mf.ticks_per_beat)
    placed: set[int] = set()
    for track in mf.tracks:
        new = mido.MidiTrack()
        pending = 0  # delta ticks of dropped messages, carried to the next one kept
        for msg in track:
            m = msg.copy()
            m.time += pending
            pending = 0
            if m.is_meta and m.type == "set_tempo":
                m.tempo = int(round(m.tempo / arr.tempo_factor))
            elif m.is_meta and m.type == "key_signature":
                pending = m.time
                continue
            elif not m.is_meta and hasattr(m, "channel"):
                ch = m.channel
                if m.type in ("note_on", "note_off", "polytouch") and ch != DRUM_CHANNEL:
                    m.note = int(np.clip(m.note + arr.transpose, 0, 127))
                if m.type == "control_change" and m.control == 10 and chan_role.get(ch) in arr.pans:
                    pending = m.time  # our pan replaces the song's
                    continue
                role = chan_role.get(ch)
                if role in arr.pans and ch not in placed:
                    placed.add(ch)
                    new.append(mido.Message("control_change", channel=ch, control=10,
                                            value=pan_cc(arr.pans[role]), time=m.time))
                    m.time = 0
            new.append(m)
        out.tracks.append(new)
    return out


def pan_cc(pan: float) -> int:
    """-1..1 -> MIDI CC 10 value 0..127 (64 = centre)."""
    return int(np.clip(round(64 + 63.5 * pan), 0, 127))


def to_song(mf: mido.MidiFile, path: Path | None = None) -> Song:
    return song_from_midifile(mf, path=path, require_notes=False)


# ---- the song stage's audio around the song --------------------------------------------------------
INTRO_OUTRO_DB = -10.0  # level of the scene soundscape under the song's intro and outro (re. its peak)


def layer_intro_outro(song: np.ndarray, scene: np.ndarray, sr: int, level_db: float = INTRO_OUTRO_DB) -> np.ndarray:
    """The soundscape under the first and last seconds of the song: fading out over the intro,
    fading in over the outro, at ``level_db`` relative to the song's peak."""
    out = song.copy()
    n = min(scene.shape[1], out.shape[1] // 2)
    if n <= 0:
        return out
    sc = scene[:, :n] if scene.shape[0] == 2 else np.repeat(scene[:1, :n], 2, axis=0)
    peak = float(np.max(np.abs(sc))) or 1.0
    g = 10 ** (level_db / 20) * float(np.max(np.abs(out)) or 1.0) / peak
    ramp = 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, n, dtype=np.float32))  # 1 -> 0
    out[:, :n] += g * sc * ramp
    out[:, -n:] += g * sc * ramp[::-1]
    peak_out = float(np.max(np.abs(out)))
    if peak_out > 10 ** (-1 / 20):
        out *= 10 ** (-1 / 20) / peak_out
    return out


# Keys played by each role's scale demo (drums: kick, snare, hats, toms, crash).
SCALE_PROGRAMS = {"keyboard": 0, "guitar": 25, "bass": 33}
SCALE_ROOTS = {"keyboard": 60, "guitar": 52, "bass": 36}


SCALE_STEPS = {"major": (0, 2, 4, 5, 7, 9, 11, 12), "minor": (0, 2, 3, 5, 7, 8, 10, 12)}


def scale_demo(role: str, tonic: int = 0, mode: str = "major"):
    """A ``mido.MidiFile``: a one-octave scale (``tonic`` pitch class, ``mode``) up and down on the role's
    GM program, starting on the tonic nearest the role's usual register; or a drum pattern on channel 10."""
    from ..midi.roles import GM_DRUM_KEYS

    mf = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(150)))
    if role == "drums":
        names = [k for k in ("kick", "snare", "closed_hat", "open_hat", "low_tom", "high_tom", "crash")
                 if k in GM_DRUM_KEYS] or list(GM_DRUM_KEYS)[:6]
        keys, ch = [GM_DRUM_KEYS[k] for k in names], DRUM_CHANNEL
    else:
        ch = 0
        tr.append(mido.Message("program_change", channel=0, program=SCALE_PROGRAMS[role]))
        base = SCALE_ROOTS[role]
        root = base + ((tonic - base + 6) % 12) - 6
        up = [root + s for s in SCALE_STEPS[mode]]
        keys = up + up[-2::-1]
    for k in keys:
        tr.append(mido.Message("note_on", channel=ch, note=k, velocity=100, time=0))
        tr.append(mido.Message("note_off", channel=ch, note=k, velocity=0, time=400))
    return mf
