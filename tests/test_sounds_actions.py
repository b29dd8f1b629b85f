"""The actions family checked by its physics: a clapper's rate and the hand cavity's band, an audience's
density, the wingbeat rate of a small and a big bird, a tyre squeal's stick-slip band, an air brake's hiss band
and decay, a flag's irregular snaps, a cork's Helmholtz pop, a spring's falling boing, a zip's tooth rate, a
ball's geometric bounces and a hollow ball's cavity modes, a ruler's slap train at its bending mode, a coil's
dispersive echoes, a cannon's lower boom, a heartbeat's lub-dub, breaths per minute, a mask's Helmholtz
resonance and a diver's valve hiss, a puff after a breath in, a vibrating phone's motor, white static and a
radio's weak heterodyne whistle over steady hiss, feedback's exponential growth, a sewing machine's stitch rate;
every model deterministic, finite and peak-normalised."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from server.sounds import actions
from server.sounds.synth import MATERIALS, MODEL_FUNCS, Ctx, Params, SourceDescription, synthesize

SR = 48000


def ctx_for(name: str, play: str, seconds: float, seed: int = 0, sr: int = SR) -> Ctx:
    return Ctx(sr, int(seconds * sr), np.random.default_rng(seed), Params(), MATERIALS["metal"], None,
               SourceDescription(name, "", play))


def envelope(x: np.ndarray, sr: int, ms: float = 5.0) -> np.ndarray:
    n = max(int(ms * 1e-3 * sr), 1)
    return np.sqrt(np.convolve(x**2, np.ones(n) / n, mode="same"))


def onsets(x: np.ndarray, sr: int, thresh_db: float = -20.0, min_gap: float = 0.05) -> np.ndarray:
    """Times (s) where the 2 ms envelope rises through ``thresh_db`` under its peak, at least ``min_gap`` apart."""
    e = envelope(x, sr, 2.0)
    on = 20 * np.log10(e / e.max() + 1e-12) > thresh_db
    ups = np.flatnonzero(np.diff(on.astype(int)) == 1) / sr
    out: list[float] = []
    for t in ups:
        if not out or t - out[-1] >= min_gap:
            out.append(float(t))
    return np.asarray(out)


def band_fraction(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    f, p = signal.welch(x, fs=sr, nperseg=4096)
    return float(p[(f >= lo) & (f <= hi)].sum() / p.sum())


def modulation_peak(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Frequency (Hz) of the strongest component of the amplitude envelope between lo and hi."""
    e = envelope(x, sr, 2.0)
    e = signal.decimate(e - e.mean(), 10)
    f, p = signal.welch(e, fs=sr / 10, nperseg=min(len(e), 2**15))
    band = (f >= lo) & (f <= hi)
    return float(f[band][np.argmax(p[band])])


CASES = [("person", "hand claps", "clap"), ("crowd", "applause", "clap"), ("pigeon", "wings flapping", "wings"),
         ("race car", "tyres squealing", "tyre_squeal"), ("truck", "air brakes hissing", "air_brake"),
         ("flag", "flag flapping", "flap"), ("balloon", "popped", "pop"), ("ruler", "twanged on the desk edge", "twang"),
         ("bag", "zip pulled", "zipper"), ("ball", "bouncing on the ground", "bounce"), ("gun", "gunshot", "blast"),
         ("stethoscope", "heartbeat heard", "heartbeat"), ("diver", "regulator breathing", "breathing"),
         ("phone", "vibration alert", "vibrate"), ("radio", "tuning between stations", "static"),
         ("microphone", "feedback whine", "feedback"), ("sewing machine", "needle hammering", "sewing")]


def test_the_family_registers_its_models_with_their_classes():
    assert set(actions.MODELS) == set(actions.AUDIOSET) == {
        "clap", "wings", "tyre_squeal", "air_brake", "flap", "pop", "twang", "zipper", "bounce", "blast", "heartbeat",
        "breathing", "vibrate", "static", "feedback", "sewing", "racket", "bat_crack", "glove_catch", "punching_bag",
        "billiards", "crowd", "open_wind"}
    assert all(MODEL_FUNCS[m] is actions.MODELS[m][1] for m in actions.MODELS)


@pytest.mark.parametrize("name,play,model", CASES)
def test_every_model_is_deterministic_finite_and_peak_normalised(name, play, model):
    desc = SourceDescription(name, "", play)
    a, choice = synthesize(desc, 3.0, seed=4, model=model)
    b, _ = synthesize(desc, 3.0, seed=4, model=model)
    c, _ = synthesize(desc, 3.0, seed=5, model=model)
    assert choice.model == model and a.shape == (3 * 48000,) and a.dtype == np.float32
    assert np.isfinite(a).all() and np.array_equal(a, b) and not np.array_equal(a, c)
    assert 20 * np.log10(np.abs(a).max()) == pytest.approx(-1.0, abs=0.01)
    assert np.std(a) > 1e-3  # not silence


