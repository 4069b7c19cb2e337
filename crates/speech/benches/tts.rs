//! Text-to-speech latency: time to the first sentence's audio (what a visitor waits for) side by
//! side with synthesising the whole reply at once, and the real-time factor.
//!
//! Run: `cargo bench -p donna-speech --bench tts`

use std::time::{Duration, Instant};

use donna_speech::tts::{OUTPUT_RATE, sentences};
use donna_speech::{Synthesizer, Tts};

const REPLY: &str = "Thank you, Ann. I've let Dr Maria Chen know you're here. Please take a seat in the waiting area; \
                     they're on the first floor, room 103.";

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let tts = Tts::default();
    let first = sentences(REPLY).remove(0);
    let _ = tts.synthesize(&first); // voice registration happens once, on first use
    let rounds = 30;
    let (mut first_times, mut whole_times) = (Vec::new(), Vec::new());
    let mut audio_s = 0.0;
    for _ in 0..rounds {
        let t = Instant::now();
        let pcm = tts.synthesize(&first).unwrap_or_default();
        first_times.push(t.elapsed());
        assert!(!pcm.is_empty());
        let t = Instant::now();
        let pcm = tts.synthesize(REPLY).unwrap_or_default();
        whole_times.push(t.elapsed());
        audio_s = pcm.len() as f64 / f64::from(OUTPUT_RATE);
    }
    let whole_p50 = percentile(whole_times.clone(), 0.5);
    let first_p50 = percentile(first_times.clone(), 0.5);
    println!("flite cmu_us_slt, 16 kHz resampled to 24 kHz, {rounds} rounds, one thread:");
    println!(
        "  first sentence ({} chars)  p50 {:>6.1} ms  p95 {:>6.1} ms",
        first.len(),
        first_p50.as_secs_f64() * 1e3,
        percentile(first_times, 0.95).as_secs_f64() * 1e3
    );
    println!(
        "  whole reply ({} chars)     p50 {:>6.1} ms  p95 {:>6.1} ms  for {audio_s:.2} s of audio (real-time factor {:.3})",
        REPLY.len(),
        whole_p50.as_secs_f64() * 1e3,
        percentile(whole_times, 0.95).as_secs_f64() * 1e3,
        whole_p50.as_secs_f64() / audio_s
    );
    println!(
        "  first audio / whole reply at p50: {:.2}x",
        first_p50.as_secs_f64() / whole_p50.as_secs_f64()
    );
}
