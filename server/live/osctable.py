"""The OSC address table: one declaration per address drives dispatch, validation and ``docs/osc.md``.

Each :class:`Address` names its arguments (OSC type tag, range or choices, optional default) and the
replies it may send. Replies carry only ``i``, ``f``, ``s`` and ``b`` (Max and Pd read nothing else).
The table is pure data; :mod:`server.live.oscproto` parses datagrams and validates against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REPLY_TYPES = frozenset("ifsb")


@dataclass(frozen=True)
class Arg:
    name: str
    type: str  # "i", "f" or "s"
    lo: float | None = None
    hi: float | None = None
    doc: str = ""
    default: object = None  # not None: the argument may be left out
    choices: tuple[str, ...] = ()

    @property
    def optional(self) -> bool:
        return self.default is not None

    def describe_range(self) -> str:
        if self.choices:
            return " \\| ".join(self.choices)
        if self.lo is None and self.hi is None:
            return "any"
        lo = "" if self.lo is None else _fmt(self.lo)
        hi = "" if self.hi is None else _fmt(self.hi)
        return f"{lo} … {hi}"


@dataclass(frozen=True)
class Reply:
    address: str
    types: str
    doc: str

    def __post_init__(self) -> None:
        bad = set(self.types) - REPLY_TYPES
        if bad:
            raise ValueError(f"reply {self.address} uses OSC types {sorted(bad)}; only i, f, s, b are allowed")


@dataclass(frozen=True)
class Address:
    address: str
    handler: str  # name of the LiveServer method that handles it
    doc: str
    args: tuple[Arg, ...] = ()
    replies: tuple[Reply, ...] = field(default_factory=tuple)
    group: str = "control"

    @property
    def min_args(self) -> int:
        return sum(1 for a in self.args if not a.optional)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


CH = Arg("channel", "i", 0, 15, "MIDI channel, 0-based (0 = MIDI channel 1; 9 = drums)")
CH_OR_ALL = Arg("channel", "i", -1, 15, "MIDI channel 0-15, or -1 for every channel", default=-1)
FX_TARGET = Arg("channel", "i", -1, 15, "MIDI channel 0-15, or -1 for the master chain")
SLOT = Arg("slot", "i", 0, 7, "plugin insert slot, 0 = first (see `/wave/plugin/list`)")

OK = Reply("/wave/ok", "s", "the address that succeeded")
ERROR = Reply("/wave/error", "ss", "the address (or `?`) and a message naming the bad value")
JOB = Reply("/wave/job", "issf", "job id, kind, state (`queued`/`running`/`done`/`error`), progress 0-1; "
                                 "then a message `/wave/job/message i s` with details")

TABLE: tuple[Address, ...] = (
    # -- session and health -------------------------------------------------------------------
    Address("/wave/ping", "osc_ping", "Liveness check; the token comes back unchanged.",
            (Arg("token", "s", doc="any text", default=""),),
            (Reply("/wave/pong", "s", "the token"),), "session"),
    Address("/wave/reply_to", "osc_reply_to",
            "Send replies and job reports for this sender (its host and source port) to PORT on its host (Max "
            "`udpreceive`, Pd `netreceive -u -b`, TouchDesigner OSC In) instead of the sending socket. Other "
            "clients on the same host are not affected. Clients that send each message from a new socket "
            "(`oscsend`) give `host` 1: then every sender on that host without a setting of its own is "
            "answered on PORT. A setting is forgotten after 10 minutes without a message it applies to. The "
            "server's own ports are refused. 0 clears.",
            (Arg("port", "i", 0, 65535, "UDP port on the sender's host"),
             Arg("host", "i", 0, 1, "1: for every sender on this host (one-shot senders such as oscsend)",
                 default=0)), (OK,), "session"),
    Address("/wave/status", "osc_status", "Engine health.", (),
            (Reply("/wave/status", "iiffiiiiiiii",
                   "sample rate, block, callback CPU load (fraction of the block's duration, mean of the "
                   "last 128 blocks), worst callback load, late blocks (all causes), latency in samples "
                   "(model + driver buffering), active voices, malformed OSC messages, MIDI messages "
                   "received, late blocks reported by the audio host (JACK xruns, PortAudio underflows, "
                   "paced driver behind), audio faults (blocks in which a model, an effect chain or the "
                   "mix produced NaN/inf: silenced or bypassed, and reported with `/wave/error audio ...`), "
                   "OSC messages dropped by the per-datagram budget"),), "session"),
    Address("/wave/session/save", "osc_session_save", "Save the session now (it is also saved on change).",
            (), (OK,), "session"),
    # -- performance --------------------------------------------------------------------------
    Address("/wave/note", "osc_note", "Note on (velocity 0 = note off).",
            (CH, Arg("pitch", "i", 0, 127, "MIDI key"), Arg("velocity", "i", 0, 127, "0 releases")),
            (), "play"),
    Address("/wave/note_off", "osc_note_off", "Note off.",
            (CH, Arg("pitch", "i", 0, 127, "MIDI key")), (), "play"),
    Address("/wave/cc", "osc_cc", "Control change (64 = sustain). Learned CCs also drive their parameter.",
            (CH, Arg("controller", "i", 0, 127), Arg("value", "i", 0, 127)), (), "play"),
    Address("/wave/bend", "osc_bend", "Pitch bend (±2 semitones by default).",
            (CH, Arg("value", "i", -8192, 8191, "0 = centre")), (), "play"),
    Address("/wave/program", "osc_program", "Program change (General MIDI numbering, 0-based).",
            (CH, Arg("program", "i", 0, 127)), (), "play"),
    Address("/wave/panic", "osc_panic", "All notes off and sustain released on every channel.", (), (OK,),
            "play"),
    # -- instrument sets ----------------------------------------------------------------------
    Address("/wave/set/list", "osc_set_list", "List the instrument sets (SF2 files in the sets folder).", (),
            (Reply("/wave/set/item", "ss", "set name and file"),
             Reply("/wave/set/count", "i", "how many sets were listed")), "sets"),
    Address("/wave/set/load", "osc_set_load",
            "Load a set (loader thread) and route channels to it; notes keep sounding until the swap.",
            (Arg("name", "s", doc="set name from `/wave/set/list`, `gm` for General MIDI"), CH_OR_ALL),
            (Reply("/wave/set/loaded", "si", "set name, channel (-1 = all)"), ERROR), "sets"),
    # -- timbre -------------------------------------------------------------------------------
    Address("/wave/timbre/model", "osc_timbre_model",
            "Put a streaming timbre model (`.ts`, from the models folder) on a channel; `none` removes it.",
            (CH, Arg("model", "s", doc="model name or `none`")),
            (Reply("/wave/timbre/loaded", "isii", "channel, model, latency in samples, latent dimensions (the "
                   "range of DIM in /wave/timbre/bias and /scale: 0 to this - 1; 0: no latent controls)"), ERROR),
            "timbre"),
    Address("/wave/timbre/bias", "osc_timbre_bias", "Add to one latent dimension. DIM is checked against "
            "the loaded model (below the latent dimensions `/wave/timbre/loaded` reported).",
            (CH, Arg("dim", "i", 0, 127), Arg("value", "f", -8.0, 8.0)), (ERROR,), "timbre"),
    Address("/wave/timbre/scale", "osc_timbre_scale", "Scale one latent dimension. DIM is checked against "
            "the loaded model.",
            (CH, Arg("dim", "i", 0, 127), Arg("value", "f", -8.0, 8.0)), (ERROR,), "timbre"),
    Address("/wave/timbre/mix", "osc_timbre_mix", "Dry/wet of the timbre model.",
            (CH, Arg("wet", "f", 0.0, 1.0, "0 = dry sampler, 1 = model only")), (), "timbre"),
    # -- effects ------------------------------------------------------------------------------
    Address("/wave/fx/set", "osc_fx_set", "Set one effect parameter (see the effect table below).",
            (FX_TARGET, Arg("effect", "s"), Arg("param", "s"), Arg("value", "f")), (), "effects"),
    Address("/wave/fx/bypass", "osc_fx_bypass", "Switch an effect on (1) or off (0).",
            (FX_TARGET, Arg("effect", "s"), Arg("on", "i", 0, 1)), (), "effects"),
    Address("/wave/fx/list", "osc_fx_list", "List every effect parameter with its range and current value.",
            (FX_TARGET,),
            (Reply("/wave/fx/param", "issffff", "channel, effect, parameter, min, max, value, on (1/0)"),),
            "effects"),
    Address("/wave/master/gain", "osc_master_gain", "Master gain before the limiter.",
            (Arg("db", "f", -60.0, 12.0),), (), "effects"),
    # -- third-party plugins (LV2) ------------------------------------------------------------
    Address("/wave/plugin/load", "osc_plugin_load",
            "Load a plugin into the next insert slot of a channel or the master (loader thread: "
            "instantiated, activated and its latency measured off the audio thread, then swapped in). "
            "`plugin` is an LV2 URI from `wave plugins`, an LV2 bundle folder (`*.lv2`) inside the plugins "
            "folder, or a VST3 bundle (`*.vst3`, `PATH#Plugin Name` for one plugin of a bundle that holds "
            "several; on macOS also an Audio Unit `*.component`) in the plugins folder or the platform's "
            "standard VST3 folders. The channel is delayed by the plugin's latency like every other (latency "
            "compensation).",
            (FX_TARGET, Arg("plugin", "s", doc="LV2 URI, an .lv2 bundle or a .vst3 bundle (see `wave plugins`)")),
            (Reply("/wave/plugin/loaded", "iisi", "channel, slot, plugin name, latency in samples"), ERROR),
            "plugins"),
    Address("/wave/plugin/instrument", "osc_plugin_instrument",
            "Play a channel with an instrument plugin (an LV2 synth with MIDI input, or a VST3 instrument bundle; "
            "see `wave plugins`) instead of its sampler; notes still sounding on the old source ring out. Saved in "
            "the session as the channel's set `lv2:URI` or `vst3:PATH`, with the plugin's own state; "
            "`/wave/set/load` puts a sampler back.",
            (CH, Arg("uri", "s", doc="LV2 URI of an instrument, or a .vst3 instrument bundle")),
            (Reply("/wave/set/loaded", "si", "`lv2:URI` or `vst3:PATH`, channel"), ERROR), "plugins"),
    Address("/wave/plugin/set", "osc_plugin_set", "Set a plugin parameter (applied at the next block).",
            (FX_TARGET, SLOT, Arg("param", "s", doc="port symbol (or the parameter's name)"), Arg("value", "f")),
            (), "plugins"),
    Address("/wave/plugin/list", "osc_plugin_list", "List the plugin slots of a channel or the master.",
            (FX_TARGET,),
            (Reply("/wave/plugin/item", "iissii", "channel, slot, URI, name, latency in samples, bypassed (1/0)"),
             Reply("/wave/plugin/count", "ii", "channel, how many slots")), "plugins"),
    Address("/wave/plugin/params", "osc_plugin_params", "List a plugin's parameters with ranges and values.",
            (FX_TARGET, SLOT),
            (Reply("/wave/plugin/param", "iissfff", "channel, slot, symbol, name, min, max, value"),), "plugins"),
    Address("/wave/plugin/remove", "osc_plugin_remove",
            "Remove a plugin; the slots after it move up one. It is freed once the audio thread has let go.",
            (FX_TARGET, SLOT), (OK,), "plugins"),
    Address("/wave/plugin/bypass", "osc_plugin_bypass",
            "Bypass a slot (1: its input passes, its latency leaves the graph) or play it again (0); a slot "
            "bypassed for a fault (non-finite output) plays again with a fresh instance.",
            (FX_TARGET, SLOT, Arg("on", "i", 0, 1)), (OK,), "plugins"),
    Address("/wave/plugin/learn", "osc_plugin_learn",
            "MIDI learn: the next CC received drives this plugin parameter over its range (saved with the session).",
            (FX_TARGET, SLOT, Arg("param", "s")),
            (Reply("/wave/learned", "iiiss", "MIDI channel, CC, target channel, `plugin:SLOT`, parameter"),),
            "plugins"),
    # -- MIDI learn ---------------------------------------------------------------------------
    Address("/wave/learn", "osc_learn",
            "MIDI learn: the next CC received (MIDI or `/wave/cc`) drives this effect parameter over its "
            "range. The map is saved with the session.",
            (FX_TARGET, Arg("effect", "s"), Arg("param", "s")),
            (Reply("/wave/learned", "iiiss", "MIDI channel, CC, target channel, effect, parameter"),), "learn"),
    Address("/wave/learn/clear", "osc_learn_clear", "Forget every learned CC.", (), (OK,), "learn"),
    # -- transport ----------------------------------------------------------------------------
    Address("/wave/midi/play", "osc_midi_play", "Play a MIDI file (from the MIDI folder) through the engine.",
            (Arg("file", "s"),), (OK, ERROR), "transport"),
    Address("/wave/midi/stop", "osc_midi_stop", "Stop MIDI file playback (all notes off).", (), (OK,),
            "transport"),
    Address("/wave/record/start", "osc_record_start", "Record the master output to a WAV in the recordings "
            "folder. An existing file is kept (an error says so) unless `overwrite` is 1.",
            (Arg("file", "s", doc="file name, e.g. take1.wav"),
             Arg("overwrite", "i", 0, 1, "1: replace an existing file of that name", default=0)),
            (OK, ERROR), "transport"),
    Address("/wave/record/stop", "osc_record_stop", "Stop recording; the file is finished atomically.", (),
            (Reply("/wave/record/done", "sf", "file, seconds recorded"),), "transport"),
    # -- jobs ---------------------------------------------------------------------------------
    Address("/wave/generate", "osc_generate",
            "Make a new instrument set from an image (from the images folder) in a worker process; "
            "progress comes as `/wave/job` (per stage of `wave make`), then the set appears in "
            "`/wave/set/list`. IMAGE may be a folder of the images folder (`.` for all of it): then "
            "`wave batch` makes one set per image, each named after its image, progress per image. One job "
            "runs at a time; up to 4 more wait (`queued`); beyond that the request is refused. A finished "
            "job's work folder is removed.",
            (Arg("image", "s", doc="image or folder in the images folder"),
             Arg("name", "s", doc="set name; default: the image's stem (none for a folder)", default="")),
            (JOB, Reply("/wave/job/message", "is", "job id, text")), "jobs"),
    Address("/wave/job/cancel", "osc_job_cancel",
            "Cancel a generation job: a queued one never starts; a running one is stopped (its worker process "
            "lives on with its models loaded). The job then reports `/wave/job` with state `error` and the "
            "message `cancelled` to whoever started it; no set is published and its work folder is removed. "
            "A job that has finished (or an unknown id) is an error.",
            (Arg("job_id", "i", 1, None, "the id `/wave/generate` replied with"),),
            (OK, ERROR), "jobs"),
)

BY_ADDRESS: dict[str, Address] = {a.address: a for a in TABLE}

# What the server itself sends: a message to one of these is never answered (no reply loops).
REPLY_ADDRESSES: frozenset[str] = frozenset(
    {r.address for a in TABLE for r in a.replies}
    | {OK.address, ERROR.address, JOB.address, "/wave/job/message", "/wave/learned", "/wave/progress"}
) - set(BY_ADDRESS)

# Work budget of one datagram (a bundle may hold thousands of messages): the rest is dropped and counted.
MAX_MESSAGES = 256
MAX_REPLIES = 256


def markdown() -> str:
    """``docs/osc.md``: generated from :data:`TABLE` (``python -m server.live.osctable > docs/osc.md``)."""
    out = [
        "# WAVE OSC reference",
        "",
        "<!-- generated by `python -m server.live.osctable` from server/live/osctable.py; do not edit -->",
        "",
        "UDP, default `127.0.0.1:9000` (`wave serve --osc-port N --osc-host H`); optionally also TCP "
        "(`--osc-tcp-port N`, liblo's `osc.tcp` framing: an int32 size, then the packet; replies come back "
        "on the connection). Arguments are checked "
        "against the table: an `i` argument also accepts an integral `f`, an `f` accepts `i`. Unknown "
        "addresses, wrong types, out-of-range values and malformed datagrams are counted "
        "(`/wave/status`) and answered with `/wave/error s:address s:message`; a message to one of the "
        "server's own reply addresses (`/wave/error`, `/wave/pong`, ...) is never answered, so two servers "
        "(or one pointed at itself) cannot flood each other. One datagram (a bundle) is handled up to "
        f"{MAX_MESSAGES} messages and {MAX_REPLIES} replies; the rest is dropped, counted and reported once. "
        "Replies go to the "
        "sender's socket, or to the port set with `/wave/reply_to`, and use only the types "
        "`i`, `f`, `s`, `b`. File names are confined to the server's folders (sets, models, MIDI, "
        "recordings, images); `..` and absolute paths outside them are refused. OSC address patterns "
        "(`/wave/*`, `?`, `[…]`, `{…}`) are not supported: every message names one address in full.",
        "",
    ]
    groups: list[str] = []
    for a in TABLE:
        if a.group not in groups:
            groups.append(a.group)
    for g in groups:
        out += [f"## {g}", ""]
        for a in (x for x in TABLE if x.group == g):
            sig = " ".join(f"{x.type}:{x.name}" + ("?" if x.optional else "") for x in a.args)
            out += [f"### `{a.address}` {sig}".rstrip(), "", a.doc, ""]
            if a.args:
                out += ["| argument | type | range | default | meaning |", "|---|---|---|---|---|"]
                for x in a.args:
                    d = "" if x.default is None else repr(x.default)
                    out.append(f"| {x.name} | {x.type} | {x.describe_range()} | {d} | {x.doc} |")
                out.append("")
            if a.replies:
                out.append("Replies: " + "; ".join(f"`{r.address}` ({r.types}) — {r.doc}" for r in a.replies))
                out.append("")
    out += ["## Effects", "", "Every channel strip and the master carry the same chain, in this order "
            "(off until a parameter is set or `/wave/fx/bypass … 1`):", ""]
    from .effects import EFFECTS

    out += ["| effect | parameter | min | max | default |", "|---|---|---|---|---|"]
    for spec in EFFECTS:
        for p in spec.params:
            out.append(f"| {spec.name} | {p.name} | {_fmt(p.lo)} | {_fmt(p.hi)} | {_fmt(p.default)} |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
