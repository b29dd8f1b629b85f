"""``wave render``, ``wave inspect`` and ``wave demo``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError

ROLE_HELP = "drums, bass, guitar, keyboard or other"
PLAIN_BLOCK, BOUNCE_BLOCK = 4096, 1024  # as server.render.render's (not imported here: `wave --help` stays fast)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="render a MIDI file to WAV with soundfonts and image-made instruments",
        description="Render a Standard MIDI File to WAV through the engine `wave serve` plays, offline: General "
        "MIDI (or --set/--instrument fonts) on every channel from one FluidSynth with its reverb and chorus (as the "
        "fluidsynth CLI), events on their exact sample, then the master section (gain, optional reverb, a limiter "
        "transparent below -1 dBFS, the safety stage) and peak normalisation. The song is streamed to disk: memory "
        "does not grow with the audio's length (peak normalisation writes a temporary float file beside OUT and "
        "reads it back once).",
    )
    p.add_argument("midi", type=Path, help="the .mid file")
    p.add_argument("-o", "--output", type=Path, help="output WAV (default: out/<song>.wav)")
    p.add_argument("--soundfont", type=Path, help="General MIDI soundfont (.sf2/.sf3) every channel starts on "
                   "(default: $WAVE_SOUNDFONT or the system GM font)")
    p.add_argument("--set", dest="instrument_set", metavar="NAME|FILE.sf2",
                   help="image-made instrument set (instruments/NAME.sf2) layered over the GM font")
    p.add_argument("--instrument", action="append", default=[], metavar="ROLE=FILE.sf2",
                   help=f"play every channel of ROLE ({ROLE_HELP}; see `wave inspect`) with this soundfont; "
                   "repeatable")
    p.add_argument("--map", action="append", default=[], metavar="chN=ROLE|TRACK=ROLE",
                   help="override a detected role: of MIDI channel N (1-16, as `wave inspect` numbers them), or of "
                   "every channel a TRACK (index or name) plays; repeatable, applied in order")
    p.add_argument("-r", "--sample-rate", type=int, default=48000, help="sample rate in Hz (default 48000)")
    p.add_argument("--tail", type=float, default=2.0, help="seconds rendered after the last event (default 2)")
    p.add_argument("--gain", type=float, default=0.0, metavar="DB", help="gain before the master limiter, dB")
    p.add_argument("--normalize", choices=("peak", "none"), default="peak",
                   help="peak-normalise the result (default) or leave its level")
    p.add_argument("--target", type=float, default=-1.0, metavar="DBFS", help="peak level after normalising")
    p.add_argument("--reverb", type=float, default=0.0, metavar="WET",
                   help="master reverb wet level 0-1 (default 0: FluidSynth's own reverb only)")
    p.add_argument("--format", choices=("24", "16", "float"), default="24", help="WAV sample format")
    p.add_argument("--raw", action="store_true",
                   help="the channels' mix as it is: no master section, no normalisation (with --session: no "
                   "normalisation only)")
    p.add_argument("--block", type=int, metavar="FRAMES",
                   help=f"processing block in frames (default {PLAIN_BLOCK}; {BOUNCE_BLOCK} with --session/--timbre/"
                   "--fx); a plain render's output does not depend on it")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    b = p.add_argument_group(
        "bounce through the live graph",
        "With any of these the song plays through the graph `wave serve` builds from a session (sets per "
        "channel, timbre models, effect chains, master chain and safety stage), offline and as fast as it "
        "renders: what a performer set up live, bounced to a file. --set/--instrument/--map/--reverb/--gain "
        "do not apply (the session says what plays).")
    b.add_argument("--session", type=Path, metavar="FILE.json", help="a session file `wave serve --session` saved")
    b.add_argument("--timbre", action="append", default=[], metavar="CH=MODEL[:WET]",
                   help="a timbre model (MODEL.ts in --models-dir) on MIDI channel CH (1-16); repeatable")
    b.add_argument("--fx", action="append", default=[], metavar="CH=EFFECT.PARAM=VALUE",
                   help="switch an effect on with a parameter, on channel CH (1-16) or `master`, e.g. "
                   "3=reverb.room_size=0.8; repeatable (effects and ranges: docs/osc.md)")
    b.add_argument("--sets-dir", type=Path, help="where the session's sets are (default instruments/)")
    b.add_argument("--models-dir", type=Path, help="where timbre models are (default instruments/builtin/)")
    p.set_defaults(func=cmd_render)

    q = sub.add_parser("inspect", help="list a MIDI file's tracks and channels with program, range, polyphony and "
                      "role (roles belong to channels)")
    q.add_argument("midi", type=Path)
    q.set_defaults(func=cmd_inspect)

    d = sub.add_parser("demo", help="render the demo songs in midi/ to out/ with the General MIDI soundfont")
    d.add_argument("-o", "--out-dir", type=Path, default=Path("out"))
    d.set_defaults(func=cmd_demo)


def _pairs(items: list[str], what: str, example: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ConfigError(f"{what} expects {example}, got {item!r}")
        out[key.strip()] = val.strip()
    return out


def single_blas_thread() -> None:
    """Ask OpenBLAS for one thread when this process has not loaded numpy yet (a ``wave render`` process of
    its own). A render does no linear algebra, and numpy's import starts a BLAS thread per core, which cost
    ~45 ms of CPU at start-up here (a third of a 1-minute render's overhead against the fluidsynth CLI);
    one thread also keeps a busy machine's other cores free. A user's own setting wins."""
    import os
    import sys

    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def cmd_render(args: argparse.Namespace) -> int:
    single_blas_thread()
    from ..midi.song import apply_roles, load_song
    from ..paths import check_output
    from .render import RenderSettings, render_song_to_file

    out = args.output or Path("out") / f"{args.midi.stem}.wav"
    check_output(out)  # fail before rendering if OUT can't be written; an existing OUT stays as it is
    roles = _pairs(args.map, "--map", "chN=ROLE or TRACK=ROLE (e.g. ch2=bass)")
    instruments = {role: Path(f) for role, f in _pairs(args.instrument, "--instrument",
                                                       "ROLE=FILE.sf2 (e.g. bass=bass.sf2)").items()}
    bouncing = bool(args.session or args.timbre or args.fx)
    block = args.block or (BOUNCE_BLOCK if bouncing else PLAIN_BLOCK)
    st = RenderSettings(sample_rate=args.sample_rate, tail=args.tail, block=block, raw=args.raw,
                        reverb=args.reverb, gain_db=args.gain, normalize=args.normalize, target_db=args.target,
                        progress=False if args.no_progress else None)
    st.check()
    if bouncing:
        return _bounce(args, out, st)
    song = load_song(args.midi)
    if roles:
        apply_roles(song, roles)
    res = render_song_to_file(song, out, fmt=args.format, soundfont=args.soundfont,
                              instrument_set=args.instrument_set, instruments=instruments, settings=st)
    print(f"{out}: {res.seconds:.1f} s, {args.sample_rate} Hz, {args.format}")
    return 0


def _bounce(args: argparse.Namespace, out: Path, st) -> int:
    from ..live.server import Folders
    from ..live.session import Session
    from ..midi.song import load_song
    from .bounce import bounce_to_file, parse_edits

    clash = [flag for flag, used in (("--set", args.instrument_set), ("--instrument", args.instrument),
                                     ("--map", args.map), ("--reverb", args.reverb), ("--gain", args.gain)) if used]
    if clash:
        raise ConfigError(f"{', '.join(clash)} cannot be used with --session/--timbre/--fx: the session says what "
                          "plays (load sets with /wave/set/load, effects with /wave/fx/set, or give --fx)")
    edits = parse_edits(args.timbre, args.fx)
    if args.session is not None and not args.session.is_file():
        raise ConfigError(f"--session {args.session}: no such file (wave serve --session FILE writes one)")
    session = Session.load(args.session) if args.session else Session()
    folders = Folders()
    if args.sets_dir:
        folders.sets = args.sets_dir.resolve()
    if args.models_dir:
        folders.models = args.models_dir.resolve()
    song = load_song(args.midi)
    res = bounce_to_file(song, out, session=session, folders=folders, soundfont=args.soundfont, edits=edits,
                         fmt=args.format, settings=st)
    print(f"{out}: {res.seconds:.1f} s, {args.sample_rate} Hz, {args.format} (bounced through the live graph)")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from ..midi.song import bpm_at, load_song

    song = load_song(args.midi, require_notes=False)
    tempos = ", ".join(f"{bpm:.1f} BPM at {t:.2f} s" for t, bpm in song.tempo_changes)
    n = len(song.tracks)
    print(f"{args.midi}: {song.duration:.1f} s, {n} track{'s' if n != 1 else ''}, {song.ticks_per_beat} ticks/beat; "
          f"tempo {tempos} (ends at {bpm_at(song, song.duration):.1f} BPM)")
    print(f"{'#':>2}  {'name':<14} {'ch':<10} {'program':>7} {'notes':>5} {'range':<9} {'poly':>4}  role")
    for t in song.tracks:
        chans = ",".join(str(c + 1) for c in t.channels) or "-"
        prog = "-" if t.program is None else str(t.program)
        print(f"{t.index:>2}  {(t.name or '-')[:14]:<14} {chans:<10} {prog:>7} {t.note_count:>5} {t.range_names:<9} "
              f"{t.polyphony:>4}  {t.role}")
    print()
    print("channels:")
    print(f"{'ch':>2}  {'programs':<12} {'notes':>5} {'range':<9} {'poly':>4}  {'role':<9} {'tracks':<8} sound")
    for c in song.channels:
        progs = ",".join(map(str, c.programs))
        tracks = ",".join(map(str, c.tracks))
        print(f"{c.number:>2}  {progs[:12]:<12} {c.note_count:>5} {c.range_names:<9} {c.polyphony:>4}  "
              f"{c.role:<9} {tracks[:8]:<8} {c.sound}")
    if not song.channels:
        print(" -  no channel plays notes")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..midi.song import load_song
    from ..paths import MIDI_DIR, check_output
    from .render import RenderSettings, render_song_to_file

    songs = sorted(MIDI_DIR.glob("*.mid"))
    if not songs:
        raise ConfigError(f"no demo songs in {MIDI_DIR}; run python midi/make_demo_songs.py")
    check_output(args.out_dir, kind="folder")
    for song in songs:
        out = args.out_dir / f"{song.stem}.wav"
        res = render_song_to_file(load_song(song), out, settings=RenderSettings(reverb=0.2))
        print(f"{out}: {res.seconds:.1f} s")
    return 0