@pytest.mark.parametrize("name,play,model", CASES)
def test_other_sample_rates_render(name, play, model):
    x, _ = synthesize(SourceDescription(name, "", play), 1.0, seed=0, sample_rate=16000, model=model)
    assert x.shape == (16000,) and np.isfinite(x).all() and np.abs(x).max() > 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_person_claps_at_3_to_5_hz_through_a_hand_cavity_of_1_to_2_khz(seed):
    ctx = ctx_for("person", "hand claps", 8.0, seed)
    x = actions.m_clap(ctx)
    ts = onsets(x, SR, -20.0, 0.12)
    ioi = np.diff(ts)
    runs = ioi[ioi < 0.3]  # within a run of claps (the pauses between runs are longer)
    assert len(runs) >= 10
    assert 3.3 <= 1 / np.median(runs) <= 5.2
    assert np.std(runs) / np.mean(runs) < 0.1  # Repp: a steady clapper's period varies by a few %
    f, p = signal.welch(x, fs=SR, nperseg=4096)
    assert 500 <= f[np.argmax(p)] <= 2500  # the cavity resonance
    assert band_fraction(x, SR, 300, 5000) > 0.7


def test_an_audience_is_a_dense_patter_of_many_clappers():
    one = actions.m_clap(ctx_for("person", "hand claps", 6.0, 1))
    many = actions.m_clap(ctx_for("crowd", "applause", 6.0, 1))

    def frame_spread_db(x):  # spread of 20 ms frame levels after the swell: sparse claps vary widely
        e = envelope(x, SR, 20.0)[SR:: int(0.02 * SR)]
        db = 20 * np.log10(e + 1e-12)
        return np.percentile(db, 90) - np.percentile(db, 10)

    assert frame_spread_db(many) < 8.0 < frame_spread_db(one)
    assert band_fraction(many, SR, 600, 8000) > 0.8


def test_an_audiences_applause_is_100_to_200_clappers_at_2_to_6_claps_a_second(monkeypatch):
    calls = []
    real = actions._clap_times

    def counted(ctx, rate, sd, runs):
        t = real(ctx, rate, sd, runs)
        calls.append((rate, t.size))
        return t

    monkeypatch.setattr(actions, "_clap_times", counted)
    for seed in range(3):
        calls.clear()
        actions.m_clap(ctx_for("audience", "applause", 5.0, seed))
        assert 100 <= len(calls) <= 200  # a hall's stalls within earshot: no single clap stands out as a pop
        rates = np.array([r for r, _ in calls])
        assert rates.min() >= 2.0 and rates.max() <= 6.0
        claps = sum(n for _, n in calls) / 5.0
        assert 300 <= claps <= 1000  # claps a second, summed with no common beat


def test_a_hovering_hummingbird_chips_short_notes_sweeping_down():
    ctx = ctx_for("hummingbird", "wings humming", 6.0, 2)
    x = actions.hummingbird_chips(ctx)
    ts = onsets(x, SR, -20.0, 0.05)
    assert 3 <= len(ts) <= 6.0 / 0.5 * 3
    for t in ts[:4]:
        seg = x[int(t * SR): int((t + 0.05) * SR)]
        on = np.flatnonzero(np.abs(seg) > 0.05 * np.abs(seg).max())
        dur_ms = (on[-1] - on[0]) / SR * 1e3
        assert 10 <= dur_ms <= 45  # 20-40 ms notes (their raised-cosine ends under 5 % of the peak)

        def peak_hz(a, b, seg=seg, on=on):
            part = seg[on[0] + int(a * on.size): on[0] + int(b * on.size)]
            f = np.fft.rfftfreq(2048, 1 / SR)
            return f[np.argmax(np.abs(np.fft.rfft(part, 2048)))]
        assert peak_hz(0.0, 0.3) > peak_hz(0.7, 1.0)  # sweeping down
        assert 4500 <= peak_hz(0.0, 0.3) <= 7200 and 2800 <= peak_hz(0.7, 1.0) <= 4800
    for seed in range(3):  # the chips stand out of the wings' hum and whoosh in their band
        hum = actions.m_wings(ctx_for("hummingbird", "wings humming", 6.0, seed))
        e = envelope(signal.sosfilt(signal.butter(4, [3000, 7500], "band", fs=SR, output="sos"), hum), SR, 10.0)
        assert 20 * np.log10(np.percentile(e, 99.5) / np.median(e)) > 12


@pytest.mark.parametrize("name,lo,hi", [("songbird", 11.0, 16.0), ("pigeon", 5.0, 8.0), ("heron", 2.0, 3.5),
                                        ("hummingbird", 40.0, 80.0)])
def test_wings_beat_at_the_species_rate(name, lo, hi):
    ctx = ctx_for(name, "wings flapping", 8.0, 3)
    assert actions.wingbeat_hz(ctx) == (lo, hi)
    x = actions.m_wings(ctx)
    assert lo * 0.9 <= modulation_peak(x, SR, lo / 2, max(70.0, 1.2 * hi)) <= hi * 1.1  # above the bouts of flight


