"""``wave make``: image -> scene -> sounds -> timbre -> build -> song -> report, with a per-stage cache.

Orchestration only: each stage is called through one small adapter (``_scene``, ``_sounds``,
``_timbre``, ``_build``, ``_song``, ``_report``) that talks to that stage's public API (a role's variant
sound: :mod:`server.sounds.variants`; latency-aligned transfer: :mod:`server.timbre.align`; the song,
its soundscape layer and scale demos: :mod:`server.make.arrange`); the orchestrator around them handles
the cache, progress, timings and per-source failures.

Output folder ``OUT``::

    scene.json              the SceneSpec (roles assigned)
    sources/NN_<slug>.wav   one mono sound per source (+ NN_<slug>_vK.wav for a role played by variant K)
    scene.wav, sounds.json  the stereo soundscape and the sounds stage's manifest
    timbre/<role>.wav       each role's source passed through its builtin (or given) nn~ model
    instruments/NAME.sf2    the GM-covering instrument set;  sfz_out/NAME/<role>.sfz + samples
    song.mid, song.wav      the song composed for the picture (or --song arranged) and its render with the set
    demos/scale_<role>.wav  a short scale (or drum pattern) per instrument
    report.html             the visual report (images embedded; audio beside it)
    make.json               per-stage cache keys, timings, failures, the arrangement

Cache: a stage is skipped when its key (a hash of its inputs' contents, its settings, the code that
makes it and the keys of the stages before it) matches the one recorded in ``make.json`` and its
outputs exist. ``force`` re-runs everything. The code part hashes the stage's source files and the
builtin models it loads (``STAGE_CODE``), so a changed or upgraded WAVE never reuses a stale result.
The model options (``MakeSettings.models`` over the environment's ``WAVE_*``) count where a stage reads
them: the device for a model scene reader or detector; the device, checkpoints and v2a mapper (its contents
too) for a model sounds backend; none for the builtin backends.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, InputError, OutputError, WaveError
from ..midi.roles import ROLES

if TYPE_CHECKING:
    from ..models.options import ModelOptions

log = logging.getLogger(__name__)

CACHE_VERSION = 1
STAGES = ("scene", "sounds", "timbre", "build", "song", "report")
SCENE_BACKENDS = ("builtin", "qwen2.5-vl", "blip")


@dataclass
class MakeSettings:
    """Everything that changes a result (and so the cache keys). Defaults = ``make demo``."""

    name: str | None = None  # instrument set name (default: from the image file name)
    scene_backend: str = "builtin"
    detector: str = "builtin"
    sounds_backend: str = "builtin"
    timbre_models: dict[str, str] = field(default_factory=dict)  # role -> .ts (default builtin:<role>)
    timbre: bool = True  # False: build instruments from the raw sounds
    seed: int = 0
    seconds: float = 3.0  # length of each generated sound
    step: int = 4  # semitones between the builder's sampled root keys
    song: str | None = None  # MIDI file to arrange; None: a song composed for the picture
    genre: str | None = None  # genre of the composed song; None: chosen from the scene's description
    sample_rate: int = 48000
    layer_scene: bool = True  # soundscape under the intro and outro
    scale_demos: bool = True
    # model options (server.models.options.ModelOptions as a dict: device, sound_model, clap_model, clip_model,
    # v2a_mapper); those left out come from the environment (WAVE_DEVICE ...), as `wave serve` passes them
    models: dict[str, str | None] = field(default_factory=dict)

    def model_options(self) -> ModelOptions:
        """The model options of this run: :attr:`models` over the process's (the environment's)."""
        from ..models.options import ModelOptions, current_options

        return ModelOptions.from_dict(self.models).over(current_options())

    def uses_scene_models(self) -> bool:
        """Whether the scene stage runs a torch model (a VLM/BLIP reader or a transformers/YOLO detector)."""
        return self.scene_backend != "builtin" or self.detector not in ("builtin", "none")

    def check(self) -> None:
        if self.scene_backend not in SCENE_BACKENDS:
            raise ConfigError(f"scene backend {self.scene_backend!r}; choose one of {', '.join(SCENE_BACKENDS)}")
        from ..sounds.generate import MODEL_BACKENDS, parse_backend

        kind, folder = parse_backend(self.sounds_backend)  # builtin, audioldm2, audioldm, v2a or library:DIR
        if kind == "library" and not folder.is_dir():
            raise ConfigError(f"sounds backend {self.sounds_backend!r}: {folder} is not a folder of recordings")
        models = self.model_options()  # unknown option names, a bad device name: ConfigError
        if kind in MODEL_BACKENDS or self.uses_scene_models():
            from ..models.options import resolve_device

            resolve_device(models.device)  # a GPU asked for on a machine without one: one line, before any work
        if kind == "v2a":
            models.mapper_path()  # unset or missing mapper: InputError saying how to get one
        for role in self.timbre_models:
            if role not in ROLES:
                raise ConfigError(f"timbre model for unknown role {role!r}; roles are {', '.join(ROLES)}")
        if not 0.5 <= self.seconds <= 30:
            raise ConfigError(f"sound length {self.seconds} s is outside 0.5-30 s")
        if not 1 <= self.step <= 12:
            raise ConfigError(f"builder step {self.step} must be 1-12 semitones")
        if self.song is not None and not Path(self.song).is_file():
            raise InputError(f"--song {self.song}: no such MIDI file")
        if self.genre is not None:
            from ..compose.genres import genre

            genre(self.genre)  # raises ConfigError naming the genres


@dataclass
class StageRecord:
    name: str
    key: str = ""
    status: str = "pending"  # done | cached | failed | skipped
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)


@dataclass
class MakeResult:
    out_dir: Path
    settings: MakeSettings
    stages: dict[str, StageRecord]
    failures: list[dict]
    arrangement: dict | None
    total_seconds: float

    def to_dict(self) -> dict:
        return {
            "version": CACHE_VERSION,
            "settings": asdict(self.settings),
            "total_seconds": round(self.total_seconds, 3),
            "stages": {k: asdict(v) for k, v in self.stages.items()},
            "failures": self.failures,
            "arrangement": self.arrangement,
        }


# ---- hashing -----------------------------------------------------------------------------------
def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# What each stage's result depends on besides its inputs and settings: its own code, the shared code
# it calls and the builtin model files it may load (paths relative to the repository/package root).
_PKG = Path(__file__).resolve().parent.parent
STAGE_CODE: dict[str, tuple[str, ...]] = {
    "scene": ("scene", "audio"),
    "sounds": ("sounds", "audio"),
    "timbre": ("timbre", "audio", "../instruments/builtin"),
    "build": ("instruments_build", "audio"),
    "song": ("make/arrange.py", "compose", "render", "engine", "midi", "audio"),
    "report": ("make/report.py",),
}
_code_cache: dict[str, str] = {}


def code_fingerprint(stage: str) -> str:
    """A hash of the files a stage's result depends on (``STAGE_CODE``), computed once per process."""
    if stage not in _code_cache:
        h = hashlib.sha256()
        for rel in STAGE_CODE[stage]:
            root = (_PKG / rel).resolve()
            files = sorted(root.rglob("*")) if root.is_dir() else [root]
            for f in files:
                if f.is_file() and f.suffix in (".py", ".ts", ".json") and "__pycache__" not in f.parts:
                    h.update(f.relative_to(root.parent).as_posix().encode())
                    h.update(f.read_bytes())
        _code_cache[stage] = h.hexdigest()[:16]
    return _code_cache[stage]


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def default_name(image: Path) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", image.stem).strip("_.-")[:64]
    return slug or "image"


