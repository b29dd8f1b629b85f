"""From detector and classifier labels to sound-producing objects, through the sound vocabulary.

The table itself is ``server/vocab/vocabulary.json`` (:mod:`server.vocab`); this module is the scene
step's view of it. :data:`SOUND_TABLE` maps each sounding COCO label to a :class:`SoundEntry` (name,
material, play methods with timbre, role, sound model, AudioSet classes); COCO labels in
:data:`SILENT` make no useful sound and are dropped. Detector labels (COCO, as SSD-MobileNet, YOLO
and DETR name them, or any display name of the vocabulary) are looked up through
:func:`sound_for_label`; ImageNet classifier classes through :func:`sound_for_imagenet`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..vocab import Entry, Play, vocabulary


@dataclass(frozen=True)
class SoundEntry:
    """What a labelled object sounds like (a view of a :class:`server.vocab.Entry`)."""

    name: str
    material: str
    variants: tuple[tuple[str, tuple[str, ...], str | None], ...]  # (play method, timbre, role)
    source: str = ""  # the vocabulary's source key (``dog``, ``big cat``, ``violin``)
    group: str = ""
    ambience: bool = False
    plays: tuple[Play, ...] = ()  # the vocabulary's play methods (sound model, AudioSet classes, GM program)
    label: str = ""  # 'coco:dog', 'imagenet:lion'


def entry_view(e: Entry) -> SoundEntry:
    """A vocabulary entry as a :class:`SoundEntry`."""
    kind = e.key.split(":", 1)[0]
    return SoundEntry(
        name=e.name, material=e.material, variants=tuple((p.method, p.timbre, p.role) for p in e.plays),
        source=e.source, group=e.group, ambience=e.ambience, plays=e.plays,
        label=f"{kind}:{e.label.split(',')[0].strip()}",
    )


def _coco_table() -> tuple[dict[str, SoundEntry], frozenset[str]]:
    voc = vocabulary()
    table: dict[str, SoundEntry] = {}
    silent = set()
    for lab in voc.coco:
        e = voc.coco_entry(lab)
        if e is None:
            silent.add(lab)
        else:
            table[lab] = entry_view(e)
    return table, frozenset(silent)


# key: COCO label (as SSD-MobileNet, YOLO and DETR name them) -> its sound, from the vocabulary
SOUND_TABLE, SILENT = _coco_table()


# Other spellings (YOLO, DETR, Pascal VOC, ImageNet) -> table key.
ALIASES = {
    "motorbike": "motorcycle", "aeroplane": "airplane", "tvmonitor": "tv", "tv monitor": "tv", "television": "tv",
    "sofa": "couch", "diningtable": "dining table", "table": "dining table", "pottedplant": "potted plant",
    "plant": "potted plant", "mobile phone": "cell phone", "phone": "cell phone", "cellphone": "cell phone",
    "hair dryer": "hair drier", "ball": "sports ball", "people": "person", "man": "person", "woman": "person",
    "boy": "person", "girl": "person", "child": "person", "mug": "cup", "glass": "wine glass",
}

# COCO ids as TensorFlow's object-detection models number them (1-based, with gaps).
COCO_TF_LABELS = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train", 8: "truck", 9: "boat",
    10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench", 16: "bird", 17: "cat",
    18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear", 24: "zebra", 25: "giraffe",
    27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase", 34: "frisbee", 35: "skis",
    36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat", 40: "baseball glove", 41: "skateboard",
    42: "surfboard", 43: "tennis racket", 44: "bottle", 46: "wine glass", 47: "cup", 48: "fork", 49: "knife",
    50: "spoon", 51: "bowl", 52: "banana", 53: "apple", 54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot",
    58: "hot dog", 59: "pizza", 60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed",
    67: "dining table", 70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard",
    77: "cell phone", 78: "microwave", 79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book",
    85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear", 89: "hair drier", 90: "toothbrush",
}


def canonical_label(label: str) -> str:
    key = re.sub(r"[_\-]+", " ", label.strip().lower())
    key = re.sub(r"^(a|an|the)\s+", "", key)
    return ALIASES.get(key, key)


@lru_cache(maxsize=1)
def _names() -> dict[str, SoundEntry]:
    """Every display name and source name of the vocabulary (lower case) -> its entry (first one wins)."""
    voc = vocabulary()
    out: dict[str, SoundEntry] = {}
    for e in voc.entries():
        out.setdefault(e.name.lower(), entry_view(e))
    for key, src in voc.sources.items():
        if not src.ambience:
            view = entry_view(voc.source_entry(key))
            out.setdefault(key, view)
            out.setdefault(src.name.lower(), view)
    return out


def sound_for_label(label: str) -> SoundEntry | None:
    """The sound of a detector label (or a vocabulary display name), or None when silent or unknown."""
    key = canonical_label(label)
    if key in SILENT:
        return None
    if key in SOUND_TABLE:
        return SOUND_TABLE[key]
    if key.endswith("s") and key[:-1] in SOUND_TABLE:  # plural
        return SOUND_TABLE[key[:-1]]
    names = _names()
    if key in names:
        return names[key]
    if key.endswith("s") and key[:-1] in names:
        return names[key[:-1]]
    return None


def sound_for_imagenet(index: int, label: str = "") -> tuple[str, SoundEntry] | None:
    """(vocabulary source key, entry) for an ImageNet class index, or None when the class is silent.

    ``label`` is not needed (the index decides); it is kept for callers that pass it."""
    voc = vocabulary()
    if not 0 <= index < len(voc.imagenet):
        return None
    e = voc.imagenet_entry(index)
    if e is None:
        return None
    return e.source, entry_view(e)


@lru_cache(maxsize=1)
def _imagenet_by_label() -> dict[str, int]:
    out: dict[str, int] = {}
    for ref in vocabulary().imagenet:
        if ref.label and ref.id is not None:
            out.setdefault(ref.label.split(",")[0].strip().lower(), ref.id)
    return out


def entry_for_label(label: str) -> SoundEntry | None:
    """The entry behind a source's ``label`` field (``imagenet:lion``, ``coco:dog``, ``source:crowd``)."""
    kind, _, name = label.partition(":")
    voc = vocabulary()
    if kind == "coco":
        return sound_for_label(name)
    if kind == "imagenet":
        idx = _imagenet_by_label().get(name.strip().lower())
        hit = sound_for_imagenet(idx) if idx is not None else None
        return hit[1] if hit else None
    if kind == "source" and name in voc.sources:
        return entry_view(voc.source_entry(name))
    return None