def test_an_owls_wings_are_silent_above_a_kilohertz():
    owl = actions.m_wings(ctx_for("owl", "silent wingbeats", 6.0, 2))
    crow = actions.m_wings(ctx_for("raptor", "wings beating", 6.0, 2))
    assert band_fraction(owl, SR, 2000, 20000) < 0.02 < band_fraction(crow, SR, 2000, 20000)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tyre_squeal_is_a_stick_slip_tone_of_1_to_3_khz(seed):
    ctx = ctx_for("race car", "tyres squealing", 5.0, seed)
    x = actions.m_tyre_squeal(ctx)
    f, t, z = signal.stft(x, fs=SR, nperseg=4096)
    mag = np.abs(z)
    loud = mag.sum(0) > 0.3 * mag.sum(0).max()
    band = (f > 600) & (f < 4000)
    peaks = f[band][np.argmax(mag[band][:, loud], axis=0)]
    assert np.median(peaks) == pytest.approx(np.clip(np.median(peaks), 900, 3000))
    # a tone: in each frame the strongest bin stands well above the band's median (noise would not)
    sub = mag[band][:, loud]
    assert np.median(sub.max(0) / np.median(sub, axis=0)) > 20


@pytest.mark.parametrize("seed", [0, 1])
def test_air_brake_is_a_burst_of_hiss_above_a_kilohertz_that_decays(seed):
    ctx = ctx_for("truck", "air brakes hissing", 6.0, seed)
    x = actions.m_air_brake(ctx)
    assert band_fraction(x, SR, 1000, 12000) > 0.8
    e = envelope(_hp(x, 1000), SR, 10.0)  # the hiss, not the engine under it
    i = int(np.argmax(e[: int(0.6 * SR)]))  # the first vent (the brake applied) starts within 0.5 s
    rise = np.flatnonzero(e[:i] < 0.1 * e[i])
    assert (i - rise[-1]) / SR < 0.06  # the valve snaps open: full hiss within tens of ms
    db = 20 * np.log10(e / e[i] + 1e-12)
    slope = (db[i + int(0.6 * SR)] - db[i + int(0.2 * SR)]) / 0.4  # dB/s, before the release (>= 1 s later)
    tau = 8.686 / -slope
    assert 0.1 < tau < 0.8  # the reservoir empties exponentially (time constant 0.3-0.6 s, the hiss darkening)


def test_flag_snaps_come_irregularly_and_a_sail_snaps_slower():
    rates, cvs = [], []
    for name, play in (("flag", "flag flapping"), ("sailboat", "sails flapping")):
        r = []
        for seed in range(4):
            x = actions.m_flap(ctx_for(name, play, 10.0, seed))
            ts = onsets(_hp(x, 7000), SR, -14.0, 0.04)  # the edge's cracks reach far above the flutter
            r.append(len(ts) / 10.0)
            if len(ts) > 4:
                ioi = np.diff(ts)
                cvs.append(np.std(ioi) / np.mean(ioi))
        rates.append(np.mean(r))
    assert 1.0 < rates[0] < 12.0 and rates[1] < rates[0]
    assert np.median(cvs) > 0.4  # gusty, Poisson-like, not a steady beat


def _hp(x: np.ndarray, fc: float = 2000) -> np.ndarray:
    return signal.sosfilt(signal.butter(4, fc, "high", fs=SR, output="sos"), x)


def test_the_keywords_choose_the_family_and_leave_other_models_alone():
    from server.sounds.synth import choose_model

    def pick(name, play):
        return choose_model(SourceDescription(name, "", play))[0]

    assert pick("audience", "applause") == "clap" and pick("person", "hand claps") == "clap"
    assert pick("flag", "flag flapping") == "flap" and pick("race car", "tyres skidding") == "tyre_squeal"
    assert pick("bus", "air brake") == "air_brake" and pick("race car", "tyres squealing") == "tyre_squeal"
    assert pick("songbird", "wings flapping") == "wings" and pick("tent", "fabric flapping in the wind") == "flap"
    assert pick("pig", "squealing") != "tyre_squeal" and pick("snake", "hissing") == "hiss"


def peak_hz(x: np.ndarray, sr: int, lo: float = 20.0, hi: float = 20000.0) -> float:
    f, p = signal.welch(x, fs=sr, nperseg=min(8192, x.size))
    band = (f >= lo) & (f <= hi)
    return float(f[band][np.argmax(p[band])])


@pytest.mark.parametrize("name,play,lo,hi", [("corkscrew", "cork popping", 400, 800),
                                             ("plunger", "suction pop", 150, 300)])