# ---- progress ------------------------------------------------------------------------------------
PROGRESS_PREFIX = "@wave-progress "


def _print_progress(i: int, stage: str, status: str, seconds: float | None, note: str = "") -> None:
    """``[i/n] stage ...`` lines on stderr; with ``WAVE_PROGRESS=json`` (the live server's jobs) also one
    ``@wave-progress {"fraction": f, "stage": s, "what": text}`` line per step, a protocol, not a log."""
    n = len(STAGES)
    if os.environ.get("WAVE_PROGRESS") == "json":
        done = i - 1 if seconds is None else i
        what = f"{stage} ..." if seconds is None else f"{stage} {status}"
        print(PROGRESS_PREFIX + json.dumps({"fraction": round(done / n, 4), "stage": stage, "index": i,
                                            "stages": n, "status": status, "what": what}),
              file=sys.stderr, flush=True)
    if seconds is None:
        print(f"[{i}/{n}] {stage} ...", file=sys.stderr, flush=True)
    else:
        extra = f"  {note}" if note else ""
        print(f"[{i}/{n}] {stage} {status} in {seconds:.2f} s{extra}", file=sys.stderr, flush=True)


# ---- the orchestrator ---------------------------------------------------------------------------
def make(
    image: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    settings: MakeSettings | None = None,
    *,
    force: bool = False,
    progress: Callable[[int, str, str, float | None, str], None] | None = _print_progress,
    stop_after: str | None = None,
) -> MakeResult:
    """Run the whole pipeline on ``image`` into ``out_dir`` (see the module doc for the layout).

    ``stop_after``: the last stage to run (one of :data:`STAGES`); the later ones are not run and their
    records in ``make.json`` stay as they were, so a later full run reuses what still matches (how
    ``wave batch`` runs the model stages in one process and the rest in another). The result then
    holds the stages run."""
    if stop_after is not None and stop_after not in STAGES:
        raise ConfigError(f"stop_after={stop_after!r} is not a stage; use one of {', '.join(STAGES)}")
    st = settings or MakeSettings()
    st.check()
    image = Path(image)
    if not image.is_file():
        raise InputError(f"{image}: no such image file")
    name = st.name or default_name(image)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise ConfigError(f"set name {name!r} must be 1-64 letters, digits, '_', '-' or '.'")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out}: {exc.strerror}") from exc
    prev = {} if force else _load_record(out)
    t_all = time.perf_counter()
    stages: dict[str, StageRecord] = {}
    failures: list[dict] = []
    ctx: dict[str, Any] = {"image": image, "name": name, "out": out, "settings": st, "failures": failures}
    upstream = _key(CACHE_VERSION, _file_hash(image))
    for i, stage in enumerate(STAGES, 1):
        fn, settings_part = _ADAPTERS[stage]
        key = _key(stage, upstream, settings_part(st, name), code_fingerprint(stage))
        rec = StageRecord(stage, key=key)
        old = prev.get("stages", {}).get(stage)
        if old and old.get("key") == key and old.get("status") in ("done", "cached") and all(
            (out / p).exists() for p in old.get("outputs", [])
        ):
            rec.status, rec.outputs, rec.info = "cached", old["outputs"], old.get("info", {})
            failures.extend(old.get("info", {}).get("failures", []))
            _restore(stage, ctx, rec)
            rec.seconds = float(old.get("seconds", 0.0))  # what making it took, not reloading it
        else:
            if progress:
                progress(i, stage, "running", None, "")
            t0 = time.perf_counter()
            stage_fail_start = len(failures)
            rec.outputs, rec.info = fn(ctx)
            rec.info["failures"] = failures[stage_fail_start:]
            rec.seconds = time.perf_counter() - t0
            rec.status = "done"
        stages[stage] = rec
        ctx["stages"] = stages
        upstream = key
        if rec.status == "done":  # record it now: a later stage that fails keeps this one reusable
            _save_record(out, MakeResult(out, st, dict(stages), failures,
                                         ctx.get("arrangement"), time.perf_counter() - t_all))
        if progress:
            note = ", ".join(f"{f['stage']}: {f['what']} failed" for f in rec.info.get("failures", []))
            if rec.status == "cached":
                note = f"(reused; made in {rec.seconds:.2f} s){'  ' + note if note else ''}"
            progress(i, stage, rec.status, 0.0 if rec.status == "cached" else rec.seconds, note)
        if stage == stop_after:  # a done stage was recorded above; the final record would drop the later ones
            return MakeResult(out, st, stages, failures, ctx.get("arrangement"), time.perf_counter() - t_all)
    result = MakeResult(out, st, stages, failures, ctx.get("arrangement"), time.perf_counter() - t_all)
    _save_record(out, result)
    return result