def _words_of(text: str) -> set[str]:
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2}


def vocabulary_hints(name: str, play_method: str, timbre: list[str] | tuple[str, ...] = ()) -> dict | None:
    """Rendering hints (``sound_model``, ``audioset``, ``gm_program``/``gm_drums``) for a variant a
    language model wrote, from the vocabulary entry its source's name maps to: the play method whose
    words overlap the variant's most (the first one when none do). None when the name is unknown."""
    entry = sound_for_label(name)
    if entry is None:
        key = canonical_label(name)
        src = vocabulary().sources.get(key)
        if src is None:
            return None
        entry = entry_view(vocabulary().source_entry(key))
    if not entry.plays:
        return None
    words = _words_of(" ".join([play_method, *timbre]))

    def overlap(p: Play) -> int:  # words shared, a word matching another it begins ('purr', 'purring')
        theirs = _words_of(" ".join([p.method, *p.timbre]))
        return sum(any(a.startswith(b) or b.startswith(a) for b in theirs) for a in words)

    best = max(entry.plays, key=overlap)
    hints: dict = {"sound_model": best.sound_model, "audioset": list(best.audioset)}
    if best.gm_program is not None:
        hints["gm_program"] = best.gm_program
    if best.gm_drums:
        hints["gm_drums"] = True
    return hints
