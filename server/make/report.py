"""report.html: one self-contained page per ``wave make`` run.

Pictures (the photo with each source's box and label, waveforms, spectrograms) are drawn with
matplotlib's Agg canvas (no pyplot, no global state) and embedded as base64 PNG, so the page opens
from disk; the audio players point at the WAV files beside it (relative paths), which keeps the page
small. Everything a user sees is escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..paths import atomic_path

ROLE_COLOURS = {"drums": "#d62728", "bass": "#1f77b4", "guitar": "#2ca02c", "keyboard": "#9467bd", None: "#7f7f7f"}


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def photo_with_boxes(image_path: Path, spec) -> str:
    """The photo with one labelled rectangle per source that has a box, coloured by role."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from PIL import Image

    with Image.open(image_path) as im:
        im = im.convert("RGB")
        im.thumbnail((900, 900))
        arr = np.asarray(im)
    h, w = arr.shape[:2]
    fig = Figure(figsize=(w / 100, h / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(arr)
    ax.set_axis_off()
    from ..scene.roles import role_table

    plays: dict[int, list[str]] = {}
    for role, (i, _k) in role_table(spec).items():
        plays.setdefault(i, []).append(role)
    for i, src in enumerate(spec.sound_sources):
        if src.box is None:
            continue
        x0, y0, x1, y1 = src.box
        roles = plays.get(i, [])
        col = ROLE_COLOURS.get(roles[0] if roles else None, "#7f7f7f")
        ax.add_patch(Rectangle((x0 * w, y0 * h), (x1 - x0) * w, (y1 - y0) * h, fill=False, lw=3, ec=col))
        label = f"{i + 1}. {src.name}" + (f" → {', '.join(roles)}" if roles else "")
        ax.text(x0 * w + 4, y0 * h + 4, label, color="white", fontsize=11, va="top",
                bbox={"facecolor": col, "alpha": 0.85, "pad": 2, "edgecolor": "none"})
    return _png(fig)


def wave_and_spectrogram(path: Path, title: str = "") -> str:
    """Waveform (top) and spectrogram in dB (bottom) of an audio file."""
    from matplotlib.figure import Figure
    from scipy.signal import spectrogram

    from ..audio.io import read_audio

    audio, sr = read_audio(path)
    mono = audio.mean(axis=0)
    t = np.arange(mono.size) / sr
    fig = Figure(figsize=(7, 3.2), dpi=80)
    a1, a2 = fig.subplots(2, 1, sharex=True, height_ratios=(1, 2))
    step = max(1, mono.size // 4000)
    if audio.shape[0] == 2:
        a1.plot(t[::step], audio[0, ::step], lw=0.5, color="#1f77b4", label="L")
        a1.plot(t[::step], audio[1, ::step], lw=0.5, color="#ff7f0e", alpha=0.7, label="R")
        a1.legend(loc="upper right", fontsize=7)
    else:
        a1.plot(t[::step], mono[::step], lw=0.5, color="#1f77b4")
    a1.set_ylim(-1, 1)
    a1.set_ylabel("amp")
    if title:
        a1.set_title(title, fontsize=9)
    nper = 1024
    hop = max(nper // 2, mono.size // 1500)  # at most ~1500 columns: long songs stay quick to draw
    f, _t, s = spectrogram(mono, fs=sr, nperseg=nper, noverlap=nper - min(hop, nper - 1), window="hann")
    db = 10 * np.log10(np.maximum(s, 1e-12))
    vmax = float(db.max()) if db.size else 0.0
    keep = f <= 16000
    a2.imshow(db[keep], origin="lower", aspect="auto", cmap="magma", vmin=vmax - 80, vmax=vmax,
              extent=(0.0, mono.size / sr, 0.0, float(f[keep][-1]) / 1000), interpolation="nearest")
    a2.set_ylabel("kHz")
    a2.set_xlabel("s")
    fig.tight_layout()
    return _png(fig)


def piano_roll(midi_path: Path, form: list[dict] | None = None) -> str:
    """The song's notes over time (one row per MIDI key, coloured by the channel's role; drums as ticks in
    the bottom band), with the form's sections marked."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    from ..midi.roles import DRUM_CHANNEL
    from ..midi.song import NOTE_OFF, NOTE_ON, load_song

    song = load_song(midi_path)
    roles = song.channel_roles()
    fig = Figure(figsize=(11, 3.6), dpi=80)
    ax = fig.add_subplot(1, 1, 1)
    start: dict[tuple[int, int], tuple[float, int]] = {}
    lo, hi, end = 127, 0, 0.0
    drums: list[tuple[float, int]] = []
    boxes: list[tuple[float, float, int, str]] = []
    for ev in song.events:
        if ev.kind == NOTE_ON and ev.b > 0:
            if ev.channel == DRUM_CHANNEL:
                drums.append((ev.time, ev.a))
            else:
                start[(ev.channel, ev.a)] = (ev.time, ev.b)
        elif ev.kind in (NOTE_ON, NOTE_OFF) and (ev.channel, ev.a) in start:
            t0, _v = start.pop((ev.channel, ev.a))
            boxes.append((t0, ev.time, ev.a, roles.get(ev.channel, "other")))
            lo, hi, end = min(lo, ev.a), max(hi, ev.a), max(end, ev.time)
    if not boxes:
        lo, hi = 48, 72
    band = lo - 8  # drums drawn below the lowest pitched note
    for t0, t1, key, role in boxes:
        ax.add_patch(Rectangle((t0, key - 0.4), max(t1 - t0, 0.02), 0.8, color=ROLE_COLOURS.get(role, "#7f7f7f"),
                               lw=0))
    if drums:
        t = np.array([d[0] for d in drums])
        k = np.array([d[1] for d in drums])
        ax.scatter(t, band + (k - 35) / 24 * 6, s=4, marker="|", color=ROLE_COLOURS["drums"])
        end = max(end, float(t.max()))
    for sec in form or []:
        ax.axvline(sec["start_s"], color="#444", lw=0.8, ls="--")
        ax.text(sec["start_s"] + 0.3, hi + 2, sec["name"], fontsize=9, va="bottom")
    ax.set_xlim(0, max(end, 1.0) + 0.5)
    ax.set_ylim(band - 1, hi + 6)
    ax.set_xlabel("s")
    ax.set_ylabel("MIDI key (drums below)")
    handles = [Rectangle((0, 0), 1, 1, color=ROLE_COLOURS[r]) for r in ("keyboard", "guitar", "bass", "drums")]
    ax.legend(handles, ["keyboard", "guitar", "bass", "drums"], loc="lower right", fontsize=7, ncol=4)
    fig.tight_layout()
    return _png(fig)


def _audio(rel: str) -> str:
    return f'<audio controls preload="none" src="{html.escape(rel)}"></audio>'


def _note(k: int) -> str:
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    return f"{names[k % 12]}{k // 12 - 1}"


CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;background:#fafafa}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8em 1em;margin:.8em 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em} img{max-width:100%}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
audio{display:block;margin:.4em 0}
pre{background:#f3f3f3;padding:.6em;overflow:auto;max-height:24em;font-size:12px}
.role{display:inline-block;color:#fff;border-radius:3px;padding:0 .4em;font-size:.9em}
.fail{color:#b00}
"""


def _role_badge(role: str | None) -> str:
    if not role:
        return '<span class="role" style="background:#7f7f7f">ambience / none</span>'
    return f'<span class="role" style="background:{ROLE_COLOURS[role]}">{html.escape(role)}</span>'


def build_html(ctx: dict[str, Any]) -> str:
    out: Path = ctx["out"]
    spec = ctx["spec"]
    manifest = ctx.get("manifest", {})
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>WAVE — {e(ctx['name'])}</title>",
             f"<style>{CSS}</style></head><body>",
             f"<h1>WAVE: {e(ctx['name'])}</h1><p>{e(spec.scene_description)}<br><i>{e(spec.mood_description)}</i>"]
    if spec.mood is not None:
        parts.append(f" — valence {spec.mood.valence:+.2f}, arousal {spec.mood.arousal:.2f}")
    parts.append("</p>")
    parts.append(f"<h2>Photo</h2><div class='card' id='photo'><img alt='photo with sources' "
                 f"src='{photo_with_boxes(ctx['image'], spec)}'></div>")
    # failures first: a user should see them
    if ctx["failures"]:
        parts.append("<h2 class='fail'>Skipped</h2><ul>")
        for f in ctx["failures"]:
            parts.append(f"<li class='fail'>{e(f['stage'])}: {e(f['what'])} — {e(f['error'])}</li>")
        parts.append("</ul>")
    # song
    arr = ctx.get("arrangement") or {}
    parts.append("<h2>Song</h2><div class='card' id='song'>")
    if (out / "song.wav").is_file():
        parts.append(_audio("song.wav"))
        parts.append(f"<img alt='song' src='{wave_and_spectrogram(out / 'song.wav', 'song.wav')}'>")
    if arr and arr.get("chosen_by") == "composer":
        scores = ", ".join(f"{g} {v:.2f}" for g, v in list(arr["genre_scores"].items())[:4])
        form = " · ".join(f"{f['name']} {f['bars']} bars ({f['start_s']:.1f}–{f['end_s']:.1f} s)" for f in arr["form"])
        rows = [("song", f"composed for this picture (seed {arr['seed']}), {arr['seconds']:.1f} s"),
                ("genre", f"{arr['genre']} (score {arr['genre_score']:.3f} by {arr['genre_method']}; {scores})"),
                ("key", f"{arr['modal_key']} ({arr['key']} family)"),
                ("tempo", f"{arr['bpm']:.1f} BPM"),
                ("form", form),
                ("chords", " ".join(arr["chords"])),
                ("mood", f"valence {arr['valence']:+.2f} → {arr['modal_key'].split(' ', 1)[1]}; arousal "
                         f"{arr['arousal']:.2f} → tempo, loudness, density (from the {arr['mood_source']})"),
                ("pan", ", ".join(f"{r} {p:+.2f}" for r, p in arr["pans"].items()))]
        parts.append("<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>")
    elif arr:
        rows = [("song", Path(arr["song"]).name + f" ({arr['chosen_by']})"),
                ("key", f"{arr['source_key']} → {arr['key']} (transpose {arr['transpose']:+d})"),
                ("tempo", f"{arr['source_bpm']:.1f} → {arr['bpm']:.1f} BPM (× {arr['tempo_factor']:.3f})"),
                ("mood", f"valence {arr['valence']:+.2f} → {arr['mode']}; arousal {arr['arousal']:.2f} → tempo"),
                ("pan", ", ".join(f"{r} {p:+.2f}" for r, p in arr["pans"].items()))]
        parts.append("<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>")
    if (out / "song.mid").is_file():
        parts.append(f"<img alt='piano roll' id='piano-roll' src='{piano_roll(out / 'song.mid', arr.get('form'))}'>")
    parts.append("</div>")
    # scene soundscape
    if (out / "scene.wav").is_file():
        parts.append("<h2>Soundscape</h2><div class='card'>" + _audio("scene.wav")
                     + f"<img alt='scene' src='{wave_and_spectrogram(out / 'scene.wav', 'scene.wav')}'></div>")
    # sources
    parts.append("<h2>Sound sources</h2>")
    for s in manifest.get("sources", []):
        role = s.get("role")
        parts.append(f"<div class='card source'><h3>{s['index']}. {e(s['name'])} {_role_badge(role)}</h3>")
        parts.append(f"<p><b>prompt:</b> {e(s.get('prompt', ''))}</p>")
        wav = out / s["file"]
        if wav.is_file():
            parts.append(_audio(s["file"]))
            parts.append(f"<img alt='{e(s['name'])}' src='{wave_and_spectrogram(wav, s['file'])}'>")
        for k, v in s.get("variants", {}).items():
            parts.append(f"<p>variant {e(k)} {_role_badge(v.get('role'))}: {e(v['prompt'])}</p>" + _audio(v["file"]))
        parts.append("</div>")
    # instruments
    build = ctx.get("build") or {}
    stages = ctx.get("stages", {})
    demos = stages["song"].info.get("demos", {}) if "song" in stages else {}
    parts.append("<h2>Instruments</h2><div class='grid'>")
    for role, inst in build.get("instruments", {}).items():
        lo, hi = inst["keys"]
        parts.append(f"<div class='card instrument'><h3>{_role_badge(role)}</h3>"
                     f"<p>range {_note(lo)}–{_note(hi)} (keys {lo}–{hi}), {inst['zones']} zones</p>")
        tw = out / "timbre" / f"{role}.wav"
        if tw.is_file():
            parts.append("<p>timbre-transferred source:</p>" + _audio(f"timbre/{role}.wav"))
        if role in demos:
            parts.append("<p>scale demo:</p>" + _audio(demos[role]))
        parts.append("</div>")
    parts.append("</div>")
    if build.get("sf2"):
        parts.append(f"<p>Instrument set: <code>{e(str(build['sf2']))}</code></p>")
    # timings
    parts.append("<h2>Timings</h2><table><tr><th>stage</th><th>status</th><th>seconds</th></tr>")
    for name, rec in stages.items():
        parts.append(f"<tr><td>{e(name)}</td><td>{e(rec.status)}</td><td>{rec.seconds:.2f}</td></tr>")
    parts.append("</table>")
    parts.append(f"<h2>Scene JSON</h2><pre>{e(spec.to_json())}</pre>")
    parts.append("<h2>Settings</h2><pre>" + e(json.dumps(_settings(ctx), indent=1, default=str)) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _settings(ctx: dict) -> dict:
    from dataclasses import asdict

    return asdict(ctx["settings"])


def write_report(ctx: dict[str, Any]) -> Path:
    dest = ctx["out"] / "report.html"
    text = build_html(ctx)
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return dest
