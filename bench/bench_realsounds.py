"""Real recordings through the same tagger: how far the AudioSet judge itself goes, and how far WAVE's
builtin sounds are from real ones of the same things.

Usage: .venv/bin/python -m bench realsounds [--write]

The recordings are the sound files inside Debian's ``gcompris-qt-data`` (GCompris' activities: farm
animals, musical instruments, everyday sounds; GPL-3 and CC licences, see the package's copyright file),
read from the installed package's Qt resource files at run time; nothing of them is copied into the
repository. Each recording was mapped by hand, from its file name and by listening to nothing else, to the
sound-vocabulary source it is a recording of (:data:`RECORDINGS`), before the tagger was run on it.

Both sides are judged the same way (``server/sounds/tagger.py``): in the branch of, and with the exact class
in the top five among, the AudioSet classes of *any* play of the source (a real horse recording is a neigh,
the vocabulary's first play is hoofbeats) — so the real recording's figure is the judge's ceiling on these
sources, and WAVE's figure (its first play, 3 seeds x 5 s) is the same question asked of the synthesiser.
Caveat: the farm animals (cat, chicken, cow, dog, duck, horse, owl, pig, sheep) were listened to and
measured while the animal models were built (docs/benchmarks.md), so on those the comparison is not
independent.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

RCC_DIR = Path("/usr/share/gcompris-qt/rcc")
# recording (file name inside the resources) -> (vocabulary source, family)
RECORDINGS: dict[str, tuple[str, str]] = {
    "animals/cat.ogg": ("cat", "animals"), "animals/chickens.ogg": ("chicken", "animals"),
    "animals/cow.ogg": ("cattle", "animals"), "animals/dog.ogg": ("dog", "animals"),
    "animals/duck.ogg": ("duck", "animals"), "animals/horse.ogg": ("horse", "animals"),
    "animals/owl.ogg": ("owl", "animals"), "animals/pig.ogg": ("pig", "animals"),
    "animals/sheep.ogg": ("sheep", "animals"), "LRBark_1_LA_cut.ogg": ("dog", "animals"),
    "LRBark_3_LA_cut.ogg": ("dog", "animals"), "LRFrogsInPondDuringStormLACut.ogg": ("frog", "animals"),
    "accordion.ogg": ("accordion", "instruments"), "banjo.ogg": ("banjo", "instruments"),
    "bongo.ogg": ("drum", "instruments"), "cello.ogg": ("cello", "instruments"),
    "drum_kit.ogg": ("drum", "instruments"), "electric_guitar.ogg": ("electric guitar", "instruments"),
    "flute_traversiere.ogg": ("flute", "instruments"), "guitar.ogg": ("acoustic guitar", "instruments"),
    "harmonica.ogg": ("harmonica", "instruments"), "harp.ogg": ("harp", "instruments"),
    "horn.ogg": ("french horn", "instruments"), "maracas.ogg": ("maraca", "instruments"),
    "organ.ogg": ("organ", "instruments"), "piano.ogg": ("grand piano", "instruments"),
    "saxophone.ogg": ("saxophone", "instruments"), "snare_drum.ogg": ("drum", "instruments"),
    "timpani.ogg": ("drum", "instruments"), "trombone.ogg": ("trombone", "instruments"),
    "trumpet.ogg": ("trumpet", "instruments"), "violin.ogg": ("violin", "instruments"),
    "xylofon_son1.wav": ("marimba", "instruments"),
    "LRApplauses_1_LA_cut.ogg": ("applause", "things"), "LRBuddhist_gong_05_LA.ogg": ("gong", "things"),
    "LRDoor_Open_2_LA.ogg": ("door", "things"), "door_open.wav": ("door", "things"),
    "door_close.wav": ("door", "things"), "LRRain_in_garden_01_LA_cut.ogg": ("rain", "things"),
    "LRStartAndStopCarEngine1LACut.ogg": ("car", "things"), "car.wav": ("car", "things"),
    "LRTrain_slowing_down_01_LA_cut.ogg": ("train", "things"), "sounds/train.wav": ("train", "things"),
    "helicopter.wav": ("helicopter", "things"), "lock.wav": ("lock", "things"),
    "eraser.wav": ("eraser", "things"),
}


def read_rcc(path: Path) -> dict[str, bytes]:
    """The files of a Qt resource file (formats 1-3: a tree of nodes, UTF-16 names, zlib/zstd data)."""
    b = path.read_bytes()
    if b[:4] != b"qres":
        raise ValueError(f"{path}: not a Qt resource file")
    version, tree, data, names = struct.unpack(">IIII", b[4:20])
    node = 14 if version == 1 else 22
    out: dict[str, bytes] = {}

    def name(off: int) -> str:
        n = struct.unpack(">H", b[names + off:names + off + 2])[0]
        return b[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    def walk(i: int, prefix: str) -> None:
        o = tree + i * node
        noff, flags = struct.unpack(">IH", b[o:o + 6])
        here = prefix + (name(noff) if i else "")
        if flags & 2:  # directory
            count, first = struct.unpack(">II", b[o + 6:o + 14])
            for c in range(count):
                walk(first + c, here + "/")
            return
        doff = struct.unpack(">I", b[o + 10:o + 14])[0]
        size = struct.unpack(">I", b[data + doff:data + doff + 4])[0]
        raw = b[data + doff + 4:data + doff + 4 + size]
        if flags & 1:
            raw = zlib.decompress(raw[4:])
        elif flags & 4:
            import zstandard

            raw = zstandard.ZstdDecompressor().decompress(raw)
        out[here.lstrip("/")] = raw

    walk(0, "")
    return out


def find_recordings() -> dict[str, bytes]:
    """RECORDINGS' files from the installed package (empty when it is not installed)."""
    found: dict[str, bytes] = {}
    for rcc in sorted(RCC_DIR.glob("*.rcc")) if RCC_DIR.is_dir() else []:
        try:
            files = read_rcc(rcc)
        except (ValueError, struct.error, zlib.error):
            continue
        for path, raw in files.items():
            for key in RECORDINGS:
                if path.endswith("/" + key) and key not in found:
                    found[key] = raw
    return found