def test_a_cork_pops_at_the_necks_helmholtz_resonance_and_a_suction_cup_lower(name, play, lo, hi):
    x = actions.m_pop(ctx_for(name, play, 5.0, 1))
    assert lo * 0.95 <= peak_hz(x, SR, 100, 2000) <= hi * 1.05
    ts = onsets(x, SR, -12.0, 0.5)
    assert len(ts) >= 2 and np.all((np.diff(ts) > 0.9) & (np.diff(ts) < 2.6))  # one pop at a time


def test_a_balloon_burst_is_a_millisecond_pulse():
    ctx = ctx_for("balloon", "popped", 3.0, 0)
    x = actions.m_pop(ctx)
    i = int(np.argmax(np.abs(x)))
    e = envelope(x, SR, 0.5)
    above = np.flatnonzero(e[i - int(0.01 * SR): i + int(0.05 * SR)] > 0.3 * e[i])
    assert (above[-1] - above[0]) / SR < 0.01  # the burst itself is over within 10 ms (its room tail is lower)


def test_twangers_ring_at_their_modes_and_a_spring_boings_downwards():
    # a clamped-free strip: f1 = (1.875^2 / 2 pi) sqrt(E t^2 / (12 rho)) / L^2
    assert actions.ruler_f1(0.8e-3, 0.15, 200e9, 7850) == pytest.approx(29.0, abs=0.1)  # steel, 15 cm over
    assert actions.ruler_f1(3e-3, 0.15, 10e9, 600) == pytest.approx(87.9, abs=0.1)  # wood
    assert actions.ruler_f1(3e-3, 0.30, 10e9, 600) == pytest.approx(87.9 / 4, abs=0.1)  # twice as long: 1/L^2
    for seed in range(3):
        ruler = actions.m_twang(ctx_for("ruler", "twanged on the desk edge", 3.0, seed))
        i = int(np.flatnonzero(np.abs(ruler) > 0.1 * np.abs(ruler).max())[0])
        f1 = peak_hz(ruler[i:i + int(0.78 * SR)], SR, 20, 120)
        assert 25 * 0.95 <= f1 <= 90 * 1.05
        # while it swings wide it slaps the desk once a cycle: knocks (250-2000 Hz) at f1 a second ...
        first = ruler[i:i + int(0.25 * SR)]
        knocks = signal.sosfilt(signal.butter(4, [250, 2000], "bandpass", fs=SR, output="sos"), first)
        e = envelope(knocks, SR, 1.0)
        e = e - e.mean()
        ac = np.correlate(e, e, "full")[e.size - 1:]
        lags = np.arange(ac.size) / SR
        band = (lags > 1 / 100) & (lags < 1 / 20)
        assert 1 / lags[band][np.argmax(ac[band])] == pytest.approx(f1, rel=0.1)

        def knock_power(seg):
            f, p = signal.welch(seg, fs=SR, nperseg=2048)
            return p[(f > 250) & (f < 2000)].sum()

        # ... and stops slapping once the swing has died down
        assert 10 * np.log10(knock_power(first) / knock_power(ruler[i + int(0.6 * SR):i + int(0.78 * SR)])) > 20
    fork = actions.m_twang(ctx_for("cutlery", "fork tines plucked", 3.0, 0))
    assert 500 * 0.95 <= peak_hz(fork, SR, 200, 3000) <= 1100 * 1.05
    ctx = ctx_for("mousetrap", "spring twanged", 3.0, 2)
    x = actions.m_twang(ctx)
    i = int(np.flatnonzero(np.abs(x) > 0.1 * np.abs(x).max())[0])
    early = peak_hz(x[i:i + 4096], SR, 100, 420)  # the coil's fundamental (180-320 Hz) ...
    late = peak_hz(x[i + int(0.5 * SR):i + int(0.5 * SR) + 8192], SR, 0.5 * early, 1.05 * early)
    assert early > 1.1 * late  # ... gliding down


def test_a_click_on_a_dispersive_coil_returns_as_descending_chirps_each_round_trip():
    ctx = ctx_for("mousetrap", "spring twanged", 1.0, 0)
    x = actions.spring_echoes(ctx, 0.02, 300.0, 4000.0, 1.0, int(0.2 * SR))
    assert np.abs(x[: int(0.0195 * SR)]).max() == 0  # nothing before the first round trip (20 ms)

    def arrival(lo, hi):  # when a band first comes back (s): its envelope through a quarter of its peak
        y = envelope(signal.sosfiltfilt(signal.butter(4, [lo, hi], "bandpass", fs=SR, output="sos"), x), SR, 1.0)
        return float(np.argmax(y > 0.25 * y.max()) / SR)

    hi_t, lo_t = arrival(2800, 3600), arrival(350, 450)
    # bending waves are dispersive: f arrives at T sqrt(f_hi / f), ~21 ms at 3.2 kHz, ~63 ms at 400 Hz
    assert hi_t == pytest.approx(0.02 * np.sqrt(4000 / 3200), abs=0.004)
    assert lo_t == pytest.approx(0.02 * np.sqrt(4000 / 400), abs=0.008)