def _load_record(out: Path) -> dict:
    p = out / "make.json"
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if data.get("version") == CACHE_VERSION else {}


def _save_record(out: Path, result: MakeResult) -> None:
    from ..paths import atomic_path

    with atomic_path(out / "make.json") as tmp:
        tmp.write_text(json.dumps(result.to_dict(), indent=1) + "\n", "utf-8")


def _restore(stage: str, ctx: dict, rec: StageRecord) -> None:
    """Reload what later stages need from a cached stage's outputs."""
    out = ctx["out"]
    if stage == "scene":
        from ..scene import SceneSpec

        ctx["spec"] = SceneSpec.load(out / "scene.json")
    elif stage == "sounds":
        ctx["manifest"] = json.loads((out / "sounds.json").read_text("utf-8"))
        ctx["role_sounds"] = {r: out / p for r, p in rec.info["role_sounds"].items()}
    elif stage == "timbre":
        ctx["timbre_sounds"] = {r: out / p for r, p in rec.info["sounds"].items()}
    elif stage == "build":
        ctx["sf2"] = out / rec.info["sf2"]
        ctx["build"] = rec.info["build"]
    elif stage == "song":
        ctx["arrangement"] = rec.info["arrangement"]


# ---- stage adapters ----------------------------------------------------------------------------
def _scene(ctx: dict) -> tuple[list[str], dict]:
    from ..scene import read_scene

    st: MakeSettings = ctx["settings"]
    device = st.model_options().device
    opts = {"device": device} if device != "auto" else {}  # auto: the backend picks (WAVE_DEVICE, then a GPU)
    spec = read_scene(ctx["image"], backend=st.scene_backend, detector=st.detector, **opts)
    if not spec.sound_sources:
        raise InputError(f"{ctx['image']}: the scene stage found no sound source in this image")
    spec.save(ctx["out"] / "scene.json")
    ctx["spec"] = spec
    return ["scene.json"], {"sources": len(spec.sound_sources),
                            "mood": spec.mood.model_dump() if spec.mood else None}


