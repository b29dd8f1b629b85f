"""Household machines checked by their physics: a vacuum cleaner's impeller whine at rotation x blades, a hair
dryer's fan blade-pass tone over its jet noise, ... (the models of issue 12's household family)."""

from __future__ import annotations

import numpy as np
from scipy import signal, stats

from server.sounds import machines
from tests.test_sounds_machines import SR, ctx_for, envelope, on_segments, peak_track


def band_share(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Share of ``x``'s energy between lo and hi Hz."""
    f, pxx = signal.welch(x, fs=sr, nperseg=4096)
    return float(pxx[(f >= lo) & (f <= hi)].sum() / pxx.sum())


def test_vacuum_whines_at_the_impeller_blade_pass():
    ctx = ctx_for("vacuum cleaner", "motor roaring", 4.0, seed=3)
    f_rot, blades = machines.vacuum_rates(ctx_for("vacuum cleaner", "motor roaring", 4.0, seed=3))
    x = machines.m_vacuum(ctx)
    bpf = f_rot * blades
    assert 3000 <= bpf <= 6000
    _, freq, _ = peak_track(x, SR, 0.8 * bpf, 1.3 * bpf)
    # the nozzle unloads the motor by up to 15 %: the whine sits between the loaded and the free speed
    assert bpf * 0.99 <= np.median(freq) <= bpf * 1.16
    assert np.ptp(np.percentile(freq, [10, 90])) > 0.03 * bpf  # and it moves with the strokes
    # the motor's own hum at its rotation rate
    _, hum, _ = peak_track(x, SR, 0.85 * f_rot, 1.25 * f_rot)
    assert f_rot * 0.99 <= np.median(hum) <= f_rot * 1.16
    assert band_share(x, SR, 400, 8000) > 0.9


def test_hair_dryer_blade_pass_tone_over_its_jet():
    ctx = ctx_for("hair dryer", "motor blowing", 4.0, seed=1)
    f_rot, blades = machines.hair_dryer_rates(ctx_for("hair dryer", "motor blowing", 4.0, seed=1))
    x = machines.m_hair_dryer(ctx)
    bpf = f_rot * blades
    assert 1000 <= bpf <= 2400
    _, freq, level = peak_track(x, SR, 0.9 * bpf, 1.1 * bpf)
    cents = 1200 * np.log2(np.median(freq) / bpf)
    assert abs(cents) < 20
    # a tone: its bin stands well above the jet noise around it
    f, pxx = signal.welch(x, fs=SR, nperseg=8192)
    k = np.argmin(np.abs(f - bpf))
    around = np.median(pxx[(f > 1.15 * bpf) & (f < 1.4 * bpf)])
    assert 10 * np.log10(pxx[k - 1:k + 2].max() / around) > 10
    # the jet: most of the energy between 0.5 and 6 kHz, little below the fan's rotation
    assert band_share(x, SR, 500, 6000) > 0.85
    assert band_share(x, SR, 20, 150) < 0.01


def test_hair_dryer_motor_ripples_at_twice_the_mains():
    ctx = ctx_for("hair dryer", "motor blowing", 4.0, seed=2)
    f_rot, _ = machines.hair_dryer_rates(ctx_for("hair dryer", "motor blowing", 4.0, seed=2))
    x = machines.m_hair_dryer(ctx)
    # the rectified-mains torque ripple puts sidebands 100 Hz either side of the motor's hum
    f, pxx = signal.welch(x, fs=SR, nperseg=16384)

    def peak(fc: float) -> float:
        sel = (f > fc - 6) & (f < fc + 6)
        return float(pxx[sel].max())

    # a 30 % torque ripple: each sideband 0.15 of the line, -16.5 dB (the upper one is buried in the jet)
    rel = 10 * np.log10(peak(f_rot - 100) / peak(f_rot))
    assert -19.5 < rel < -13.5
    assert 10 * np.log10(peak(f_rot - 100) / np.median(pxx[(f > f_rot - 90) & (f < f_rot - 60)])) > 6



def band_level_db(x: np.ndarray, sr: int, lo: float, hi: float, t0: float, t1: float) -> float:
    """Mean power (dB) of ``x`` between lo and hi Hz over [t0, t1] s."""
    seg = x[int(t0 * sr):int(t1 * sr)]
    f, pxx = signal.welch(seg, fs=sr, nperseg=2048)
    return float(10 * np.log10(pxx[(f >= lo) & (f <= hi)].mean() + 1e-30))


def test_toilet_flush_rushes_for_its_duration_then_the_fill_valve_hisses_on():
    for seed in (0, 3):
        t0, dur = machines.flush_timing(ctx_for("toilet", "flush", 6.0, seed=seed))
        assert 3.0 <= dur <= 4.0
        x = machines.m_flush(ctx_for("toilet", "flush", 6.0, seed=seed))
        rush = band_level_db(x, SR, 150, 1500, t0 + 0.3, t0 + 1.3)
        before = band_level_db(x, SR, 150, 1500, 0.0, max(t0 - 0.02, 0.05))
        after = band_level_db(x, SR, 150, 1500, t0 + dur + 1.0, 6.0)
        assert rush - before > 30  # nothing before the lever
        assert rush - after > 10  # the rush has stopped (the room's tail gone after 1 s)
        # the fill valve's 2-6 kHz hiss goes on after the bowl has emptied, within 10 dB of its level during the rush
        hiss_during = band_level_db(x, SR, 2500, 5500, t0 + 0.9, t0 + 1.9)
        hiss_after = band_level_db(x, SR, 2500, 5500, t0 + dur + 1.0, 6.0)
        assert hiss_during - hiss_after < 10
        assert hiss_after - band_level_db(x, SR, 2500, 5500, 0.0, max(t0 - 0.02, 0.05)) > 20


def test_bicycle_bell_strikes_at_the_clapper_rate_on_its_dome_mode():
    for seed in (0, 2):
        f_dome, rate = machines.bicycle_bell_rates(ctx_for("bicycle", "bell ring", 5.0, seed=seed))
        x = machines.m_bicycle_bell(ctx_for("bicycle", "bell ring", 5.0, seed=seed))
        # the strikes: the 2 ms envelope's autocorrelation peaks at one clapper period (16-24 hits a second)
        hop = int(0.002 * SR)
        e = np.sqrt(np.convolve(x**2, np.ones(hop) / hop, mode="same"))[::hop]
        d = np.diff(e, prepend=e[0]).clip(0)  # onsets
        ac = np.correlate(d, d, "full")[d.size - 1:]
        lags = np.arange(ac.size) * hop / SR
        sel = (lags > 1 / 30) & (lags < 1 / 12)
        period = lags[sel][np.argmax(ac[sel])]
        assert abs(1 / period - rate) / rate < 0.06, (1 / period, rate)
        # the dome's lowest mode, in tune to 15 cents
        f, pxx = signal.welch(x, fs=SR, nperseg=32768)
        band = (f > 0.9 * f_dome) & (f < 1.1 * f_dome)
        peak = f[band][np.argmax(pxx[band])]
        assert abs(1200 * np.log2(peak / f_dome)) < 15
        assert 1800 <= f_dome <= 2600


def test_chainsaw_fires_once_a_turn_and_idles_between_cuts():
    for seed in (0, 1):
        full = machines.chainsaw_rpm(ctx_for("chainsaw", "cutting through a log", 6.0, seed=seed)) / 60
        assert 160 <= full <= 220
        x = machines.m_saw(ctx_for("chainsaw", "cutting through a log", 6.0, seed=seed))
        # the firing rate: its line sweeps from ~30 % of full speed (throttle released) to full speed (open, no load)
        _, f0, level = peak_track(x, SR, 0.2 * full, 1.05 * full, nfft=8192)
        strong = level > level.max() - 25
        hi = np.percentile(f0[strong], 95)
        assert 0.85 * full <= hi <= 1.03 * full, (hi, full)
        assert np.percentile(f0[strong], 5) < 0.6 * full  # and it idles down between cuts
        # the chain tearing the wood: 2-6 kHz louder during the cuts than between them, by > 6 dB
        f, t, z = signal.stft(x, fs=SR, nperseg=2048)
        band = (np.abs(z[(f > 2000) & (f < 6000)]) ** 2).sum(axis=0)
        db = 10 * np.log10(band + 1e-20)
        assert np.percentile(db, 90) - np.percentile(db, 10) > 6


def test_propeller_plane_buzzes_at_the_blade_pass_over_broadband_turbulence():
    for seed in (0, 1, 2):
        x = machines.m_aircraft(ctx_for("airship", "propellers droning", 6.0, seed=seed))
        # the blades shed turbulence: between 200 Hz and 3 kHz the spectrum is nearly flat (noise as loud as tones)
        f, pxx = signal.welch(x, fs=SR, nperseg=8192)
        b = (f > 200) & (f < 3000)
        assert np.exp(np.mean(np.log(pxx[b]))) / np.mean(pxx[b]) > 0.8
        # yet at the closest approach (no Doppler shift) the blade-pass line (2 blades at ~2400 rpm: 70-90 Hz)
        # stands well above it
        hop = SR // 10
        e = np.array([np.std(x[i:i + hop]) for i in range(0, x.size - hop, hop)])
        c = int(np.argmax(e)) * hop
        f, pxx = signal.welch(x[max(c - SR // 4, 0):c + SR // 4], fs=SR, nperseg=8192)
        b = (f > 60) & (f < 100)
        assert 10 * np.log10(pxx[b].max() / np.median(pxx[(f > 40) & (f < 200)])) > 10


def test_dishwasher_spray_swells_twice_a_spray_arm_turn():
    for seed in (0, 1):
        arm = machines.dishwasher_arm_rate(ctx_for("dishwasher", "water spraying and sloshing", 8.0, seed=seed))
        assert 0.5 <= arm <= 1.0
        x = machines.m_washing_machine(ctx_for("dishwasher", "water spraying and sloshing", 8.0, seed=seed))
        # the jets' hiss (2-7 kHz) swells as each end of the arm sweeps past: its level's spectrum peaks at 2 x arm
        f, t, z = signal.stft(x, fs=SR, nperseg=2048, noverlap=1024)
        level = np.sqrt((np.abs(z[(f > 2000) & (f < 7000)]) ** 2).sum(axis=0))
        rate = 1 / (t[1] - t[0])
        fm, pm = signal.periodogram(level - level.mean(), fs=rate, nfft=8192)
        band = (fm > 0.5) & (fm < 3.0)
        peak = fm[band][np.argmax(pm[band])]
        assert abs(peak / (2 * arm) - 1) < 0.08, (peak, 2 * arm)
        # the pump's induction motor hums at the mains frequency
        fw, pw = signal.welch(x, fs=SR, nperseg=32768)
        near = (fw > 40) & (fw < 60)
        assert abs(fw[near][np.argmax(pw[near])] - 50) < 1.5
        # the jets break into drops that splatter: the spray's 2-7 kHz band comes in bursts (10-80 a second),
        # far from a steady hiss (kurtosis 3), and its 5 ms level swings > 10 dB within every half second
        sos = signal.butter(4, [2000, 7000], "bandpass", fs=SR, output="sos")
        spray = signal.sosfilt(sos, x)
        assert stats.kurtosis(spray, fisher=False) > 5.5
        e = 20 * np.log10(envelope(spray, SR, 5.0) + 1e-12)
        half = int(0.5 * SR)
        swings = [np.percentile(e[i:i + half], 95) - np.percentile(e[i:i + half], 5)
                  for i in range(0, e.size - half, half)]
        assert min(swings) > 10


def test_crossing_signal_ticks_rapidly_over_the_street():
    for seed in (0, 1):
        rate = machines.crossing_tick_rate(ctx_for("traffic light", "crossing signal ticking", 5.0, seed=seed))
        assert 8 <= rate <= 10  # the walk interval's rapid tick
        x = machines.m_clock(ctx_for("traffic light", "crossing signal ticking", 5.0, seed=seed))
        hp = signal.sosfilt(signal.butter(4, 1000, "high", fs=SR, output="sos"), x)  # the ticks, not the street
        e = envelope(hp, SR, ms=1.0)
        peaks, _ = signal.find_peaks(e, height=0.3 * e.max(), distance=int(0.05 * SR))
        intervals = np.diff(peaks) / SR
        assert len(peaks) >= 35
        assert np.all(np.abs(intervals * rate - 1) < 0.02), (intervals, rate)
        # each tick is over in a few ms: 10 ms after it, the level has fallen by > 25 dB
        for p in peaks[1:6]:
            assert 20 * np.log10(e[p + int(0.01 * SR)] / e[p]) < -25
        # the traffic: a rumble below 800 Hz some 30 dB under the ticks' peak
        street = signal.sosfilt(signal.butter(4, 600, "low", fs=SR, output="sos"), x)
        gap = x[peaks[2] + int(0.03 * SR):peaks[3] - int(0.01 * SR)]
        assert -45 < 20 * np.log10(np.std(gap) / np.abs(x).max()) < -20
        assert np.std(street) > 0.5 * np.std(gap)



def test_rotary_dial_pulses_ten_a_second_a_digit_at_a_time():
    for seed in (0, 1):
        pps = machines.rotary_dial_rate(ctx_for("telephone", "rotary dial turning", 8.0, seed=seed))
        assert 9.5 <= pps <= 10.5
        x = machines.m_clock(ctx_for("telephone", "rotary dial turning", 8.0, seed=seed))
        e = envelope(x, SR, ms=1.0)
        peaks, _ = signal.find_peaks(e, height=0.35 * e.max(), distance=int(0.04 * SR))
        gaps = np.diff(peaks) / SR
        inside = gaps[gaps < 0.13]  # pulses within a digit (and the finger stop's click before them)
        assert len(inside) >= 5
        assert abs(np.median(inside) * pps - 1) < 0.01, (inside, pps)
        assert np.mean(np.abs(inside * pps - 1) < 0.03) > 0.7
        # digits: runs of 1-10 pulses, separated by the next wind of the dial (> 0.3 s)
        runs = np.split(peaks, np.flatnonzero(gaps > 0.3) + 1)
        assert len(runs) >= 2
        assert all(1 <= len(r) <= 11 for r in runs)  # the digit's pulses (+ the finger stop's click)


def test_drill_gear_mesh_whines_at_a_whole_multiple_of_the_motor():
    for seed in (0, 1, 2):
        x = machines.m_drill(ctx_for("power drill", "drilling", 5.0, seed=seed))
        _, f_motor, lev = peak_track(x, SR, 300, 560, nfft=8192, hop=1024)
        _, f_mesh, _ = peak_track(x, SR, 1800, 5000, nfft=8192, hop=1024)
        on = lev > lev.max() - 12  # the trigger pulled
        ratio = f_mesh[on] / f_motor[on]
        teeth = np.round(np.median(ratio))
        assert 6 <= teeth <= 9
        # the pinion turns with the motor: the mesh line follows its speed (loaded or free) tooth for tooth
        assert np.mean(np.abs(ratio / teeth - 1) < 0.015) > 0.8, (seed, teeth, np.percentile(ratio, [10, 50, 90]))


def test_mobile_trill_rings_two_seconds_on_four_off():
    x = machines.m_phone_ring(ctx_for("phone", "ringtone", 8.0, seed=0))
    segs = on_segments(x, SR)
    assert len(segs) == 2
    assert abs((segs[0][1] - segs[0][0]) - 2.0) < 0.05
    assert abs((segs[1][0] - segs[0][0]) - 6.0) < 0.01
    # the trill: two tones a few semitones apart, alternating 14-20 times a second
    _, freq, _ = peak_track(x[int(segs[0][0] * SR):int(segs[0][1] * SR)], SR, 800, 2200, nfft=1024, hop=128)
    lo, hi = np.percentile(freq, [10, 90])
    assert 3 <= 12 * np.log2(hi / lo) <= 5.5


def test_shutter_shot_is_four_clicks_in_a_tenth_of_a_second():
    x = machines.m_shutter(ctx_for("camera", "shutter click", 5.0, seed=1))
    e = envelope(x, SR, ms=0.5)
    peaks, _ = signal.find_peaks(e, height=0.25 * e.max(), distance=int(0.006 * SR))
    shots = np.split(peaks, np.flatnonzero(np.diff(peaks) > 0.25 * SR) + 1)
    assert len(shots) >= 5
    for shot in shots[:-1]:  # mirror up, first curtain, second curtain, mirror down
        assert 2 <= len(shot) <= 5
        assert (shot[-1] - shot[0]) / SR < 0.13
    starts = np.array([s[0] for s in shots]) / SR
    assert np.all((np.diff(starts) > 0.45) & (np.diff(starts) < 0.8))
    # the ring of the mirror box's small steel parts (lowest modes 1.5-3.5 kHz): the spectral centroid 2-5 kHz
    f, pxx = signal.welch(x, fs=SR, nperseg=2048)
    assert 2000 < (f * pxx).sum() / pxx.sum() < 5000


def test_washing_laundry_splashes_in_the_water_as_it_lands():
    for seed in (0, 1):
        x = machines.m_washing_machine(ctx_for("washing machine", "clothes sloshing", 8.0, seed=seed))
        # the slosh is water splashing up (1-8 kHz) as the cloth lands, not a low boom
        assert band_share(x, SR, 1000, 8000) > 0.5
        assert band_share(x, SR, 20, 150) < 0.1
        # ... swelling and fading ~2.5 times a second: the 1-8 kHz level swings widely below 5 Hz
        f, t, z = signal.stft(x, fs=SR, nperseg=2048, noverlap=1024)
        level = np.sqrt((np.abs(z[(f > 1000) & (f < 8000)]) ** 2).sum(axis=0))
        fm, pm = signal.periodogram(level - level.mean(), fs=1 / (t[1] - t[0]))
        assert pm[(fm > 0.5) & (fm < 5)].sum() > 0.6 * pm[fm > 0.5].sum()
        assert np.std(level) / np.mean(level) > 0.2


def test_ratchet_clicks_ring_the_wheel_low_in_the_kilohertz():
    for seed in range(4):
        x = machines.m_clock(ctx_for("turnstile", "ratchet clicking", 5.0, seed=seed))
        f, pxx = signal.welch(x, fs=SR, nperseg=4096)
        smooth = np.convolve(pxx, np.ones(9) / 9, "same")
        above = f > 500
        # the wheel and pawl's lowest modes (1.5-3 kHz, seen through the 2 kHz high-pass of what radiates)
        assert 1500 < f[above][np.argmax(smooth[above])] < 4500
        assert (f * pxx).sum() / pxx.sum() < 5500


def test_film_advance_lever_ratchets_after_each_shot():
    for seed in (0, 1, 2):
        x = machines.m_shutter(ctx_for("camera", "film advance", 6.0, seed=seed))
        e = envelope(x, SR, ms=0.5)
        peaks, _ = signal.find_peaks(e, height=0.1 * e.max(), distance=int(0.008 * SR))
        gaps = np.diff(peaks) / SR
        lever = gaps[(gaps > 1 / 70) & (gaps < 1 / 35)]
        assert len(lever) >= 10  # each stroke of 0.2-0.35 s clicks 8-21 times
        rate = 1 / np.median(lever)
        assert 40 <= rate <= 60  # the pawl over the one-way clutch's ratchet
        assert np.mean(np.abs(lever * rate - 1) < 0.05) > 0.6  # steadily within the stroke (the rest: the shutter)


def test_timer_ticks_five_times_a_second():
    for name in ("parking meter", "toaster"):
        x = machines.m_clock(ctx_for(name, "timer ticking", 4.0, seed=0))
        e = envelope(x, SR, ms=1.0)
        peaks, _ = signal.find_peaks(e, height=0.3 * e.max(), distance=int(0.1 * SR))
        intervals = np.diff(peaks) / SR
        assert len(peaks) >= 17  # a balance wheel at 2.5 Hz: 18 000 beats an hour
        assert np.all(np.abs(intervals - 0.2) < 0.002), intervals
        # the pallets ring small steel parts: the spectrum peaks at 1.5-3.5 kHz (x 1.12 for the other pallet)
        f, pxx = signal.welch(x, fs=SR, nperseg=4096)
        smooth = np.convolve(pxx, np.ones(9) / 9, "same")
        assert 1400 < f[f > 300][np.argmax(smooth[f > 300])] < 3500


def test_computer_keyboard_clicks_high_in_words_over_a_quiet_room():
    for seed in (0, 1):
        strokes = machines.keyboard_strokes(ctx_for("computer keyboard", "typing", 5.0, seed=seed))
        x = machines.m_typewriter(ctx_for("computer keyboard", "typing", 5.0, seed=seed))
        # a typist's rate inside a word: 6-9 keys a second, never machine-regular
        gaps = np.array([b[0] - a[0] for a, b in zip(strokes[:-1], strokes[1:], strict=True) if not a[1]])
        assert 1 / 9 * 0.8 < np.median(gaps) < 1 / 6 * 1.2
        assert np.std(gaps) / np.mean(gaps) > 0.2
        # every keystroke's bottoming out stands > 20 dB above the room within 25 ms of the press
        e = envelope(x, SR, 1.0)
        floor = np.percentile(e, 5)
        for t, _ in strokes:
            i = int(t * SR)
            if i + int(0.025 * SR) < x.size:
                assert 20 * np.log10(e[i:i + int(0.025 * SR)].max() / floor) > 20
        # a keycap's clicks lie high: most of the energy at 1.5-8.5 kHz, little below 600 Hz
        assert band_share(x, SR, 1500, 8500) > 0.8
        assert band_share(x, SR, 20, 600) < 0.05
        # the room is heard between the words (35-60 dB under the peak), never digital silence
        quiet = np.percentile(envelope(x, SR, 50.0), 2)
        assert -60 < 20 * np.log10(quiet / np.abs(x).max()) < -35


def test_printer_carriage_whines_at_its_step_rate_and_rattles_while_it_moves():
    for seed in (0, 1):
        speed, feed, stops, f_step = machines.printer_plan(ctx_for("printer", "print head shuttling", 5.0, seed))
        x = machines.m_printer(ctx_for("printer", "print head shuttling", 5.0, seed))
        assert 1200 <= f_step <= 2400
        # passes of 0.5-0.8 s, one after another
        gaps = np.diff(stops)
        assert (gaps > 0.5).all() and (gaps < 0.8 + 0.08 + 0.23 + 1e-6).all()
        # at full speed the motor's whine sits at its step rate (within 30 cents)
        t, freq, _ = peak_track(x, SR, 0.85 * f_step, 1.15 * f_step)
        full = speed[np.minimum((t * SR).astype(int), speed.size - 1)] == 1.0
        assert full.sum() > 20
        assert abs(1200 * np.log2(np.median(freq[full]) / f_step)) < 30
        # the bushings rattle: below the whine (0.5 kHz to 0.8 of the step rate) the sound comes in grains while
        # the carriage moves, far from steady noise (kurtosis 3)
        sos = signal.butter(4, [500, 0.8 * f_step], "bandpass", fs=SR, output="sos")
        band = signal.sosfilt(sos, x)
        assert stats.kurtosis(band[speed == 1.0], fisher=False) > 4.5
        e = envelope(band, SR, 5.0)
        moving = e[speed == 1.0]
        # and nothing moves before the first pass: the room is > 15 dB under the moving carriage
        still = e[: max(int(np.argmax(speed > 0)) - int(0.05 * SR), 1)]
        if still.size > 0.05 * SR:
            assert 20 * np.log10(np.median(moving) / np.median(still)) > 15


def test_hand_saw_strokes_back_and_forth_the_push_cutting_louder():
    for seed in (0, 1):
        x = machines.m_saw(ctx_for("saw", "sawing wood", 6.0, seed=seed))
        e = envelope(x, SR, 20.0)[:: int(0.01 * SR)]  # 10 ms frames
        e = e - e.mean()
        ac = np.correlate(e, e, "full")[e.size - 1:]
        lags = np.arange(ac.size) * 0.01
        sel = (lags > 0.6) & (lags < 1.4)
        period = lags[sel][np.argmax(ac[sel])]
        assert 0.78 <= period <= 1.12, period  # one push and one pull take 0.8-1.1 s
        # the half-strokes alternate loud (the push cuts) and soft (the pull)
        halves = [np.sqrt(np.mean(x[int(t * SR):int((t + period / 2) * SR)] ** 2))
                  for t in np.arange(0.0, 6.0 - period / 2, period / 2)]
        ratios = np.array(halves[:-1]) / np.array(halves[1:])
        assert np.median(np.abs(20 * np.log10(ratios))) > 2.0
        # sawdust and teeth: most of the sound is above 1 kHz
        assert band_share(x, SR, 1000, 12000) > 0.8
        np.testing.assert_array_equal(x, machines.m_saw(ctx_for("saw", "sawing wood", 6.0, seed=seed)))


def test_typewriter_slaps_in_words_high_and_dry_over_a_quiet_room():
    for seed in (0, 1):
        x = machines.m_typewriter(ctx_for("typewriter", "keys striking", 6.0, seed=seed))
        # the typebars' slaps: 5 ms envelope peaks within 12 dB of the loudest, at least 50 ms apart
        e = envelope(x, SR, 5.0)
        peaks, _ = signal.find_peaks(e, height=e.max() * 10 ** (-12 / 20), distance=int(0.05 * SR))
        rate = peaks.size / 6.0
        assert 3.0 < rate < 9.0, rate  # 6-9 a second inside a word, with pauses between words
        gaps = np.diff(peaks) / SR
        assert np.std(gaps) / np.mean(gaps) > 0.3  # words and pauses, not a machine's beat
        # steel typebars on a rubber platen: most of it above 1 kHz, little below 500 Hz
        assert band_share(x, SR, 1000, 12000) > 0.65
        assert band_share(x, SR, 20, 500) < 0.05
        quiet = np.percentile(envelope(x, SR, 50.0), 2)
        assert -60 < 20 * np.log10(quiet / np.abs(x).max()) < -30  # the room, never digital silence
        np.testing.assert_array_equal(x, machines.m_typewriter(ctx_for("typewriter", "keys striking", 6.0, seed=seed)))


def test_a_reels_line_running_out_clicks_unevenly_a_hand_crank_steadily():
    def spacing_spread(name: str, play: str, seed: int) -> float:
        x = machines.m_clock(ctx_for(name, play, 6.0, seed=seed))
        e = envelope(x, SR, 1.0)
        peaks, _ = signal.find_peaks(e, height=0.2 * e.max(), distance=int(0.012 * SR))
        gaps = np.diff(peaks) / SR
        gaps = gaps[gaps < 0.1]  # within a stroke or a run (20-40 clicks a second), not across the pauses
        # neighbouring gaps, so that the stroke's slow rise and fall of speed does not count
        return float(np.median(np.abs(np.diff(gaps)) / gaps[1:]))

    for seed in (0, 1):
        assert spacing_spread("fishing reel", "line whizzing out", seed) > 0.2
        assert spacing_spread("fishing reel", "handle cranked", seed) < 0.12
