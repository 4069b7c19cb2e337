//! Audio path figures for BENCHMARKS.md: CPU per 20 ms frame for capture (resample, echo
//! cancellation, framing, encoding) and for playback (decoding, resampling, reference), the
//! delays each direction adds, barge-in time to silence, and ERLE with and without the echo
//! canceller. Run: `cargo bench -p donna-audio` (with `source scripts/start-audio.sh` first for
//! the figures measured on devices).

#![allow(clippy::unwrap_used)] // a benchmark that cannot run should stop loudly

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use donna_audio::capture::Pipeline;
use donna_audio::dsp::{self, EnergyVad, Resampler};
use donna_audio::{Capture, CaptureConfig, EchoCanceller, EchoSettings, PROCESS_RATE, Player, PlayerConfig};

use donna_audio::signal::speech_like as voice;

/// Capture work per 20 ms of audio, offline: device rate → 48 kHz → (echo cancellation) →
/// 24 kHz → PCM16 frame → wire bytes.
fn capture_cpu(rate: u32, echo: bool) -> Duration {
    let secs = 20.0;
    let input = voice(rate, secs, 3);
    let far = voice(PROCESS_RATE, secs, 5);
    let mut pipe = Pipeline::new(rate, 480, EnergyVad::default()).unwrap();
    let mut aec = echo.then(|| EchoCanceller::new(EchoSettings::default()).unwrap());
    let (mut far_tx, far_rx) = rtrb::RingBuffer::new(far.len());
    far_tx
        .write_chunk_uninit(far.len())
        .unwrap()
        .fill_from_iter(far.iter().copied());
    let mut link = donna_audio::FarEndLink::from_consumer(far_rx);
    let mut frames = 0u64;
    let mut bytes = 0usize;
    let chunk = (rate / 100) as usize; // 10 ms device callbacks
    let started = Instant::now();
    for block in input.chunks(chunk) {
        pipe.feed(block, aec.as_mut(), echo.then_some(&mut link), |pcm, _, _, _| {
            bytes += dsp::i16_to_bytes(&pcm).len();
            frames += 1;
        });
    }
    let elapsed = started.elapsed();
    assert!(bytes > 0);
    elapsed / frames as u32
}

/// Playback work per 20 ms: PCM16 bytes → f32 → 24 kHz to 48 kHz → device samples and the
/// far-end reference, in the source's 10 ms chunks.
fn playback_cpu() -> Duration {
    let secs = 20.0;
    let clip: Vec<i16> = voice(24_000, secs, 9)
        .iter()
        .map(|&s| dsp::f32_to_i16(s))
        .collect();
    let bytes = dsp::i16_to_bytes(&clip);
    let mut r = Resampler::new(24_000, 48_000, 240).unwrap();
    let mut input = [0.0f32; 240];
    let mut out = vec![0.0f32; 2 * 480];
    let mut reference = vec![0.0f32; 480];
    let started = Instant::now();
    for chunk in bytes.chunks(480) {
        for (dst, b) in input.iter_mut().zip(chunk.chunks_exact(2)) {
            *dst = f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0;
        }
        let o = r.process_chunk(&input);
        for (i, &s) in o.iter().enumerate() {
            out[2 * i] = s;
            out[2 * i + 1] = s;
        }
        reference[..o.len()].copy_from_slice(o);
    }
    std::hint::black_box(&out);
    started.elapsed() / (secs as u32 * 50)
}

