"""WAVE smooths a plugin's continuous parameters: a gain changed from 0 to -24 dB ramps over 10 ms instead
of stepping (a step is a click). Tested with a tiny LV2 amplifier built here from C (no smoothing of its
own: out = in x 10^(gain/20) per run), so what is measured is the host's ramp."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

URI = "urn:wave:test:amp"
SR, BLOCK = 48000, 512

C_SRC = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
typedef void *LV2_Handle;
typedef struct { const char *URI; void *data; } LV2_Feature;
typedef struct LV2_Descriptor {
  const char *URI;
  LV2_Handle (*instantiate)(const struct LV2_Descriptor *, double, const char *, const LV2_Feature *const *);
  void (*connect_port)(LV2_Handle, uint32_t, void *);
  void (*activate)(LV2_Handle);
  void (*run)(LV2_Handle, uint32_t);
  void (*deactivate)(LV2_Handle);
  void (*cleanup)(LV2_Handle);
  const void *(*extension_data)(const char *);
} LV2_Descriptor;
typedef struct { const float *gain; const float *in; float *out; } Amp;
static LV2_Handle inst(const LV2_Descriptor *d, double r, const char *p, const LV2_Feature *const *f) {
  return calloc(1, sizeof(Amp));
}
static void conn(LV2_Handle h, uint32_t port, void *data) {
  Amp *a = (Amp *)h;
  if (port == 0) a->gain = data; else if (port == 1) a->in = data; else a->out = data;
}
static void run(LV2_Handle h, uint32_t n) {
  Amp *a = (Amp *)h;
  const float g = powf(10.0f, *a->gain / 20.0f);
  for (uint32_t i = 0; i < n; i++) a->out[i] = a->in[i] * g;
}
static void cleanup(LV2_Handle h) { free(h); }
static const LV2_Descriptor desc = {"urn:wave:test:amp", inst, conn, NULL, run, NULL, cleanup, NULL};
__attribute__((visibility("default"))) const LV2_Descriptor *lv2_descriptor(uint32_t i) { return i == 0 ? &desc : NULL; }
"""

TTL = """@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:wave:test:amp> a lv2:Plugin, lv2:AmplifierPlugin ; lv2:binary <amp.so> ; rdfs:seeAlso <amp.ttl> .
"""
PLUGIN_TTL = """@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix doap: <http://usefulinc.com/ns/doap#> .
<urn:wave:test:amp> a lv2:Plugin ; doap:name "WAVE test amp" ;
  lv2:port [ a lv2:InputPort, lv2:ControlPort ; lv2:index 0 ; lv2:symbol "gain" ; lv2:name "Gain" ;
             lv2:default 0.0 ; lv2:minimum -90.0 ; lv2:maximum 24.0 ] ,
           [ a lv2:InputPort, lv2:AudioPort ; lv2:index 1 ; lv2:symbol "in" ; lv2:name "In" ] ,
           [ a lv2:OutputPort, lv2:AudioPort ; lv2:index 2 ; lv2:symbol "out" ; lv2:name "Out" ] .
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("needs a C compiler to build the test plugin")
    try:
        from server.plugins.lv2 import World
    except Exception as exc:  # pragma: no cover
        pytest.skip(f"LV2 hosting unavailable: {exc}")
    root = tmp_path_factory.mktemp("lv2")
    bundle = root / "wave-test-amp.lv2"
    bundle.mkdir()
    (bundle / "amp.c").write_text(C_SRC)
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(bundle / "amp.so"), str(bundle / "amp.c"), "-lm"],
                   check=True, capture_output=True)
    (bundle / "manifest.ttl").write_text(TTL)
    (bundle / "amp.ttl").write_text(PLUGIN_TTL)
    return World(str(root))


def _gain_change(world, smooth_ms: float) -> np.ndarray:
    from server.plugins.lv2 import LV2Plugin

    p = LV2Plugin(URI, world=world)
    p.smooth_ms = smooth_ms
    p.prepare(SR, BLOCK)
    dc = np.full((2, BLOCK), 0.5, dtype=np.float32)
    try:
        out = [p.process(dc).copy()]
        p.set("gain", -24.0)
        out += [p.process(dc).copy() for _ in range(3)]
    finally:
        p.close()
    return np.concatenate(out, axis=1)[0]


def test_a_gain_change_ramps_over_10_ms_instead_of_stepping(world):
    y = _gain_change(world, 10.0)
    assert abs(y[BLOCK - 1] - 0.5) < 1e-6  # 0 dB before the change
    target = 0.5 * 10 ** (-24 / 20)
    ramp = int(0.010 * SR)
    assert np.allclose(y[BLOCK + ramp:], target, atol=1e-6)  # there 10 ms later, and stays
    level = 20 * np.log10(y[BLOCK - 1: BLOCK + ramp + 1])
    assert np.abs(np.diff(level)).max() < 1.0  # no step of 1 dB or more (the jump was 24 dB: a click)
    assert (np.diff(y[BLOCK: BLOCK + ramp]) <= 1e-7).all()  # monotonic on the way down


def test_smoothing_off_applies_the_value_at_the_next_block(world):
    y = _gain_change(world, 0.0)
    assert abs(y[BLOCK - 1] - 0.5) < 1e-6
    assert np.allclose(y[BLOCK:], 0.5 * 10 ** (-24 / 20), atol=1e-6)  # at once: the step


def test_switches_and_choices_are_never_ramped(world):
    from server.plugins.lv2 import LV2Plugin

    p = LV2Plugin(URI, world=world)
    assert p._continuous == {0}  # the gain; a toggle, an integer or an enumeration would be left out
