"""``wave serve`` (the live server) and ``wave devices`` (what audio and MIDI it can use)."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="live server: OSC + MIDI in, instruments, timbre and effects out in real time",
        description="Run the live engine. Stop with Ctrl-C or SIGTERM (all notes off, session saved). "
        "OSC addresses: docs/osc.md.",
    )
    p.add_argument("--audio", default="jack", metavar="DRIVER",
                   help="jack[:SERVER] | portaudio[:DEVICE] | wav:PATH | null (default: jack)")
    p.add_argument("--sample-rate", type=int, default=48000, help="Hz (JACK imposes its own)")
    p.add_argument("--block", type=int, default=512, help="frames per block (JACK imposes its own)")
    p.add_argument("--osc-host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--osc-port", type=int, default=9000, help="UDP port (0 picks a free one)")
    p.add_argument("--osc-tcp-port", type=int, help="also accept OSC over TCP (liblo osc.tcp framing) on this port")
    p.add_argument("--midi-in", metavar="NAME|virtual", help="MIDI input port (substring of its name) or virtual")
    p.add_argument("--soundfont", help="General MIDI .sf2 played before a set is loaded (default: system GM)")
    p.add_argument("--sets-dir", type=Path, help="instrument sets (*.sf2); default instruments/")
    p.add_argument("--models-dir", type=Path, help="timbre models (*.ts); default instruments/builtin/")
    p.add_argument("--midi-dir", type=Path, help="MIDI files for /wave/midi/play; default midi/")
    p.add_argument("--record-dir", type=Path, help="where /wave/record writes; default recordings/")
    p.add_argument("--images-dir", type=Path, help="images for /wave/generate; default images/")
    p.add_argument("--plugins-dir", type=Path, help="LV2 bundles /wave/plugin/load may name by path; default "
                   "plugins/ (installed plugins are named by URI, see `wave plugins`)")
    p.add_argument("--session", type=Path, help="session file, restored at start and saved on change")
    p.add_argument("--jack-connect", action="store_true", help="connect the outputs to JACK's playback ports")
    p.add_argument("--duration", type=float, help="stop after this many seconds (headless runs)")
    p.add_argument("--memory-budget", type=float, default=2048.0, metavar="MB",
                   help="memory the loaded sets may take (each channel holds its own copy); a /wave/set/load "
                        "beyond it is refused (default 2048)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow --osc-host other than a loopback address: any host that reaches the port can "
                        "then play, load sets, record and start jobs (see docs/live.md)")
    from ..models.options import add_model_arguments

    g = p.add_argument_group("generation jobs", "how /wave/generate makes a set (`wave make` in the job worker; "
                             "the options reach it as WAVE_* environment variables, see docs/models.md)")
    g.add_argument("--scene-backend", default=None, metavar="NAME",
                   help="scene backend of the jobs: builtin (default, offline), qwen2.5-vl or blip")
    g.add_argument("--sound-backend", default=None, metavar="NAME",
                   help="sounds backend of the jobs: builtin (default, offline), audioldm2, audioldm, v2a (needs "
                   "--v2a-mapper) or library:DIR (your own recordings)")
    add_model_arguments(g)
    p.set_defaults(func=cmd_serve)

    d = subparsers.add_parser("devices", help="list audio outputs, JACK servers and MIDI inputs")
    d.add_argument("--jack-server", help="JACK server name to probe (default: $JACK_DEFAULT_SERVER or default)")
    d.set_defaults(func=cmd_devices)


def _loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def job_options(args: argparse.Namespace) -> None:
    """Check the generation jobs' backends and model options, and export them (``WAVE_SCENE_BACKEND``,
    ``WAVE_SOUND_BACKEND``, ``WAVE_DEVICE``, ``WAVE_SOUND_MODEL`` ...) so the job worker and job subprocesses
    inherit them. Paths become absolute: a job runs in another folder. A bad value fails here, before the
    server starts, not in every job."""
    from dataclasses import replace

    from ..models.options import check_backends, export_backends, options_from_args, resolve_device

    backends = check_backends(args.scene_backend, args.sound_backend)
    models = options_from_args(args)
    paths = {}
    for f in ("sound_model", "clap_model", "clip_model", "v2a_mapper"):
        v = getattr(models, f)
        if v is not None and (f == "v2a_mapper" or Path(v).expanduser().exists()):
            paths[f] = str(Path(v).expanduser().resolve())
    models = replace(models, **paths)
    if models.device not in ("auto", "cpu"):
        resolve_device(models.device)  # a GPU asked for and absent (only then is torch imported here)
    if backends.get("sounds") == "v2a":
        models.mapper_path()
    models.export_env()
    export_backends(backends)


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio

    from ..errors import ConfigError
    from .drivers import make_driver
    from .server import Folders, LiveServer

    if not 8000 <= args.sample_rate <= 192000:
        raise ConfigError(f"--sample-rate {args.sample_rate}: use 8000-192000 (48000 is usual)")
    if not 16 <= args.block <= 8192:
        raise ConfigError(f"--block {args.block}: use 16-8192 frames (256, 512, 1024 are usual)")
    if not 0 <= args.osc_port <= 65535:
        raise ConfigError(f"--osc-port {args.osc_port}: use 0-65535")
    if args.duration is not None and not (args.duration > 0 and math.isfinite(args.duration)):
        raise ConfigError(f"--duration {args.duration}: give a positive number of seconds, or leave it out")
    if not (args.memory_budget > 0 and math.isfinite(args.memory_budget)):
        raise ConfigError(f"--memory-budget {args.memory_budget}: give a positive number of megabytes")
    if not _loopback(args.osc_host) and not args.allow_remote:
        raise ConfigError(f"--osc-host {args.osc_host} is reachable from other machines: anyone there could play, "
                          "load sets, overwrite recordings and start jobs; add --allow-remote to accept that, "
                          "or listen on 127.0.0.1")
    if not _loopback(args.osc_host):
        print(f"wave serve: warning: OSC on {args.osc_host} accepts commands from any host that can reach it",
              file=sys.stderr)
    # python-osc logs a root warning per unknown type tag: a hostile client could flood the log. Such a
    # message then fails validation and is counted and answered like any other bad message.
    logging.getLogger().addFilter(lambda r: not str(r.msg).startswith("Unhandled parameter type"))
    job_options(args)
    folders = Folders()
    for attr, opt in (("sets", "sets_dir"), ("models", "models_dir"), ("midi", "midi_dir"),
                      ("recordings", "record_dir"), ("images", "images_dir"), ("plugins", "plugins_dir")):
        if getattr(args, opt):
            setattr(folders, attr, getattr(args, opt).resolve())  # jobs run in another folder
    driver = make_driver(args.audio, jack_connect=args.jack_connect)
    server = LiveServer(driver, sample_rate=args.sample_rate, block=args.block, folders=folders,
                        session_path=args.session, soundfont=args.soundfont,
                        memory_budget_mb=args.memory_budget)
    try:
        if args.midi_in:
            server.open_midi(args.midi_in)
    except BaseException:
        server.shutdown()
        raise

    def ready(s) -> None:
        host, port = s.osc_address
        extra = ""
        if hasattr(driver, "port_names"):
            extra = " ports=" + ",".join(driver.port_names)
        if s.midi_input is not None:
            extra += f" midi={s.midi_input.port_name}"
        elif s.midi_port_name:
            extra += f" midi={s.midi_port_name}"
        if getattr(s, "osc_tcp_address", None):
            extra += " tcp={}:{}".format(*s.osc_tcp_address)
        print(f"wave serve: ready osc=udp:{host}:{port} audio={driver.name} sr={s.sample_rate} "
              f"block={s.block} latency={s.engine.latency_samples + driver.latency_samples}{extra}", flush=True)

    # The audio callback is Python: let it take the GIL from the OSC/MIDI threads within 1 ms, not 5.
    sys.setswitchinterval(0.001)
    asyncio.run(server.serve(args.osc_host, args.osc_port, duration=args.duration, ready=ready,
                             tcp_port=args.osc_tcp_port))
    st = server.engine.stats
    print(f"wave serve: stopped after {st.frames / server.sample_rate:.1f} s, {st.blocks} blocks, "
          f"{st.late_blocks} late, mean callback load {st.mean_load():.3f}", file=sys.stderr)
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    print("audio drivers: null, wav:PATH, jack[:SERVER], portaudio[:DEVICE]")
    try:
        import sounddevice as sd

        devs = [d for d in sd.query_devices() if d["max_output_channels"] >= 2]
        print(f"portaudio outputs ({len(devs)}):")
        for d in devs:
            print(f"  {d['index']}: {d['name']} ({d['max_output_channels']} ch, {d['default_samplerate']:.0f} Hz)")
    except (ImportError, OSError) as exc:
        print(f"portaudio: unavailable ({exc})")
    try:
        import jack

        try:
            c = jack.Client("wave-devices", servername=args.jack_server, no_start_server=True)
            print(f"jack: server {args.jack_server or 'default'} running at {c.samplerate} Hz, {c.blocksize} frames")
            for port in c.get_ports(is_input=True, is_audio=True):
                print(f"  input port {port.name}")
            c.close()
        except jack.JackOpenError:
            print(f"jack: no server {args.jack_server or '(default)'} running")
    except (ImportError, OSError) as exc:
        print(f"jack: unavailable ({exc})")
    from .midi_in import list_ports

    for api in ("alsa", "jack") if sys.platform.startswith("linux") else ("default",):
        try:
            ports = list_ports(api)
            print(f"midi inputs ({api}): {', '.join(ports) or 'none'}")
        except Exception as exc:
            print(f"midi inputs ({api}): unavailable ({exc})")
    return 0