fn erle(echo_cancellation: bool) -> f32 {
    let far = voice(PROCESS_RATE, 8.0, 11);
    let delay = 1920;
    let taps = [
        (0usize, 0.5f32),
        (96, 0.2),
        (240, -0.12),
        (530, 0.07),
        (1100, 0.03),
    ];
    let mic: Vec<f32> = (0..far.len())
        .map(|i| {
            taps.iter()
                .filter_map(|&(d, g)| i.checked_sub(delay + d).map(|j| far[j] * g))
                .sum()
        })
        .collect();
    let mut aec = EchoCanceller::new(EchoSettings {
        echo_cancellation,
        noise_suppression: true,
    })
    .unwrap();
    let out = aec.process_clip(&far, &mic).unwrap();
    let from = out.len() - PROCESS_RATE as usize * 4;
    dsp::erle_db(&mic[from..out.len()], &out[from..])
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// On the virtual devices: CPU measured inside the running threads, latencies, barge-in.
fn on_devices() {
    if std::env::var_os("PULSE_SERVER").is_none() {
        println!("devices: skipped (no PULSE_SERVER; run `source scripts/start-audio.sh`)");
        return;
    }
    let (far_end, link) = donna_audio::far_end_link();
    let mut capture = Capture::start(CaptureConfig::default(), Some(link)).unwrap();
    let mut player = Player::start(PlayerConfig::default(), Some(far_end)).unwrap();
    let tone: Vec<i16> = voice(24_000, 4.0, 1)
        .iter()
        .map(|&s| dsp::f32_to_i16(s))
        .collect();
    // Warm up: the sound server pauses a freshly opened stream once.
    player.push("warmup", &dsp::i16_to_bytes(&tone[..24_000]));
    while player.is_playing() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let frames = |c: &Capture| c.stats().frames.load(Relaxed) + c.stats().dropped_frames.load(Relaxed);
    let c0 = (capture.stats().process_ns.load(Relaxed), frames(&capture));
    let p0 = (
        player.stats().process_ns.load(Relaxed),
        player.stats().chunks.load(Relaxed),
    );

    // wire → device: from queueing a delta to the source handing its first sample to the device.
    let mut starts = Vec::new();
    for i in 0..10 {
        let id = format!("lat{i}");
        let t = Instant::now();
        player.push(&id, &dsp::i16_to_bytes(&tone[..4800]));
        while player.played(&id).unwrap().samples == 0 {
            std::hint::spin_loop();
        }
        starts.push(t.elapsed().as_secs_f64() * 1000.0);
        while player.is_playing() {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    // Barge-in: from the stop request to the source acknowledging (the rest of the way to
    // silence is the device buffer).
    let mut stops = Vec::new();
    for i in 0..20 {
        let id = format!("stop{i}");
        player.push(&id, &dsp::i16_to_bytes(&tone[..24_000]));
        std::thread::sleep(Duration::from_millis(150));
        let t = Instant::now();
        player.stop().unwrap();
        stops.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    std::thread::sleep(Duration::from_millis(200));
    while capture.try_frame().is_some() {}
    let c1 = (capture.stats().process_ns.load(Relaxed), frames(&capture));
    let p1 = (
        player.stats().process_ns.load(Relaxed),
        player.stats().chunks.load(Relaxed),
    );
    let capture_us = (c1.0 - c0.0) as f64 / 1000.0 / (c1.1 - c0.1).max(1) as f64;
    let playback_us = (p1.0 - p0.0) as f64 / 1000.0 / (p1.1 - p0.1).max(1) as f64 * 2.0;
    let device_delay_ms = capture.stats().device_delay_us.load(Relaxed) as f64 / 1000.0;
    println!(
        "devices: capture thread CPU per 20 ms frame (48 kHz device, echo cancellation on): {capture_us:.1} µs"
    );
    println!("devices: playback source CPU per 20 ms (two 10 ms chunks): {playback_us:.1} µs");
    println!(
        "devices: whole audio path: {:.2} % of one core",
        (capture_us + playback_us) / 20_000.0 * 100.0
    );
    let pipe = Pipeline::new(48_000, 480, EnergyVad::default()).unwrap();
    println!(
        "devices: capture → wire: device {device_delay_ms:.1} ms + resamplers {:.2} ms + framing 20 ms (a frame goes when full)",
        pipe.resampler_delay() as f64 / 24.0
    );
    println!(
        "devices: wire → device: first sample taken {:.1} ms median ({:.1} ms p95) after the delta (jitter prebuffer 40 ms) + device buffer 20 ms",
        percentile(starts.clone(), 0.5),
        percentile(starts, 0.95)
    );
    println!(
        "devices: barge-in stop acknowledged {:.2} ms median ({:.2} ms max) + device buffer 20 ms to silence",
        percentile(stops.clone(), 0.5),
        percentile(stops, 1.0)
    );
}

fn main() {
    for (rate, echo) in [(48_000, false), (48_000, true), (44_100, true)] {
        let t = capture_cpu(rate, echo);
        println!(
            "capture per 20 ms frame ({} Hz device, echo cancellation {}): {:.1} µs ({:.3} % of one core)",
            rate,
            if echo { "on" } else { "off" },
            t.as_secs_f64() * 1e6,
            t.as_secs_f64() / 0.020 * 100.0
        );
    }
    let t = playback_cpu();
    println!(
        "playback per 20 ms (decode, resample to 48 kHz, reference): {:.1} µs ({:.3} % of one core)",
        t.as_secs_f64() * 1e6,
        t.as_secs_f64() / 0.020 * 100.0
    );
    println!(
        "ERLE on a 40 ms room echo: {:.1} dB with echo cancellation, {:.1} dB without",
        erle(true),
        erle(false)
    );
    on_devices();
}
