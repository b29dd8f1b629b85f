"""The offline backend and the evidence every backend is checked against.

:func:`gather_evidence` runs the detector (boxes), the ImageNet classifier on the whole picture and
on every box cropped with context (and on each object of a plain background that no box covers),
and the pixel cues. :func:`builtin_scene` turns that evidence into a SceneSpec with no language
model: each box is named by detector and classifier together (:func:`name_region`), the seed's
duplicate rule and the crowd rule apply (:func:`dedupe`, :func:`crowd_rule`), the whole picture's
classes name what no box found, and ambiences come only from evidence (a classifier label such as
'seashore', or colour *and* texture cues). Names come from the sound vocabulary (:mod:`server.vocab`),
and each variant carries its sound model, AudioSet classes and GM program.
:func:`ground` is the hallucination guard for the VLM and caption backends.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from .cues import Cues, ambience_source, ambience_sources, measure, mood_from_cues, mood_words, scene_words
from .detect import DUPLICATE_OVERLAP, Detection, intersection, overlap_of_smaller, run_detector
from .labels import (
    SOUND_TABLE,
    SoundEntry,
    canonical_label,
    sound_for_imagenet,
    sound_for_label,
    vocabulary_hints,
)
from .spec import SceneSpec, SoundSource, Variant

log = logging.getLogger(__name__)

CLASSIFIER_MIN = 0.3  # a classifier label below this probability is not evidence (hallucination guard)
SPECIALISE_MIN = 0.25  # classifier mass on a kind the detector's class covers: the classifier names it
NAME_MIN = 0.3  # ...and its top class is named (a husky) when at least this sure, otherwise the kind (dog)
CORRECT_MIN = 0.5  # classifier mass on another sounding kind: it overrules the detector (lion, not dog)
REGION_MIN = 0.3  # a foreground blob with no detector box is named when the classifier is this sure
SUPPORT_MIN = 0.1  # on a plain background a detector class needs this much classifier mass on its kinds
WHOLE_MIN = 0.15  # whole-picture classifier: the top kind becomes a source when nothing else was found
WHOLE_MORE = 0.3  # ...further kinds (and any kind beside detected objects) need this much
WHOLE_EXTRA = 0.4  # whole-picture kind added next to detected objects that missed it
AMBIENCE_MIN = 0.2  # a classifier ambience (seashore, volcano, restaurant) becomes an ambience source
FILL = 0.5  # a box covering this share of the picture fills it (a close-up, a cut-out)
CROWD = 4  # this many persons or more become one crowd source plus the two most prominent persons
MAX_SOURCES = 8
KEEP_TOP, KEEP_P = 100, 0.002  # classifier classes kept per picture or box
MAX_REGIONS = 8  # boxes classified per picture (detections first, then foreground blobs)
GUARD_MODES = ("flag", "drop", "off")
# detector classes that hold or carry other things: a confident classifier label on their box adds
# that object beside them instead of renaming them (a person playing a violin, a cup on a table)
HOSTS = {"person", "dining table", "bed", "couch", "bench", "chair"}
_INDOOR_KEYS = {"dining table", "chair", "couch", "tv", "laptop", "refrigerator", "microwave", "oven", "sink",
                "toilet", "book", "cup", "bowl", "vase", "clock"}


@dataclass
class Region:
    """A box and what the ImageNet classifier sees in it (cropped with context)."""

    box: tuple[float, float, float, float]
    classes: list[tuple[int, str, float]]
    detection: Detection | None = None  # None for a foreground blob on a plain background


@dataclass
class Evidence:
    detections: list[Detection] = field(default_factory=list)
    classes: list[tuple[int, str, float]] = field(default_factory=list)  # ImageNet (index, label, p), whole picture
    cues: Cues | None = None
    regions: list[Region] = field(default_factory=list)

    def keys(self) -> dict[str, float]:
        """Sound-table keys and vocabulary sources seen (detector or classifier) -> best score."""
        out: dict[str, float] = {}
        for d in self.detections:
            for lab in [d.label, *d.merged]:
                k = canonical_label(lab)
                out[k] = max(out.get(k, 0.0), d.score)
        for classes in [self.classes, *(r.classes for r in self.regions)]:
            for idx, _lab, p in classes:
                if p < CLASSIFIER_MIN:
                    continue
                hit = sound_for_imagenet(idx)
                if hit:
                    for k in (hit[0], hit[1].name.lower()):
                        out[k] = max(out.get(k, 0.0), p)
        return out

    def words(self) -> set[str]:
        """Words of every label seen, and of the sound-table names they map to."""
        ws: set[str] = set()
        for k in self.keys():
            ws |= _words(k)
            entry = SOUND_TABLE.get(k)
            if entry:
                ws |= _words(entry.name)
        for classes in [self.classes, *(r.classes for r in self.regions)]:
            for _idx, lab, p in classes:
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
    """Detector boxes, the classifier on the whole picture and on every box (and on each object of a
    plain background that no box covers), and the pixel cues."""
    dets = run_detector(rgb, detector, **det_options)
    classes: list[tuple[int, str, float]] = []
    regions: list[Region] = []
    if classifier:
        from .detect import classify, classify_box
        from .regions import foreground_boxes, plain_border

        plain = plain_border(rgb)
        # every class above KEEP_P is kept, so a kind split over many classes (118 dog breeds, dozens of
        # birds) is judged by its whole probability, not by the few of its classes in a top 5
        classes = classify(rgb, top=KEEP_TOP, min_p=KEEP_P, pad=plain)
        for d in dets[:MAX_REGIONS]:
            regions.append(Region(d.box, classify_box(rgb, d.box, top=KEEP_TOP, min_p=KEEP_P, pad=plain), d))
        for box in foreground_boxes(rgb, exclude=[d.box for d in dets]):
            if len(regions) >= MAX_REGIONS:
                break
            if _box_area(box) > 0.9:
                continue  # the whole picture: its classes are already known
            if any(_iou(box, d.box) > 0.4 or (overlap_of_smaller(box, d.box) > 0.7 and _box_area(box) < 2 * d.area)
                   for d in dets):
                continue  # a detector box already covers this object
            regions.append(Region(box, classify_box(rgb, box, context=0.08, top=KEEP_TOP, min_p=KEEP_P, pad=plain),
                                  None))
    return Evidence(dets, classes, measure(rgb), regions)


def _box_area(b: tuple[float, ...]) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    inter = intersection(a, b)
    union = _box_area(a) + _box_area(b) - inter
    return inter / union if union > 0 else 0.0


def depth_from_box(box: tuple[float, float, float, float]) -> float:
    """Nearer objects are larger and lower in the frame: 0 nearest .. 1 farthest (a monocular guess)."""
    x0, y0, x1, y1 = box
    size = np.sqrt(max(x1 - x0, 0) * max(y1 - y0, 0))
    return round(float(np.clip(1.0 - (0.75 * size + 0.35 * y1), 0.0, 1.0)), 3)


# ---- naming: detector + classifier fusion (pure) ------------------------------------------------------
@dataclass
class Named:
    """An object named from the evidence, before it becomes a SoundSource."""

    entry: SoundEntry
    confidence: float
    named_by: str
    label: str
    label_confidence: float
    box: tuple[float, float, float, float] | None = None
    detector_label: str | None = None
    detector_confidence: float | None = None

    @property
    def area(self) -> float:
        return _box_area(self.box) if self.box else 0.0


def kind_masses(classes: list[tuple[int, str, float]]) -> dict[str, tuple[float, SoundEntry, float]]:
    """Vocabulary source -> (summed probability of its classes, entry of its best class, that class's p).

    Silent classes are left out (they name nothing)."""
    out: dict[str, tuple[float, SoundEntry, float]] = {}
    for idx, _lab, p in classes:
        hit = sound_for_imagenet(idx)
        if hit is None:
            continue
        key, entry = hit
        if key in out:
            m, e, bp = out[key]
            out[key] = (m + p, e, bp)
        else:
            out[key] = (p, entry, p)
    return out


def _from_classifier(key: str, mass: float, entry: SoundEntry, best_p: float, by: str, box=None,
                     det: Detection | None = None, confidence: float | None = None) -> Named:
    label = entry.label
    if best_p < NAME_MIN and entry.source != entry.name:
        # several classes of one kind share the mass (husky 0.25, malamute 0.2): name the kind
        from ..vocab import vocabulary
        from .labels import entry_view

        entry = entry_view(vocabulary().source_entry(key))
    return Named(entry, round(float(confidence if confidence is not None else mass), 4), by,
                 label, round(float(mass), 4), box,
                 f"coco:{canonical_label(det.label)}" if det is not None else None,
                 det.score if det is not None else None)


def best_family(masses: dict[str, tuple[float, SoundEntry, float]]) -> tuple[float, SoundEntry, str] | None:
    """The COCO class whose kinds (its own and the ones it covers) hold the most classifier mass:
    (mass, that class's entry, label of the best class in it). "A bird, not sure which" is still a bird."""
    from ..vocab import vocabulary

    voc = vocabulary()
    best = None
    for lab, ref in voc.coco.items():
        if ref.silent or ref.source is None:
            continue
        kinds = {ref.source, *ref.covers}
        inside = [v for k, v in masses.items() if k in kinds]
        if len(inside) < 2:
            continue  # one kind alone is judged as that kind
        m = sum(v[0] for v in inside)
        if best is None or m > best[0]:
            top = max(inside, key=lambda v: v[2])
            entry = sound_for_label(lab)
            if entry is not None:
                best = (m, entry, top[1].label)
    return best


def _classifier_only(masses: dict[str, tuple[float, SoundEntry, float]], minimum: float, box=None,
                     det: Detection | None = None) -> list[Named]:
    """Name a region from the classifier alone: its best kind, or else its best family, if sure enough."""
    if masses:
        key, (m, e, bp) = max(masses.items(), key=lambda kv: kv[1][0])
        if m >= minimum and not e.ambience:
            return [_from_classifier(key, m, e, bp, "classifier", box, det)]
    fam = best_family(masses)
    if fam is not None and fam[0] >= minimum:
        m, entry, label = fam
        return [Named(entry, round(m, 4), "classifier", label, round(m, 4), box,
                      f"coco:{canonical_label(det.label)}" if det is not None else None,
                      det.score if det is not None else None)]
    return []


def name_region(region: Region, plain: bool = False) -> list[Named]:
    """Name one box from the detector's class and the classifier's view of the crop.

    A classifier kind that the detector's class covers (a husky for 'dog', an owl for 'bird') names
    it when its mass reaches SPECIALISE_MIN; a different sounding kind overrules the detector when
    its mass reaches CORRECT_MIN and beats the covered kinds (a lion boxed as 'dog'). On a host box
    (a person, a table) that different kind is added beside the host instead. A silent detector
    class may still be named by the classifier."""
    d = region.detection
    masses = kind_masses(region.classes)
    if d is None:
        return _classifier_only(masses, REGION_MIN, region.box)
    det_entry = sound_for_label(d.label)
    coco = canonical_label(d.label)
    accepted = set()
    if det_entry is not None:
        from ..vocab import vocabulary

        ref = vocabulary().coco.get(coco)
        accepted = {det_entry.source, *(ref.covers if ref else ())}
    inside = {k: v for k, v in masses.items() if k in accepted}
    if plain and region.classes and det_entry is not None and sum(v[0] for v in inside.values()) < SUPPORT_MIN:
        # a cut-out on a plain background is outside the detector's photographs (it calls things
        # floating on white 'kite' or 'airplane'): without the classifier's support its class does not count
        return _classifier_only(masses, REGION_MIN, region.box, d)
    outside = {k: v for k, v in masses.items() if k not in accepted and not v[1].ambience}
    best_in = max(inside.items(), key=lambda kv: kv[1][0]) if inside else None
    best_out = max(outside.items(), key=lambda kv: kv[1][0]) if outside else None
    in_mass = sum(v[0] for v in inside.values())
    out: list[Named] = []
    host = coco in HOSTS
    overruled = (best_out is not None and best_out[1][0] >= CORRECT_MIN and best_out[1][0] > in_mass
                 and not host)
    if overruled:
        key, (m, e, bp) = best_out
        return [_from_classifier(key, m, e, bp, "classifier", d.box, d)]
    if det_entry is not None:
        if best_in is not None and best_in[1][0] >= SPECIALISE_MIN:
            key, (m, e, bp) = best_in
            conf = 1 - (1 - d.score) * (1 - min(m, 0.99))
            out.append(_from_classifier(key, m, e, bp, "detector+classifier", d.box, d, confidence=conf))
        else:
            out.append(Named(det_entry, d.score, "detector", det_entry.label, d.score, d.box))
    else:
        return _classifier_only(outside, REGION_MIN, d.box, d)
    if host and best_out is not None and best_out[1][0] >= CORRECT_MIN:
        key, (m, e, bp) = best_out
        out.append(_from_classifier(key, m, e, bp, "classifier", d.box))
    return out


def dedupe(named: list[Named], overlap: float = DUPLICATE_OVERLAP) -> list[Named]:
    """The seed's duplicate rule on named objects: the same kind overlapping on >= 50 % of the smaller
    box is one object (the larger box is kept, with the higher confidence); different kinds never
    merge. A boxless source of a kind that already has a box is dropped."""
    boxed = sorted((n for n in named if n.box is not None), key=lambda n: -n.area)
    kept: list[Named] = []
    for n in boxed:
        host = next((k for k in kept if k.entry.source == n.entry.source
                     and overlap_of_smaller(n.box, k.box) >= overlap), None)
        if host is None:
            kept.append(n)
        elif n.confidence > host.confidence:
            host.confidence = n.confidence
    for n in sorted((n for n in named if n.box is None), key=lambda n: -n.confidence):
        if all(k.entry.source != n.entry.source for k in kept):
            kept.append(n)
    return kept


def crowd_rule(named: list[Named], minimum: int = CROWD) -> list[Named]:
    """Many people (>= ``minimum``) become one crowd source (the union of their boxes) plus the two
    most prominent persons (largest boxes)."""
    persons = [n for n in named if n.entry.source == "person" and n.box is not None]
    if len(persons) < minimum:
        return named
    from ..vocab import vocabulary
    from .labels import entry_view

    union = (min(p.box[0] for p in persons), min(p.box[1] for p in persons),
             max(p.box[2] for p in persons), max(p.box[3] for p in persons))
    crowd = Named(entry_view(vocabulary().source_entry("crowd")), max(p.confidence for p in persons),
                  "detector", "coco:person", max(p.label_confidence for p in persons), union)
    keep = sorted(persons, key=lambda p: -p.area)[:2]
    rest = [n for n in named if n not in persons]
    return [crowd, *keep, *rest]


def name_objects(ev: Evidence) -> list[Named]:
    """Every sound-making object the evidence names: regions first, then the whole picture."""
    named: list[Named] = []
    regions = ev.regions or [Region(d.box, [], d) for d in ev.detections]
    plain = bool(ev.cues is not None and ev.cues.plain)
    for r in regions:
        named += name_region(r, plain)
    named = dedupe(named)
    whole = kind_masses(ev.classes)
    fills = any(_box_area(r.box) >= FILL for r in regions) and len(regions) == 1
    present = {n.entry.source for n in named}
    ranked = sorted(((k, v) for k, v in whole.items() if not v[1].ambience), key=lambda kv: -kv[1][0])
    if not named or fills:
        for i, (key, (m, e, bp)) in enumerate(ranked):
            if key in present or m < (WHOLE_MIN if i == 0 and not named else WHOLE_MORE):
                continue
            named.append(_from_classifier(key, m, e, bp, "classifier"))
            present.add(key)
        if not named:
            fam = best_family(whole)
            if fam is not None and fam[0] >= WHOLE_MIN:
                named.append(Named(fam[1], round(fam[0], 4), "classifier", fam[2], round(fam[0], 4)))
    else:
        for key, (m, e, bp) in ranked:
            if key not in present and m >= WHOLE_EXTRA:
                named.append(_from_classifier(key, m, e, bp, "classifier"))
                present.add(key)
    return crowd_rule(dedupe(named))


def _source(entry: SoundEntry, **extra) -> SoundSource:
    if entry.plays:
        variants = [Variant(play_method=p.method, timbre=list(p.timbre), mapping_to_music_instrument=p.role,
                            sound_model=p.sound_model, audioset=list(p.audioset),
                            **({"gm_program": p.gm_program} if p.gm_program is not None else {}),
                            **({"gm_drums": True} if p.gm_drums else {}))
                    for p in entry.plays]
    else:
        variants = [Variant(play_method=p, timbre=list(t), mapping_to_music_instrument=r) for p, t, r in entry.variants]
    return SoundSource(name=entry.name, material=entry.material, variants=variants, **extra)


def _to_source(n: Named) -> SoundSource:
    extra: dict = {"confidence": round(min(1.0, n.confidence), 4), "grounded": True, "named_by": n.named_by}
    if n.box is not None:
        extra.update(box=n.box, depth=depth_from_box(n.box))
    if n.label:
        extra.update(label=n.label, label_confidence=round(min(1.0, n.label_confidence), 4))
    if n.detector_label:
        extra.update(detector_label=n.detector_label, detector_confidence=n.detector_confidence)
    return _source(n.entry, **extra)


def builtin_scene(ev: Evidence) -> SceneSpec:
    """A SceneSpec from detector, classifier and cue evidence alone (the ``builtin`` backend)."""
    cues = ev.cues
    if cues is None:
        raise ConfigError("builtin_scene needs evidence with pixel cues (use gather_evidence)")
    named = sorted(name_objects(ev), key=lambda n: -n.confidence)[: MAX_SOURCES - 1]
    sources: list[SoundSource] = []
    counts: dict[str, int] = {}
    for n in named:
        src = _to_source(n)
        k = counts[src.name] = counts.get(src.name, 0) + 1
        if k > 1:
            src = src.model_copy(update={"name": f"{src.name} {k}"})
        sources.append(src)
    indoor = any(canonical_label(d.label) in _INDOOR_KEYS for d in ev.detections) or any(
        n.entry.group == "household" for n in named)
    ambiences = _classifier_ambiences(ev)
    have = {a.name for a in ambiences}
    ambiences += [a for a in ambience_sources(cues, indoor=indoor) if a.name not in have]
    sources += ambiences[: max(1, MAX_SOURCES - len(sources))]
    if not sources:
        # nothing at all: one quiet, ungrounded room tone so later stages have something to play
        sources.append(ambience_source("room tone", 0.1, grounded=False))
    mood = mood_from_cues(cues)
    objects = [s.name for s in sources if not s.ambience]
    amb = [s.name for s in sources if s.ambience]
    what = ", ".join(objects) if objects else "no distinct sound-making object"
    desc = f"A scene {scene_words(cues)} with {what}"
    desc += f"; ambience of {', '.join(amb)}." if amb else "."
    return SceneSpec(scene_description=desc, mood_description=mood_words(mood), sound_sources=sources, mood=mood)


def _classifier_ambiences(ev: Evidence) -> list[SoundSource]:
    """Ambiences the whole-picture classifier names with confidence (seashore -> sea, volcano)."""
    out = []
    for key, (m, e, _bp) in sorted(kind_masses(ev.classes).items(), key=lambda kv: -kv[1][0]):
        if e.ambience and m >= AMBIENCE_MIN:
            out.append(ambience_source(key, m, name=e.name, named_by="classifier", label=e.label))
    return out


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
        if src.named_by is None:
            update["named_by"] = "vlm"
        if any(v.sound_model is None for v in src.variants):
            # what the vocabulary says the named thing sounds like, for the sounds step
            variants = []
            for v in src.variants:
                hints = None if v.sound_model else vocabulary_hints(src.name, v.play_method, v.timbre)
                variants.append(v.model_copy(update=hints) if hints else v)
            update["variants"] = variants
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
