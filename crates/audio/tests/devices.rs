//! The audio path through real devices: PulseAudio's virtual speaker and microphone (see
//! `scripts/start-audio.sh`), driven by the real cpal and rodio code. A WAV played into the
//! microphone must arrive as the same sound in 24 kHz frames; what the player plays must land in
//! the speaker; a stop must leave exactly the played amount in the speaker and report it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use donna_audio::virtual_devices::SinkRecorder;
use donna_audio::{Capture, CaptureConfig, DeviceState, Player, PlayerConfig, dsp, wav};

/// The virtual devices are shared: one test at a time.
static DEVICES: Mutex<()> = Mutex::new(());

/// The device lock, or `None` (test skipped) when no virtual devices were started. CI always
/// starts them, so there a missing server fails the test instead.
fn devices() -> Option<MutexGuard<'static, ()>> {
    donna_audio::virtual_devices::running().then(|| DEVICES.lock().unwrap_or_else(|e| e.into_inner()))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("donna-audio-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn voice(rate: u32, secs: f32) -> Vec<f32> {
    donna_audio::signal::sustained_voice(rate, secs, 7)
}

fn to_i16(x: &[f32]) -> Vec<i16> {
    x.iter().map(|&s| dsp::f32_to_i16(s)).collect()
}

/// Records the virtual speaker into this test's temp dir.
fn record_speaker(name: &str, rate: u32) -> SinkRecorder {
    SinkRecorder::start(&tmp(name), rate).unwrap()
}

/// Sample indexes of the first and last sample louder than `threshold`.
fn loud_span(x: &[i16], threshold: i16) -> Option<(usize, usize)> {
    let first = x
        .iter()
        .position(|s| s.unsigned_abs() > threshold.unsigned_abs())?;
    let last = x
        .iter()
        .rposition(|s| s.unsigned_abs() > threshold.unsigned_abs())?;
    Some((first, last))
}

