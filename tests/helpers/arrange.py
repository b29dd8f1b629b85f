"""Measurements of ``wave make``'s songs (only tests use them): a role's notes alone, and the key a
rendered recording is heard in."""

from __future__ import annotations

import copy

import mido
import numpy as np

from server.midi.song import song_from_midifile


def solo(mf: mido.MidiFile, role: str) -> mido.MidiFile:
    """A copy playing only the notes of the channels whose role is ``role`` (others keep their CCs)."""
    chan_role = song_from_midifile(mf).channel_roles()
    out = copy.deepcopy(mf)
    for track in out.tracks:
        for i, m in enumerate(track):
            if m.type == "note_on" and chan_role.get(m.channel) != role:
                track[i] = m.copy(velocity=0)
    return out


def audio_pitch_weights(audio: np.ndarray, sr: int, fmin: float = 55.0, fmax: float = 2000.0) -> np.ndarray:
    """Pitch-class energy of a recording (a chromagram summed over time), for
    :func:`server.make.arrange.estimate_key`.

    STFT magnitude of 8192-sample frames, each bin from ``fmin`` to ``fmax`` given to its nearest
    pitch class; frames are normalised so loud drum hits do not dominate.
    """
    x = np.asarray(audio, dtype=np.float64)
    x = x.mean(axis=0) if x.ndim == 2 else x
    n = 8192
    hop = n // 2
    if x.size < n:
        x = np.pad(x, (0, n - x.size))
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::hop] * np.hanning(n)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    sel = (freqs >= fmin) & (freqs <= fmax)
    pc = np.round(12 * np.log2(freqs[sel] / 440.0) + 69).astype(int) % 12
    m = mag[:, sel]
    m = m / np.maximum(m.sum(axis=1, keepdims=True), 1e-12)
    w = np.zeros(12)
    np.add.at(w, pc, m.sum(axis=0))
    return w
