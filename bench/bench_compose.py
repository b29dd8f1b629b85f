"""The composer over every genre, five moods (the circumplex's four quadrants and the centre) and three seeds:
time per song, length, and listening-free measures taken from the written MIDI -- the key music21's
Krumhansl-Schmuckler analysis finds (tonic and major/minor, against the composer's tonic and the valence's
mode family), melody chord tones on beats 1 and 3, parallel octaves/unisons between melody and bass at
consecutive shared onsets -- and the pairwise difference of the melodies of the three seeds.
"""

from __future__ import annotations

import io
import itertools
import os
import tempfile
import time
from pathlib import Path

import mido
import numpy as np

MOODS = ((0.7, 0.8), (0.7, 0.2), (-0.6, 0.8), (-0.6, 0.2), (0.0, 0.5))
SEEDS = (0, 1, 2)


def _onsets(mf: mido.MidiFile) -> dict[int, list[tuple[float, int]]]:
    out: dict[int, list] = {}
    for tr in mf.tracks:
        now = 0
        for m in tr:
            now += m.time
            if m.type == "note_on" and m.velocity > 0:
                out.setdefault(m.channel, []).append((now / mf.ticks_per_beat, m.note))
    return {k: sorted(v) for k, v in out.items()}


def run() -> str:
    import music21

    from server.compose import GENRE_NAMES, compose
    from server.compose.mood import MODE_FAMILY

    rows = []
    t_total, n_songs = 0.0, 0
    compose(0.0, 0.5, "pop")  # imports and the first music21 scale outside the timing
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "k.mid"
        for genre in GENRE_NAMES:
            key_exact = family_ok = 0
            chord_hits: list[bool] = []
            parallels = 0
            lengths = []
            diff = []
            n = 0
            for v, a in MOODS:
                melodies = []
                for seed in SEEDS:
                    t0 = time.perf_counter()
                    c = compose(v, a, genre, seed=seed, roles=("bass", "guitar", "keyboard"))
                    mf = c.to_midi()
                    t_total += time.perf_counter() - t0
                    n_songs += 1
                    buf = io.BytesIO()
                    mf.save(file=buf)
                    path.write_bytes(buf.getvalue())
                    k = music21.converter.parse(str(path)).analyze("key.krumhansl")
                    fam = MODE_FAMILY[c.harmony.mode]
                    family_ok += k.mode == fam
                    key_exact += k.mode == fam and k.tonic.pitchClass == c.harmony.tonic
                    on = _onsets(mf)
                    mel = on[c.part("melody").channel]
                    bass = dict((round(t, 4), p) for t, p in on[c.part("bass").channel])
                    chord_hits += [p % 12 in c.chord_tones(int(t // 4)) for t, p in mel if round(t % 4, 4) in (0.0, 2.0)]
                    shared = [(p, bass[round(t, 4)]) for t, p in mel if round(t, 4) in bass]
                    for (m0, b0), (m1, b1) in itertools.pairwise(shared):
                        parallels += ((m0 - b0) % 12 == 0 and (m1 - b1) % 12 == 0
                                      and np.sign(m1 - m0) == np.sign(b1 - b0) != 0)
                    lengths.append(c.seconds)
                    melodies.append(np.diff([p for _t, p in mel]))
                    n += 1
                for x, y in itertools.combinations(melodies, 2):
                    m = min(len(x), len(y), 32)
                    diff.append(float(np.mean(x[:m] != y[:m])))
            rows.append(f"| {genre} | {n} | {key_exact}/{n} | {family_ok}/{n} | {100 * np.mean(chord_hits):.0f} % | "
                        f"{parallels} | {min(lengths):.0f}-{max(lengths):.0f} s | {100 * np.mean(diff):.0f} % |")
    load = os.getloadavg()[0]
    head = ("## Compose\n\n`python -m bench compose`: 8 genres x 5 moods (valence +-0.7/-0.6, arousal 0.8/0.2, and the "
            "centre) x 3 seeds, drums left out of the key analysis. Key: music21 Krumhansl-Schmuckler on the MIDI "
            "(exact = the composer's tonic and mode family; family = major/minor only). Melody/seed difference: "
            "share of the first 32 melodic intervals that differ between two seeds of one mood.\n\n"
            "| genre | songs | key exact | major/minor | chord tones on 1 & 3 | parallel 8ves | length | "
            "melody differs |\n|---|---|---|---|---|---|---|---|")
    foot = (f"\n\nComposing and writing one song: {1000 * t_total / n_songs:.0f} ms on average ({n_songs} songs; "
            f"load average {load:.1f} on {os.cpu_count()} cores).")
    return head + "\n" + "\n".join(rows) + foot