def test_a_zip_clicks_at_its_tooth_rate():
    x = actions.m_zipper(ctx_for("bag", "zip pulled", 5.0, 3))
    e = envelope(_hp(x, 1500), SR, 0.3)
    loud = e > 0.3 * e.max()
    seg = e[loud][: int(0.3 * SR)] - e[loud][: int(0.3 * SR)].mean()
    ac = np.correlate(seg, seg, "full")[seg.size - 1:]
    lags = np.arange(ac.size) / SR
    band = (lags > 1 / 300) & (lags < 1 / 60)
    rate = 1 / lags[band][np.argmax(ac[band])]
    assert 60 <= rate <= 330  # 0.2-0.5 m/s over teeth 2-3 mm apart, wavering by ~30 %


def test_bounces_quicken_geometrically_by_the_coefficient_of_restitution():
    t = actions.bounce_times(0.0, 0.4, 0.8, 10.0)
    flights = np.diff(t)
    assert t[0] == pytest.approx(0.4) and flights[0] == pytest.approx(0.64)
    assert np.allclose(flights[1:] / flights[:-1], 0.8)
    x = actions.m_bounce(ctx_for("small ball", "bouncing on a table", 5.0, 4))
    ts = onsets(x, SR, -20.0, 0.1)
    ratios = np.diff(ts)[1:4] / np.diff(ts)[:3]
    assert np.all((ratios > 0.82) & (ratios < 0.97))  # a table-tennis ball: e = 0.88-0.93


def test_a_cannon_booms_lower_than_a_gunshot_and_an_eruption_rumbles():
    def centroid(x):
        f, p = signal.welch(x, fs=SR, nperseg=8192)
        return float((f * p).sum() / p.sum())

    gun = actions.m_blast(ctx_for("gun", "gunshot", 5.0, 0))
    cannon = actions.m_blast(ctx_for("cannon", "cannon firing", 5.0, 0))
    volcano = actions.m_blast(ctx_for("volcano", "deep eruption rumble", 5.0, 0))
    assert centroid(cannon) < 0.5 * centroid(gun)
    assert band_fraction(volcano, SR, 0, 200) > 0.5


def test_a_heartbeat_is_lub_dub_at_60_to_85_beats_a_minute():
    x = actions.m_heartbeat(ctx_for("stethoscope", "heartbeat heard", 10.0, 1))
    assert band_fraction(x, SR, 20, 600) > 0.95
    ts = onsets(x, SR, -15.0, 0.15)
    gaps = np.diff(ts)
    systole = gaps[gaps < 0.45]
    beats = gaps[0::2][:4] + gaps[1::2][:4]  # S1 to the next S1
    assert len(systole) >= 5 and np.all((systole > 0.2) & (systole < 0.42))
    assert np.all((60 / beats > 55) & (60 / beats < 90))


def test_a_heart_sound_is_a_struck_ringing_not_a_swell_and_the_gaps_are_quiet():
    """A valve's closure rings the heart wall: the sound peaks within its first ~30 ms and decays; between the
    beats a stethoscope hears only a faint rustle, at least 35 dB under the beats (no wind-like rumble)."""
    x = actions.m_heartbeat(ctx_for("stethoscope", "heartbeat heard", 6.0, 3))
    e = envelope(x, SR, 5.0)
    ts = onsets(x, SR, -15.0, 0.15)
    for t in ts[:6]:
        i = int(t * SR)
        seg = e[max(0, i - int(0.02 * SR)): i + int(0.12 * SR)]
        rise = (np.argmax(seg) - min(i, int(0.02 * SR))) / SR
        assert rise < 0.035
        assert seg[-1] < 0.35 * seg.max()
    pairs = zip(ts[1::2], ts[2::2], strict=False)  # an S2 and the next S1
    gaps = [e[int((a + 0.2) * SR): int((b - 0.05) * SR)] for a, b in pairs if b - a > 0.3]
    assert gaps
    quiet = np.median(np.concatenate(gaps))
    assert 20 * np.log10(quiet / e.max() + 1e-12) < -35