def _decode(raw: bytes, sr: int) -> np.ndarray:
    import io

    import soundfile as sf

    x, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    from server.audio.resample import resample

    return resample(x, rate, sr) if rate != sr else x


def judge_all(seeds: tuple[int, ...] = (0, 1, 2), seconds: float = 5.0) -> list[dict]:
    from server.sounds.synth import SourceDescription, synthesize
    from server.sounds.tagger import get_tagger, judge
    from server.vocab import vocabulary

    sr = 16000
    tagger = get_tagger()
    voc = vocabulary()
    rows = []
    for key, raw in find_recordings().items():
        source, family = RECORDINGS[key]
        src = voc.sources[source]
        classes = tuple(dict.fromkeys(c for play in src.plays for c in play.audioset))
        real = _decode(raw, sr)[: int(10 * sr)]
        v_real = judge(tagger.analyse(real, sr), classes)
        play = src.plays[0]
        synth = []
        for seed in seeds:
            desc = SourceDescription(src.name or source, src.material, play.method, tuple(play.timbre),
                                     model=play.sound_model, audioset=tuple(play.audioset),
                                     gm_program=play.gm_program, gm_drums=bool(play.gm_drums))
            audio, _ = synthesize(desc, seconds, seed=seed, sample_rate=sr)
            synth.append(judge(tagger.analyse(audio, sr), classes))
        rows.append({"recording": key, "source": source, "family": family,
                     "real_branch": v_real.in_branch, "real_top5": v_real.class_in_top5,
                     "real_heard": [n for n, _ in v_real.top5[:3]],
                     "wave_branch": float(np.mean([v.in_branch for v in synth])),
                     "wave_top5": float(np.mean([v.class_in_top5 for v in synth]))})
    return rows


def report(rows: list[dict]) -> str:
    if not rows:
        return ("## Real recordings through the same tagger\n\nSkipped: Debian's gcompris-qt-data is not "
                "installed here (apt-get install gcompris-qt-data).")
    fam: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        fam[r["family"]].append(r)
        fam["**all**"].append(r)

    def pct(rs: list[dict], k: str) -> str:
        return f"{100 * np.mean([float(r[k]) for r in rs]):.0f} %"

    lines = ["## Real recordings through the same tagger", "",
             f"`python -m bench realsounds`: {len(rows)} real recordings from Debian's gcompris-qt-data, each mapped "
             "by hand to the vocabulary source it records, judged against the AudioSet classes of any play of that "
             "source; beside it, WAVE's builtin sound for the same source (first play, 3 seeds x 5 s) judged the "
             "same way.", "",
             "| family | recordings | real: in branch | real: class in top 5 | WAVE: in branch | WAVE: class in top 5 |",
             "|---|---|---|---|---|---|"]
    for name in ("animals", "instruments", "things", "**all**"):
        rs = fam.get(name, [])
        if rs:
            lines.append(f"| {name} | {len(rs)} | {pct(rs, 'real_branch')} | {pct(rs, 'real_top5')} | "
                         f"{pct(rs, 'wave_branch')} | {pct(rs, 'wave_top5')} |")
    missed = [f"{r['recording']} ({', '.join(r['real_heard'])})" for r in rows if not r["real_branch"]]
    if missed:
        lines += ["", "Real recordings the tagger put in another branch: " + "; ".join(missed) + "."]
    return "\n".join(lines)


def run() -> str:
    return report(judge_all())


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    print(run())


if __name__ == "__main__":
    main()