#[test]
fn a_wav_played_into_the_microphone_arrives_as_24k_frames() {
    let Some(_devices) = devices() else { return };
    // 44.1 kHz, a rate the device does not run at, so two resampling steps are exercised.
    let source = voice(44_100, 2.0);
    let path = tmp("visitor.wav");
    wav::write_mono_i16(&path, &to_i16(&source), 44_100).unwrap();

    let mut capture = Capture::start(
        CaptureConfig {
            echo: None,
            ..CaptureConfig::default()
        },
        None,
    )
    .unwrap();
    assert!(matches!(*capture.state().borrow(), DeviceState::Running { .. }));
    std::thread::sleep(Duration::from_millis(200));
    capture.clear();
    let mut paplay = Command::new("paplay")
        .args(["-d", "micfeed"])
        .arg(&path)
        .spawn()
        .unwrap();
    let mut frames = Vec::new();
    let mut until = None;
    while until.is_none_or(|u| Instant::now() < u) {
        while let Some(f) = capture.try_frame() {
            frames.push(f);
        }
        if until.is_none() && paplay.try_wait().unwrap().is_some() {
            until = Some(Instant::now() + Duration::from_millis(500));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    paplay.wait().unwrap();
    let stats = capture.stats();
    assert_eq!(stats.dropped_frames.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert!(
        frames.iter().all(|f| f.pcm.len() == 480),
        "20 ms frames of 480 samples"
    );
    assert!(frames.windows(2).all(|w| w[1].seq == w[0].seq + 1), "no gaps");
    let got: Vec<f32> = frames
        .iter()
        .flat_map(|f| f.pcm.iter().map(|&s| f32::from(s) / 32768.0))
        .collect();
    let reference = dsp::resample_clip(&source, 44_100, 24_000).unwrap();
    let (lag, correlation) = dsp::best_alignment(&reference, &got);
    // The sound server may clip a few samples when the player's stream starts; our side must
    // not lose any (no drops, no gaps, asserted above).
    assert!(lag > -480, "lag {lag}");
    assert!(correlation > 0.95, "correlation {correlation} at lag {lag}");
    let start = lag.max(0) as usize;
    let aligned = &got[start..(start + reference.len()).min(got.len())];
    assert!(
        aligned.len() >= reference.len() - 480,
        "the whole WAV arrived: {} of {}",
        aligned.len(),
        reference.len()
    );
    let gain = dsp::rms(aligned) / dsp::rms(&reference);
    assert!((0.9..1.1).contains(&gain), "level kept: gain {gain}");
    capture.stop();
}

#[test]
fn what_the_player_plays_lands_in_the_speaker() {
    let Some(_devices) = devices() else { return };
    let recorder = record_speaker("played.raw", 24_000);
    let mut player = Player::start(PlayerConfig::default(), None).unwrap();
    let clip = to_i16(&voice(24_000, 1.0));
    // Deltas as the service sends them: uneven sizes.
    for chunk in clip.chunks(2_400 + 17) {
        player.push("item_a", &dsp::i16_to_bytes(chunk));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while player.is_playing() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let played = player.played("item_a").unwrap();
    assert_eq!(played.samples, clip.len() as u64, "every sample played");
    assert_eq!(played.ms(), 1000);
    drop(player);
    let sink = recorder.finish().unwrap();
    let reference: Vec<f32> = clip.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let got: Vec<f32> = sink.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let (lag, correlation) = dsp::best_alignment(&reference, &got);
    assert!(correlation > 0.95, "correlation {correlation} at lag {lag}");
}

#[test]
fn a_stop_leaves_exactly_the_reported_audio_in_the_speaker() {
    let Some(_devices) = devices() else { return };
    // A steady tone, so the speaker's recording shows exactly where the audio stopped.
    let tone: Vec<i16> = (0..24_000 * 3)
        .map(|i| (0.5 * (2.0 * std::f32::consts::PI * 600.0 * i as f32 / 24_000.0).sin() * 32767.0) as i16)
        .collect();
    let recorder = record_speaker("stopped.raw", 48_000);
    let mut player = Player::start(PlayerConfig::default(), None).unwrap();
    // A kiosk keeps its output stream open; a freshly opened one can lose its first buffer to
    // an underrun in the sound server (counted in the player's stats). Run the stream on a
    // fifth of a second of silence first, so this measures the steady state the product runs in.
    player.push("warm_up", &dsp::i16_to_bytes(&vec![0i16; 4_800]));
    let deadline = Instant::now() + Duration::from_secs(3);
    while player.played("warm_up").map_or(0, |p| p.samples) < 4_800 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    player.push("item_b", &dsp::i16_to_bytes(&tone));
    // The sound server takes a first buffer, then pulls audio steadily.
    let deadline = Instant::now() + Duration::from_secs(3);
    while player.played("item_b").unwrap().samples < 4800 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(600));
    let asked = Instant::now();
    let played = player.stop().unwrap();
    let to_stop = asked.elapsed();
    assert_eq!(played.item_id, "item_b");
    assert_eq!(played.received, tone.len() as u64);
    assert!((400..=1500).contains(&played.ms()), "played {} ms", played.ms());
    // Later deltas of the stopped item are not played.
    assert_eq!(player.push("item_b", &dsp::i16_to_bytes(&tone[..2400])), 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        player.played("item_b").unwrap().samples,
        played.samples,
        "nothing after the stop"
    );
    drop(player);
    let sink = recorder.finish().unwrap();
    let (first, last) = loud_span(&sink, 3000).unwrap();
    let heard_samples = (last - first + 1) as f64; // at 48 kHz
    let heard_ms = heard_samples / 48.0;
    let reported_ms = played.samples as f64 / 24.0;
    eprintln!(
        "stop acknowledged in {to_stop:?}; reported {reported_ms:.2} ms ({} samples), speaker got {heard_ms:.2} ms",
        played.samples
    );
    assert!(
        (heard_ms - reported_ms).abs() <= 1.0,
        "speaker got {heard_ms:.2} ms, reported {reported_ms:.2} ms"
    );
    assert!(to_stop < Duration::from_millis(50), "stop took {to_stop:?}");
}

#[test]
fn a_missing_device_is_a_typed_error_or_a_retry() {
    let Some(_devices) = devices() else { return };
    let err = Capture::start(
        CaptureConfig {
            device: Some("no-such-mic".into()),
            ..CaptureConfig::default()
        },
        None,
    )
    .unwrap_err();
    assert!(matches!(err, donna_audio::AudioError::NoDevice { .. }), "{err}");
    assert_eq!(err.to_string(), "no input device named \"no-such-mic\"");
    let capture = Capture::start(
        CaptureConfig {
            device: Some("no-such-mic".into()),
            persistent: true,
            retry: Duration::from_millis(100),
            ..CaptureConfig::default()
        },
        None,
    )
    .unwrap();
    let state = capture.state().borrow().clone();
    assert!(
        matches!(state, DeviceState::Lost { .. } | DeviceState::Opening),
        "{state:?}"
    );
    let err = Player::start(
        PlayerConfig {
            device: Some("no-such-speaker".into()),
            ..PlayerConfig::default()
        },
        None,
    )
    .unwrap_err();
    assert!(matches!(err, donna_audio::AudioError::NoDevice { .. }), "{err}");
}

/// Routes the speaker back into the microphone, as a kiosk's speaker next to its microphone
/// does; removed when dropped.
struct AcousticLoop(String);

impl AcousticLoop {
    fn new() -> Self {
        let out = Command::new("pactl")
            .args([
                "load-module",
                "module-loopback",
                "source=spk.monitor",
                "sink=micfeed",
                "latency_msec=30",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Self(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for AcousticLoop {
    fn drop(&mut self) {
        let _ = Command::new("pactl").args(["unload-module", &self.0]).status();
    }
}

/// Plays `secs` of Donna's voice with the speaker looped into the microphone and returns the
/// VAD starts seen on the capture side and the captured level (dBFS) during playback, overall
/// and from half a second after the first echo (once the canceller has converged). With a
/// `visitor` WAV, it is played into the microphone 1.5 s into Donna's speech.
fn donna_talks_into_her_own_microphone(
    echo: bool,
    secs: f32,
    mut visitor: Option<&Path>,
) -> (usize, f32, f32) {
    let (far_end, link) = donna_audio::far_end_link();
    let config = CaptureConfig {
        echo: echo.then(donna_audio::EchoSettings::default),
        ..CaptureConfig::default()
    };
    let mut capture = Capture::start(config, echo.then_some(link)).unwrap();
    let mut player = Player::start(PlayerConfig::default(), Some(far_end)).unwrap();
    let _loop = AcousticLoop::new();
    std::thread::sleep(Duration::from_millis(500));
    capture.clear();
    let clip = to_i16(&voice(24_000, secs));
    player.push("item_echo", &dsp::i16_to_bytes(&clip));
    let mut starts = 0;
    let mut pcm = Vec::new();
    let mut talking = None;
    let deadline = Instant::now() + Duration::from_secs_f32(secs + 3.0);
    while (player.is_playing() || pcm.is_empty()) && Instant::now() < deadline {
        // 75 frames of 20 ms: 1.5 s into what the speaker played.
        if let Some(wav) = visitor.take_if(|_| pcm.len() >= 75 * 480) {
            let paplay = Command::new("paplay").args(["-d", "micfeed"]).arg(wav).spawn();
            talking = Some(paplay.unwrap());
        }
        while let Some(f) = capture.try_frame() {
            if player.played("item_echo").is_some_and(|p| p.samples > 0) {
                starts += usize::from(f.vad == donna_audio::dsp::VadEvent::Started);
                if std::env::var_os("DONNA_TRACE_ECHO").is_some() {
                    eprintln!(
                        "{} {:.1} {:?} {}",
                        pcm.len() / 480,
                        dsp::dbfs(f.rms),
                        f.vad,
                        f.speech
                    );
                }
                pcm.extend_from_slice(&f.pcm);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if let Some(mut paplay) = talking {
        paplay.wait().unwrap();
    }
    // The canceller converges within half a second of the first audible echo.
    let onset = pcm
        .chunks(480)
        .position(|f| dsp::dbfs(dsp::rms_i16(f)) > -60.0)
        .unwrap_or(0)
        * 480;
    let converged = &pcm[(onset + 12_000).min(pcm.len())..];
    (
        starts,
        dsp::dbfs(dsp::rms_i16(&pcm)),
        dsp::dbfs(dsp::rms_i16(converged)),
    )
}

#[test]
fn donnas_own_voice_does_not_trigger_barge_in() {
    let Some(_devices) = devices() else { return };
    let (raw_starts, raw_level, raw_late) = donna_talks_into_her_own_microphone(false, 4.0, None);
    let (starts, level, late) = donna_talks_into_her_own_microphone(true, 4.0, None);
    eprintln!(
        "speaker looped into the microphone: without echo cancellation {raw_starts} VAD starts at {raw_level:.1} dBFS; \
         with it {starts} at {level:.1} dBFS (ERLE {:.1} dB overall, {:.1} dB after the first half second of echo)",
        raw_level - level,
        raw_late - late
    );
    assert!(
        raw_starts >= 1,
        "the loop must reach the microphone for this test to mean anything"
    );
    assert_eq!(starts, 0, "Donna interrupted herself");
}

/// The other half of echo cancellation: a visitor who talks over Donna (espeak-ng's voice,
/// 1.5 s into her answer) still interrupts her, once, through the same loop, canceller and
/// noise suppression, whose gaps between syllables the guarded gate must ride over.
#[test]
fn a_visitor_who_talks_over_donna_interrupts_her() {
    let Some(_devices) = devices() else { return };
    let path = tmp("talks-over.wav");
    let spoken = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "170", "-w"])
        .arg(&path)
        .arg("Excuse me, sorry, where is the lift?")
        .status()
        .unwrap();
    assert!(spoken.success());
    let (starts, _, _) = donna_talks_into_her_own_microphone(true, 4.0, Some(&path));
    assert_eq!(starts, 1, "the visitor's words are speech, once");
}

fn wait_for(
    state: &tokio::sync::watch::Receiver<DeviceState>,
    limit: Duration,
    want: impl Fn(&DeviceState) -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if want(&state.borrow()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Unplugging, as the app sees it: the sound server goes away and comes back. Both streams
/// report the loss, retry, and run again; nothing panics.
#[test]
fn devices_come_back_after_the_sound_server_restarts() {
    let Some(_devices) = devices() else { return };
    let retry = Duration::from_millis(300);
    let mut capture = Capture::start(
        CaptureConfig {
            echo: None,
            persistent: true,
            retry,
            ..CaptureConfig::default()
        },
        None,
    )
    .unwrap();
    let mut player = Player::start(
        PlayerConfig {
            persistent: true,
            retry,
            ..PlayerConfig::default()
        },
        None,
    )
    .unwrap();
    let (mic, speaker) = (capture.state(), player.state());
    assert!(wait_for(&mic, Duration::from_secs(2), |s| matches!(
        s,
        DeviceState::Running { .. }
    )));

    assert!(Command::new("pactl").arg("exit").status().unwrap().success());
    assert!(
        wait_for(&mic, Duration::from_secs(5), |s| matches!(
            s,
            DeviceState::Lost { .. }
        )),
        "{:?}",
        *mic.borrow()
    );
    player.push("while_gone", &dsp::i16_to_bytes(&[1000; 4800]));
    assert!(
        wait_for(&speaker, Duration::from_secs(5), |s| matches!(
            s,
            DeviceState::Lost { .. }
        )),
        "{:?}",
        *speaker.borrow()
    );

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/start-audio.sh");
    assert!(Command::new("bash").arg(script).status().unwrap().success());
    assert!(
        wait_for(&mic, Duration::from_secs(10), |s| matches!(
            s,
            DeviceState::Running { .. }
        )),
        "{:?}",
        *mic.borrow()
    );
    assert!(wait_for(&speaker, Duration::from_secs(10), |s| matches!(
        s,
        DeviceState::Running { .. }
    )));
    assert!(capture.stats().opens.load(std::sync::atomic::Ordering::Relaxed) >= 2);
    capture.clear();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut frame = None;
    while frame.is_none() && Instant::now() < deadline {
        frame = capture.try_frame();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(frame.is_some(), "frames flow again");
    // Audio queued while the speaker was gone is still played once it is back.
    let deadline = Instant::now() + Duration::from_secs(3);
    while player.is_playing() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(player.played("while_gone").unwrap().samples, 4800);
}
