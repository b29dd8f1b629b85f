"""The offline backend and the evidence every backend is checked against.

:func:`gather_evidence` runs the detector (boxes), the ImageNet classifier and the pixel cues;
:func:`builtin_scene` turns that evidence into a SceneSpec with no language model: each detected
sound-producing object becomes a source (box, depth from size and position, confidence), a
confident classifier label adds or confirms one, and the cues add ambiences and a mood.
:func:`ground` is the hallucination guard for the VLM and caption backends.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from .cues import Cues, ambience_sources, measure, mood_from_cues, mood_words, scene_words
from .detect import Detection, run_detector
from .labels import SOUND_TABLE, SoundEntry, canonical_label, sound_for_imagenet, sound_for_label
from .spec import SceneSpec, SoundSource, Variant

log = logging.getLogger(__name__)

CLASSIFIER_MIN = 0.3  # a classifier label below this probability is not evidence
MAX_SOURCES = 8
GUARD_MODES = ("flag", "drop", "off")
_INDOOR_KEYS = {"dining table", "chair", "couch", "tv", "laptop", "refrigerator", "microwave", "oven", "sink",
                "toilet", "book", "cup", "bowl", "vase", "clock"}


@dataclass
class Evidence:
    detections: list[Detection] = field(default_factory=list)
    classes: list[tuple[int, str, float]] = field(default_factory=list)  # ImageNet (index, label, p)
    cues: Cues | None = None

    def keys(self) -> dict[str, float]:
        """Sound-table keys seen (detector or classifier) -> best score."""
        out: dict[str, float] = {}
        for d in self.detections:
            for lab in [d.label, *d.merged]:
                k = canonical_label(lab)
                out[k] = max(out.get(k, 0.0), d.score)
        for idx, lab, p in self.classes:
            if p < CLASSIFIER_MIN:
                continue
            hit = sound_for_imagenet(idx, lab)
            if hit:
                out[hit[0]] = max(out.get(hit[0], 0.0), p)
        return out

    def words(self) -> set[str]:
        """Words of every label seen, and of the sound-table names they map to."""
        ws: set[str] = set()
        for k in self.keys():
            ws |= _words(k)
            entry = SOUND_TABLE.get(k)
            if entry:
                ws |= _words(entry.name)
        for _idx, lab, p in self.classes:
            if p >= CLASSIFIER_MIN:
                ws |= _words(lab)
        return ws


def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z]+", text.lower()):
        if len(w) > 2:
            out.add(w[:-1] if w.endswith("s") and len(w) > 3 else w)
    return out


def gather_evidence(rgb: np.ndarray, *, detector: str = "builtin", classifier: bool = True, **det_options) -> Evidence:
    dets = run_detector(rgb, detector, **det_options)
    classes = []
    if classifier:
        from .detect import classify

        classes = classify(rgb, top=5)
    return Evidence(dets, classes, measure(rgb))


def depth_from_box(box: tuple[float, float, float, float]) -> float:
    """Nearer objects are larger and lower in the frame: 0 nearest .. 1 farthest (a monocular guess)."""
    x0, y0, x1, y1 = box
    size = np.sqrt(max(x1 - x0, 0) * max(y1 - y0, 0))
    return round(float(np.clip(1.0 - (0.75 * size + 0.35 * y1), 0.0, 1.0)), 3)


def _source(entry: SoundEntry, **extra) -> SoundSource:
    variants = [Variant(play_method=p, timbre=list(t), mapping_to_music_instrument=r) for p, t, r in entry.variants]
    return SoundSource(name=entry.name, material=entry.material, variants=variants, **extra)


def builtin_scene(ev: Evidence) -> SceneSpec:
    """A SceneSpec from detector, classifier and cue evidence alone (the ``builtin`` backend)."""
    sources: list[SoundSource] = []
    seen: dict[str, int] = {}
    for d in ev.detections:
        entry = sound_for_label(d.label)
        if entry is None:
            # a merged label may still sound (e.g. a silent host that swallowed a cup): try those
            entry = next((e for e in map(sound_for_label, d.merged) if e is not None), None)
        if entry is None:
            log.debug("dropping silent or unknown label %r", d.label)
            continue
        n = seen.get(entry.name, 0) + 1
        seen[entry.name] = n
        src = _source(entry, box=d.box, depth=depth_from_box(d.box), confidence=d.score, grounded=True)
        if n > 1:
            src = src.model_copy(update={"name": f"{entry.name} {n}"})
        sources.append(src)
    for idx, lab, p in ev.classes:
        if p < CLASSIFIER_MIN:
            continue
        hit = sound_for_imagenet(idx, lab)
        if hit is None:
            continue
        key, entry = hit
        if entry.name in seen:
            # the classifier confirms a detected object: raise its confidence
            for i, s in enumerate(sources):
                if s.name == entry.name and s.confidence is not None and s.confidence < p:
                    sources[i] = s.model_copy(update={"confidence": round(p, 4)})
            continue
        seen[entry.name] = 1
        sources.append(_source(entry, confidence=round(p, 4), grounded=True))
    sources = sorted(sources, key=lambda s: -(s.confidence or 0))[: MAX_SOURCES - 1]
    cues = ev.cues
    if cues is None:
        raise ConfigError("builtin_scene needs evidence with pixel cues (use gather_evidence)")
    indoor = any(canonical_label(d.label) in _INDOOR_KEYS for d in ev.detections)
    ambiences = ambience_sources(cues, indoor=indoor)
    sources += ambiences[: max(1, MAX_SOURCES - len(sources))]
    mood = mood_from_cues(cues)
    objects = [s.name for s in sources if not s.ambience]
    amb = [s.name for s in sources if s.ambience]
    what = ", ".join(objects) if objects else "no distinct sound-making object"
    desc = f"A scene {scene_words(cues)} with {what}; ambience of {', '.join(amb)}."
    return SceneSpec(scene_description=desc, mood_description=mood_words(mood), sound_sources=sources, mood=mood)


_AMBIENCE_WORDS = {"wind", "rain", "water", "river", "sea", "ocean", "wave", "breeze", "air", "room", "ambience",
                   "ambient", "crowd", "traffic", "leave", "leaf", "tree", "bird", "insect", "cricket", "thunder"}


def ground(spec: SceneSpec, ev: Evidence, *, guard: str = "flag") -> SceneSpec:
    """Hallucination guard: mark each source grounded when the detector, classifier or cues back it.

    ``guard='flag'`` keeps ungrounded sources marked ``grounded: false``; ``'drop'`` removes them
    (ambience sources backed by cues are kept); ``'off'`` leaves the spec unchanged. A grounded
    source without a box takes the matching detection's box and depth.
    """
    if guard not in GUARD_MODES:
        raise ConfigError(f"unknown guard {guard!r}; choose one of {', '.join(GUARD_MODES)}")
    if guard == "off":
        return spec
    seen = ev.words()
    cues = ev.cues
    out = []
    for src in spec.sound_sources:
        words = _words(src.name)
        update: dict = {}
        det = next(
            (d for d in ev.detections if words & (_words(d.label) | _words(sound_for_label(d.label).name
                                                                          if sound_for_label(d.label) else ""))),
            None,
        )
        grounded = bool(words & seen)
        if not grounded and cues is not None and (src.ambience or src.box is None) and words & _AMBIENCE_WORDS:
            grounded = (
                (words & {"wind", "breeze", "air"} and cues.sky > 0.2)
                or (words & {"water", "river", "sea", "ocean", "wave"} and cues.water > 0.15)
                or (words & {"leave", "leaf", "tree", "bird", "insect", "cricket"} and cues.foliage > 0.1)
                or (words & {"rain", "thunder"} and cues.overcast)
                or bool(words & {"room", "ambience", "ambient", "air"})
            )
            grounded = bool(grounded)
        update["grounded"] = grounded
        if det is not None and src.box is None and not src.ambience:
            update["box"] = det.box
            update["depth"] = depth_from_box(det.box)
            if src.confidence is None:
                update["confidence"] = det.score
        if not grounded and guard == "drop":
            log.info("dropping ungrounded source %r", src.name)
            continue
        out.append(src.model_copy(update=update))
    return spec.model_copy(update={"sound_sources": out})