def _role_variants(spec) -> dict[str, tuple[int, int]]:
    from ..scene.roles import role_table

    return role_table(spec)


def _sounds(ctx: dict) -> tuple[list[str], dict]:
    """All sources in one call (the scene mix needs them together); if that fails, each source alone
    to find the ones that fail, which are reported and left out."""
    from ..sounds import render_sounds
    from ..sounds.variants import render_role_variants

    st: MakeSettings = ctx["settings"]
    spec, out = ctx["spec"], ctx["out"]
    kw = {"backend": st.sounds_backend, "seed": st.seed, "seconds": st.seconds, "sample_rate": st.sample_rate,
          "source_label": str(ctx["image"]), "image": ctx["image"], "models": st.model_options()}
    work = out / ".work"
    work.mkdir(exist_ok=True)
    good = list(range(len(spec.sound_sources)))
    try:
        manifest = render_sounds(spec, work / "sounds", **kw)
    except Exception as exc:  # a backend may fail in any way: find the culprit
        log.warning("sounds stage failed on the whole scene (%s); rendering sources one by one", exc)
        good = []
        for i, src in enumerate(spec.sound_sources):
            one = spec.model_copy(update={"sound_sources": [src]})
            try:
                render_sounds(one, work / f"probe_{i}", **kw)
                good.append(i)
            except Exception as exc1:
                ctx["failures"].append({"stage": "sounds", "what": f"source {i + 1} '{src.name}'",
                                        "error": f"{type(exc1).__name__}: {exc1}"})
            finally:
                shutil.rmtree(work / f"probe_{i}", ignore_errors=True)
        if not good:
            raise InputError("every sound source failed in the sounds stage; see the messages above") from exc
        from ..scene import assign_roles

        # the survivors take over the lost sources' roles (none left empty where a source can serve)
        spec = assign_roles(spec.model_copy(update={"sound_sources": [spec.sound_sources[i] for i in good]}))
        ctx["spec"] = spec
        spec.save(out / "scene.json")
        manifest = render_sounds(spec, work / "sounds", **kw)
    for p in ("sources", "scene.wav"):
        dest = out / p
        if dest.is_dir():
            shutil.rmtree(dest)
        os.replace(work / "sounds" / p, dest)
    os.replace(work / "sounds" / "manifest.json", out / "sounds.json")
    shutil.rmtree(work / "sounds", ignore_errors=True)
    # a role played by a source's second (or later) variant needs that variant's own sound
    role_sounds, failed = render_role_variants(spec, manifest, out, work, _role_variants(spec), **kw)
    ctx["failures"].extend({"stage": "sounds", **f} for f in failed)
    (out / "sounds.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    shutil.rmtree(work, ignore_errors=True)
    ctx["manifest"] = manifest
    ctx["role_sounds"] = {r: out / p for r, p in role_sounds.items()}
    outputs = ["scene.wav", "sounds.json", *[e["file"] for e in manifest["sources"]], *role_sounds.values()]
    return sorted(set(outputs)), {"role_sounds": role_sounds, "kept_sources": good}


def _timbre(ctx: dict) -> tuple[list[str], dict]:
    from ..audio.io import read_audio, write_audio

    st: MakeSettings = ctx["settings"]
    out = ctx["out"]
    (out / "timbre").mkdir(exist_ok=True)
    done: dict[str, str] = {}
    info: dict[str, Any] = {}
    for role, path in ctx["role_sounds"].items():
        rel = f"timbre/{role}.wav"
        try:
            audio, sr = read_audio(path)
            if st.timbre:
                y, minfo = timbre_transfer(audio, sr, role, st.timbre_models.get(role))
                info[role] = minfo
            else:
                y = audio
            peak = float(np.max(np.abs(y))) if y.size else 0.0
            if not np.isfinite(peak) or peak < 1e-6:
                raise InputError(f"the {role} model turned {path.name} into silence")
            write_audio(out / rel, (y * (10 ** (-1 / 20) / peak)).astype(np.float32), sr, fmt="24")
            done[role] = rel
        except Exception as exc:
            ctx["failures"].append({"stage": "timbre", "what": f"{role} ({path.name})",
                                    "error": f"{type(exc).__name__}: {exc}"})
    if not done:
        raise InputError("no role survived the timbre stage; see the failures above")
    ctx["timbre_sounds"] = {r: out / p for r, p in done.items()}
    return sorted(done.values()), {"sounds": done, "models": info}


def timbre_transfer(audio: np.ndarray, sr: int, role: str, model: str | None = None) -> tuple[np.ndarray, dict]:
    """Adapter to the timbre stage: ``audio`` through ``model`` (default the builtin one of ``role``),
    aligned with its input (:func:`server.timbre.align.aligned_transfer`)."""
    from ..timbre.align import aligned_transfer
    from ..timbre.builtin import resolve_model

    path = resolve_model(model, role)
    y, info = aligned_transfer(audio, sr, path)
    return y, {"model": str(path), **info}


def _build(ctx: dict) -> tuple[list[str], dict]:
    from ..instruments_build import build_set, make_instrument

    st: MakeSettings = ctx["settings"]
    out, name = ctx["out"], ctx["name"]
    sounds = dict(ctx["timbre_sounds"])
    # the photo's sounds are mostly noises: a melodic role gets a pitch imposed by tuned resonators where
    # the sound has none (build.json and the report say so), rather than no instrument at all
    kw = {"name": name, "sfz_dir": out / "sfz_out", "sf2_dir": out / "instruments", "step": st.step,
          "force_pitch": True}
    try:
        res = build_set(sounds, **kw)
    except WaveError as exc:
        from ..audio.io import read_audio

        log.warning("building the set failed (%s); building each role alone to find the culprit", exc)
        for role in list(sounds):
            try:
                a, sr = read_audio(sounds[role])
                make_instrument(a, sr, role, name=f"{name}_{role}", step=12, force_pitch=True)
            except WaveError as exc1:
                ctx["failures"].append({"stage": "build", "what": role, "error": f"{type(exc1).__name__}: {exc1}"})
                sounds.pop(role)
        if not sounds:
            raise
        res = build_set(sounds, **kw)
    rep = res.report()
    rel_sf2 = os.path.relpath(res.sf2, out)
    ctx["sf2"] = res.sf2
    ctx["build"] = rep
    outs = [rel_sf2, *[os.path.relpath(p, out) for p in res.sfz.values()]]
    return outs, {"sf2": rel_sf2, "build": rep}


def _song(ctx: dict) -> tuple[list[str], dict]:
    from ..audio.io import read_audio, write_audio
    from ..render import RenderSettings, render_song
    from . import arrange

    st: MakeSettings = ctx["settings"]
    out, spec = ctx["out"], ctx["spec"]
    pans = arrange.role_pans(spec, _role_variants(spec))
    arr = None
    if st.song is None:  # an original song for the roles the set has
        from ..errors import MissingDependencyError

        try:
            arr, mf = arrange.compose_plan(spec, list(ctx["build"]["instruments"]), pans, seed=st.seed,
                                           genre=st.genre)
        except MissingDependencyError as exc:  # no music21: the mood's demo song, said in the report
            ctx["failures"].append({"stage": "song", "what": "composer", "error": f"{exc}; played a demo song"})
    if arr is None:
        arr, mf = arrange.plan(spec.mood, pans, st.song)
    mf.save(str(out / "song.mid"))
    song = arrange.to_song(mf, out / "song.mid")
    y = render_song(song, instrument_set=ctx["sf2"], settings=RenderSettings(sample_rate=st.sample_rate,
                                                                              progress=False))
    if st.layer_scene and (out / "scene.wav").is_file():
        scene, sr = read_audio(out / "scene.wav")
        if sr == st.sample_rate:
            y = arrange.layer_intro_outro(y, scene, sr)
    write_audio(out / "song.wav", y, st.sample_rate, fmt="24")
    outputs = ["song.mid", "song.wav"]
    demos = {}
    if st.scale_demos:
        (out / "demos").mkdir(exist_ok=True)
        for role in ctx["build"]["instruments"]:
            rel = f"demos/scale_{role}.wav"
            demo = arrange.scale_demo(role, arrange.NOTE_NAMES.index(arr.key.split()[0]), arr.mode)
            d = render_song(arrange.to_song(demo), instrument_set=ctx["sf2"],
                            settings=RenderSettings(sample_rate=st.sample_rate, tail=1.0, progress=False))
            write_audio(out / rel, d, st.sample_rate, fmt="16")
            demos[role] = rel
            outputs.append(rel)
    ctx["arrangement"] = arr.to_dict()
    return outputs, {"arrangement": arr.to_dict(), "demos": demos, "seconds_of_audio": round(y.shape[1] / st.sample_rate, 3)}


def _report(ctx: dict) -> tuple[list[str], dict]:
    from .report import write_report

    write_report(ctx)
    return ["report.html"], {}


def _settings_for(*fields: str) -> Callable[[MakeSettings, str], dict]:
    def part(st: MakeSettings, name: str) -> dict:
        d = {f: getattr(st, f) for f in fields}
        if "song" in d and d["song"]:
            d["song_hash"] = _file_hash(Path(d["song"]))
        for role, model in d.get("timbre_models", {}).items():  # a retrained model file changes the key
            if Path(model).is_file():
                d.setdefault("model_hashes", {})[role] = _file_hash(Path(model))
        backend = d.get("sounds_backend")
        if isinstance(backend, str) and backend.startswith("library:"):  # new or edited recordings re-render
            from ..sounds.generate import parse_backend
            from ..sounds.library import library_fingerprint

            d["library"] = library_fingerprint(parse_backend(backend)[1])
        models = _models_part(st, d)
        if models:
            d["models"] = models
        d["name"] = name
        return d

    return part


def _models_part(st: MakeSettings, part: dict) -> dict:
    """The model options a stage's result depends on: the device for a scene stage that runs a torch model;
    for a model sounds backend its device and checkpoints (v2a: also its CLIP and mapper, by path and by
    contents, so a retrained mapper re-renders). Nothing for the builtin (offline) backends, so a flag they do
    not read never makes them run again."""
    if "scene_backend" not in part and "sounds_backend" not in part:
        return {}
    opts = st.model_options()
    if "scene_backend" in part:
        return {"device": opts.device} if st.uses_scene_models() else {}
    from ..sounds.generate import MODEL_BACKENDS

    kind = st.sounds_backend
    if kind not in MODEL_BACKENDS:
        return {}
    out = {"device": opts.device, "sound_model": opts.sound_model, "clap_model": opts.clap_model}
    if kind == "v2a":
        out.update(clip_model=opts.clip_model, v2a_mapper=opts.v2a_mapper)
        mapper = Path(opts.v2a_mapper).expanduser() if opts.v2a_mapper else None
        if mapper is not None and mapper.is_file():
            out["v2a_mapper_hash"] = _file_hash(mapper)
    return out


_ADAPTERS: dict[str, tuple[Callable, Callable]] = {
    "scene": (_scene, _settings_for("scene_backend", "detector")),
    "sounds": (_sounds, _settings_for("sounds_backend", "seed", "seconds", "sample_rate")),
    "timbre": (_timbre, _settings_for("timbre", "timbre_models", "seed")),
    "build": (_build, _settings_for("step")),
    "song": (_song, _settings_for("song", "genre", "seed", "sample_rate", "layer_scene", "scale_demos")),
    "report": (_report, _settings_for()),
}