def test_breaths_come_12_to_20_a_minute_and_a_puff_is_short():
    x = actions.m_breathing(ctx_for("person", "slow breathing", 20.0, 2))
    e = envelope(x, SR, 50.0)[:: SR // 100]  # 100 frames a second
    e = e - e.mean()
    ac = np.correlate(e, e, "full")[e.size - 1:]
    lags = np.arange(ac.size) / 100
    band = (lags > 2.0) & (lags < 7.0)
    rate = 60 / lags[band][np.argmax(ac[band])]  # an inhalation and an exhalation make one breath
    assert 11 <= rate <= 21
    for seed in (2, 3):
        puff = actions.m_breathing(ctx_for("candle", "blown out", 4.0, seed))
        e = envelope(puff, SR, 10.0)
        i = int(np.argmax(e))
        onset = i - int(np.argmax(e[:i][::-1] < 0.3 * e[i]))
        above = np.flatnonzero(e[onset:i + SR // 2] > 0.1 * e[i])
        assert (above[-1] - above[0]) / SR < 0.6  # one short forced exhalation ...
        before = e[max(0, onset - int(0.9 * SR)):onset - int(0.05 * SR)]
        assert -16 < 20 * np.log10(before.max() / e[i]) < -8  # ... after a quick, softer breath in


def test_a_vibrating_phone_buzzes_at_its_motor_speed_in_pairs_of_pulses():
    x = actions.m_vibrate(ctx_for("phone", "vibration alert", 6.0, 0))
    assert 140 <= peak_hz(x, SR, 80, 400) <= 260
    ts = onsets(x, SR, -15.0, 0.3)
    gaps = np.diff(ts)
    assert np.any((gaps > 0.5) & (gaps < 0.75)) and np.any(gaps > 1.3)  # the pair, then the pause


def test_tv_static_is_white():
    x = actions.m_static(ctx_for("tv", "static hiss", 4.0, 0))
    f, p = signal.welch(x, fs=SR, nperseg=4096)
    lo, hi = p[(f > 1000) & (f < 4000)].mean(), p[(f > 8000) & (f < 16000)].mean()
    assert abs(10 * np.log10(lo / hi)) < 3.0


def test_feedback_grows_exponentially_into_a_whine():
    x = actions.m_feedback(ctx_for("microphone", "feedback whine", 4.0, 1))
    assert 1000 * 0.95 <= peak_hz(x, SR, 200, 8000) <= 4000 * 1.05
    e = 20 * np.log10(envelope(x, SR, 20.0) + 1e-9)
    i = int(np.argmax(e > e.max() - 3))  # saturated
    j = int(np.argmax(e > e.max() - 40))  # 40 dB under it
    slope = 37.0 / ((i - j) / SR)
    assert 15 <= slope <= 80  # dB per second: a straight line in dB, 20-60 dB/s


def test_a_sewing_machine_stitches_10_to_17_times_a_second():
    for seed in range(3):
        x = actions.m_sewing(ctx_for("sewing machine", "needle hammering", 6.0, seed))
        # the body's knock, once a stitch (the steel clicks and the rattle lie above 2.5 kHz)
        ts = onsets(signal.sosfilt(signal.butter(4, 800, "low", fs=SR, output="sos"), x), SR, -15.0, 0.04)
        gaps = np.diff(ts)
        fast = gaps[gaps < 0.25]
        assert len(fast) > 20 and 9 <= 1 / np.median(fast) <= 18
        # the motor whirs (brush noise), it does not hum like an engine: little energy under 250 Hz
        assert band_fraction(x, SR, 0, 250) < 0.05, band_fraction(x, SR, 0, 250)
        assert band_fraction(x, SR, 2000, 8000) > 0.3  # the clatter of small steel parts


def _spectrum(x: np.ndarray, sr: int, nperseg: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    return signal.welch(x, fs=sr, nperseg=nperseg)


def test_a_hollow_balls_cavity_rings_at_its_sphere_modes():
    # a rigid-walled sphere of air: f = ka c / (2 pi a), ka = 2.082 for the lowest (l = 1) mode
    assert actions.cavity_modes(0.12)[0] == pytest.approx(2.082 * 343 / (2 * np.pi * 0.12), rel=1e-6)
    assert 920 <= actions.cavity_modes(0.123)[0] and actions.cavity_modes(0.117)[0] <= 975  # a basketball
    assert 5000 <= actions.cavity_modes(0.020)[0] <= 6000  # a table-tennis ball
    x = actions.m_bounce(ctx_for("ball", "bouncing on the ground", 5.0, 1))
    f, p = _spectrum(x, SR)
    band = (f > 700) & (f < 1300)
    peak = f[band][np.argmax(p[band])]
    assert 900 <= peak <= 1000, peak  # the "ping" over the floor's thud
    around = p[((f > 600) & (f < 800)) | ((f > 1100) & (f < 1300))].mean()
    assert 10 * np.log10(p[band].max() / around) > 6


def test_a_basketball_thuds_low_and_bounces_geometrically():
    x = actions.m_bounce(ctx_for("ball", "dropped on the ground", 6.0, 2))
    assert band_fraction(x, SR, 0, 400) > 0.5  # a ~10 ms contact: most energy in the thud
    ts = onsets(_hp(x, 700), SR, -12.0, 0.1)  # timed by the cavity's ping and the slap (the floor and the hall rumble)
    ratios = np.diff(ts)[1:4] / np.diff(ts)[:3]
    assert np.all((ratios > 0.7) & (ratios < 0.9)), ratios  # e = 0.75-0.85


def test_a_ball_bounced_on_the_ground_is_bounced_by_hand_then_let_go_to_bounce_out():
    for seed in range(3):
        x = actions.m_bounce(ctx_for("ball", "bouncing on the ground", 8.0, seed))
        ts = onsets(_hp(x, 700), SR, -12.0, 0.1)
        by_hand = ts[ts < actions.HAND_SHARE * 8.0 - 0.6]
        assert len(by_hand) >= 5 and 1.4 <= 1 / np.median(np.diff(by_hand)) <= 2.3  # a steady dribble
        out = ts[ts > actions.HAND_SHARE * 8.0 + 0.1]  # let go: the flights shrink by e = 0.75-0.85
        gaps = np.diff(out)[:4]
        assert len(gaps) >= 3 and np.all((gaps[1:] / gaps[:-1] > 0.65) & (gaps[1:] / gaps[:-1] < 0.95)), gaps


def test_a_dribbled_ball_bounces_1_5_to_2_2_times_a_second():
    x = actions.m_bounce(ctx_for("ball", "dribbled", 6.0, 0))
    ts = onsets(_hp(x, 700), SR, -12.0, 0.2)
    gaps = np.diff(ts[ts < 3.0])
    assert len(gaps) >= 3 and 1.4 <= 1 / np.median(gaps) <= 2.3


def test_a_masks_exhalation_flap_flutters_at_25_to_50_hz_and_a_divers_regulator_does_not():
    def flutter_db(x):  # envelope modulation at 25-50 Hz over that at 60-120 Hz
        e = signal.decimate(envelope(x, SR, 2.0) - envelope(x, SR, 2.0).mean(), 10)
        f, p = signal.welch(e, fs=SR / 10, nperseg=4096)
        return 10 * np.log10(p[(f >= 25) & (f <= 50)].mean() / p[(f >= 60) & (f <= 120)].mean())

    for seed in range(3):
        mask = actions.m_breathing(ctx_for("breathing mask", "breathing through the valves", 8.0, seed))
        assert flutter_db(mask) > 10
        assert 25 <= modulation_peak(mask, SR, 15, 80) <= 50
        diver = actions.m_breathing(ctx_for("scuba diver", "regulator breathing", 8.0, seed))
        assert flutter_db(diver) < 5  # under water the exhaust valve bubbles instead


def test_a_masks_cavity_resonates_at_its_helmholtz_frequency():
    # 0.5 l venting through a 1.5 cm2 port 1.5 cm long: c/(2 pi) sqrt(A / (V (L + 1.7 r)))
    r = np.sqrt(1.5e-4 / np.pi)
    want = 343 / (2 * np.pi) * np.sqrt(1.5e-4 / (0.5e-3 * (0.015 + 1.7 * r)))
    assert actions.helmholtz_hz(0.5e-3, 1.5e-4, 0.015) == pytest.approx(want, rel=1e-9)
    assert 120 <= actions.helmholtz_hz(0.6e-3, 1e-4, 0.02) < actions.helmholtz_hz(0.3e-3, 2e-4, 0.01) <= 320

    def low_peak(name, play):  # the strongest frequency under 400 Hz, and how far it stands over 350-400 Hz (dB)
        x = actions.m_breathing(ctx_for(name, play, 12.0, 3))
        f, p = _spectrum(x, SR)
        band = (f > 100) & (f < 400)
        return f[band][np.argmax(p[band])], 10 * np.log10(p[band].max() / p[(f > 350) & (f < 400)].mean())

    hz, over = low_peak("breathing mask", "breathing through the valves")
    assert 120 <= hz <= 320 and over > 3  # the cavity's resonance
    hz, _ = low_peak("person", "slow breathing")
    assert hz > 350  # no cavity: only the skirt of the tract's 500 Hz resonance


def test_a_divers_exhalation_bubbles_and_the_demand_valve_hisses_under_the_breath():
    x = actions.m_breathing(ctx_for("scuba diver", "regulator breathing", 12.0, 1))
    f, p = _spectrum(x, SR)
    hiss = p[(f > 4000) & (f < 8000)].sum() / p.sum()
    assert 0.001 < hiss < 0.1  # present, ~20 dB under the breath
    plain = actions.m_breathing(ctx_for("breathing mask", "breathing through the valves", 12.0, 1))
    # bubbles (Minnaert, 2-8 mm: 375-1500 Hz) ring as short tones: more peaky energy there than the mask's
    assert band_fraction(x, SR, 375, 1500) > 0.8 * band_fraction(plain, SR, 375, 1500)


def test_a_radio_between_stations_hisses_with_a_weak_sweeping_heterodyne_whistle():
    x = actions.m_static(ctx_for("radio", "tuning between stations", 8.0, 0))
    f, t, s = signal.spectrogram(x, fs=SR, nperseg=2048, noverlap=1024)
    band = (f > 200) & (f < 6000)
    sb = s[band]
    peak_over = 10 * np.log10(sb.max(axis=0) / np.median(sb, axis=0))  # a tone over the hiss, per frame
    tonal = peak_over > 12
    assert tonal.mean() > 0.2  # the whistle is heard ...
    sweep = f[band][np.argmax(sb, axis=0)][tonal]
    assert np.ptp(sweep) > 1500  # ... sweeping through the audio band
    # ... and stays under the hiss: a weak carrier's beat carries less power than the receiver noise
    tone_power = np.array([sb[max(i - 2, 0):i + 3, j].sum() for j, i in enumerate(np.argmax(sb, axis=0))])
    under = 10 * np.log10(np.median(tone_power[tonal] / (sb.sum(axis=0)[tonal] - tone_power[tonal])))
    assert -12 < under < -3, under


def test_between_stations_the_agc_holds_the_hiss_steady_and_dips_it_under_each_carrier():
    from server.sounds.synth import _bandpass

    x = actions.m_static(ctx_for("radio", "tuning between stations", 8.0, 1))
    hiss = _bandpass(x, 6000, 10000, SR)  # above the whistle and the station's audio
    level = 20 * np.log10(envelope(hiss, SR, 50.0)[:: SR // 20] + 1e-12)
    median = np.median(level)
    assert np.median(np.abs(level - median)) < 0.6  # steady: the gain is at its top with no carrier
    assert median - np.percentile(level, 2) > 1.0  # turned down under a carrier


def test_the_wind_that_flaps_the_cloth_is_heard_louder_than_its_flutter():
    for name, play in (("flag", "flag flapping"), ("sailboat", "sails flapping")):
        x = actions.m_flap(ctx_for(name, play, 6.0, 1))
        assert 0.6 < band_fraction(x, SR, 0, 400) < 0.85  # the microphone's wind noise, over the cloth


def test_open_wind_is_microphone_turbulence_swelling_with_gusts_under_a_fluttering_rustle():
    for seed in range(3):
        x = actions.m_open_wind(ctx_for("wind", "wind blowing across open space", 8.0, seed))
        # the eddies at the capsule carry most of the energy, under WIND_TURBULENCE_HZ
        assert band_fraction(x, SR, 0, actions.WIND_TURBULENCE_HZ) > 0.6
        # the rustle is there, in its own band, well under the turbulence
        assert 0.01 < band_fraction(x, SR, *actions.FOLIAGE_BAND_HZ) < 0.4
        # gusts and lulls: the level (0.25 s windows) swings by a gust factor of 2 or more ...
        frames = x[: x.size // (SR // 4) * (SR // 4)].reshape(-1, SR // 4)
        rms = np.sqrt((frames**2).mean(axis=1))
        assert rms.max() / rms.min() > 2.0
        # ... but swells, never bursts: no 50 ms frame more than 6 dB over the one before
        fr = x[: x.size // (SR // 20) * (SR // 20)].reshape(-1, SR // 20)
        db = 10 * np.log10((fr**2).mean(axis=1))
        assert np.diff(db).max() < 6.0
        # the leaves flutter: the rustle band's envelope is modulated at a few to ~30 Hz
        rustle = signal.sosfilt(signal.butter(4, [1000, 3000], btype="band", fs=SR, output="sos"), x)
        assert 2.0 <= modulation_peak(rustle, SR, 2.0, 40.0) <= 35.0


def test_open_wind_is_deterministic_per_seed_and_fast():
    import time
    d = SourceDescription("wind", "moving air", "wind blowing across open space")
    t0 = time.perf_counter()
    a, choice = synthesize(d, 5.0, seed=3, model="open_wind")
    took = time.perf_counter() - t0
    b, _ = synthesize(d, 5.0, seed=3, model="open_wind")
    c, _ = synthesize(d, 5.0, seed=4, model="open_wind")
    assert choice.model == "open_wind" and np.isfinite(a).all()
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert took < 1.0


def test_raised_voices_stand_a_lombard_step_over_a_crowds_babble():
    """Talkers in babble raise their voices over it (the Lombard effect, ~3.5 dB): the crowd's loudest moments
    (98th percentile of a 50 ms envelope) stand 5-12 dB over its median, never a lone speaker far above it."""
    assert 20 * np.log10(actions.LOMBARD_GAIN) == pytest.approx(3.5, abs=0.01)
    for seed in (1, 2, 3):
        x = actions.m_crowd(ctx_for("crowd", "crowd murmur and chatter", 8.0, seed))
        e = envelope(x, SR, 50.0)[SR // 2:]
        assert 5.0 < 20 * np.log10(np.percentile(e, 98) / np.median(e)) < 12.0


@pytest.mark.parametrize("seed", range(6))
def test_cloth_flapping_in_a_lull_is_the_wind_and_the_flutter_not_silence(seed):
    """A short clip may fall in a lull with no snap at all: the cloth's flutter and the wind are still heard (a
    2 s tent at seed 0 was digital silence when the bed was scaled by the snaps' peak)."""
    desc = SourceDescription("tent", "nylon", "fabric flapping in the wind", model="flap")
    audio, choice = synthesize(desc, 1.0, seed=seed, sample_rate=16000)
    assert choice.model == "flap"
    assert np.isfinite(audio).all()
    assert 20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2)) + 1e-12) > -40
