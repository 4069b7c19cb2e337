//! Event codec throughput and allocations, side by side with a generic JSON parse/print of the
//! same frames (`serde_json::Value`), in one run.
//!
//! Run: `cargo bench -p donna-realtime --bench codec`

use std::alloc::System;
use std::time::{Duration, Instant};

use donna_realtime::protocol::client::InputAudioBufferAppend;
use donna_realtime::protocol::{ClientEvent, ServerEvent};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// Counts allocations so "allocations per event" is a measured number.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn b64(n: usize) -> String {
    use std::fmt::Write;
    // Valid base64 of `n` bytes of pseudo-audio, without a base64 dependency in the bench.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(n.div_ceil(3) * 4);
    for i in 0..n.div_ceil(3) * 4 {
        let _ = s.write_char(ALPHABET[(i * 7 + 3) % 64] as char);
    }
    s
}

/// Run `f` repeatedly for about `budget`; returns (iterations per second, allocations per call).
fn measure(budget: Duration, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..100 {
        f();
    }
    let region = Region::new(GLOBAL);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let allocs = region.change().allocations as f64 / n as f64;
    (n as f64 / elapsed, allocs)
}

fn main() {
    let budget = Duration::from_millis(1500);
    println!(
        "{:<44} {:>12} {:>10} {:>10} {:>8}",
        "case (PCM16 24 kHz, base64)", "events/s", "MB/s", "allocs/ev", "ratio"
    );
    for ms in [20usize, 100] {
        let audio = b64(ms * 48);
        let append = ClientEvent::InputAudioBufferAppend(InputAudioBufferAppend {
            event_id: None,
            audio: audio.clone(),
        });
        let append_text = append.to_json();
        let delta_text = format!(
            r#"{{"type":"response.output_audio.delta","event_id":"event_ABCDEFGHIJKLMNOPQRSTU","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"{audio}"}}"#
        );
        let value: serde_json::Value = serde_json::from_str(&append_text).unwrap_or_default();
        let mb = |rate: f64, len: usize| rate * len as f64 / 1e6;

        let (ours, ours_alloc) = measure(budget, || {
            std::hint::black_box(ClientEvent::parse(std::hint::black_box(&append_text)).ok());
        });
        let (base, base_alloc) = measure(budget, || {
            std::hint::black_box(
                serde_json::from_str::<serde_json::Value>(std::hint::black_box(&append_text)).ok(),
            );
        });
        row(
            &format!("decode append {ms} ms: typed"),
            ours,
            mb(ours, append_text.len()),
            ours_alloc,
            ours / base,
        );
        row(
            &format!("decode append {ms} ms: generic Value"),
            base,
            mb(base, append_text.len()),
            base_alloc,
            1.0,
        );

        let (ours, ours_alloc) = measure(budget, || {
            std::hint::black_box(ServerEvent::parse(std::hint::black_box(&delta_text)).ok());
        });
        let (base, base_alloc) = measure(budget, || {
            std::hint::black_box(
                serde_json::from_str::<serde_json::Value>(std::hint::black_box(&delta_text)).ok(),
            );
        });
        row(
            &format!("decode audio delta {ms} ms: typed"),
            ours,
            mb(ours, delta_text.len()),
            ours_alloc,
            ours / base,
        );
        row(
            &format!("decode audio delta {ms} ms: generic Value"),
            base,
            mb(base, delta_text.len()),
            base_alloc,
            1.0,
        );

        let (ours, ours_alloc) = measure(budget, || {
            std::hint::black_box(std::hint::black_box(&append).to_json());
        });
        let (base, base_alloc) = measure(budget, || {
            std::hint::black_box(serde_json::to_string(std::hint::black_box(&value)).ok());
        });
        row(
            &format!("encode append {ms} ms: typed"),
            ours,
            mb(ours, append_text.len()),
            ours_alloc,
            ours / base,
        );
        row(
            &format!("encode append {ms} ms: generic Value"),
            base,
            mb(base, append_text.len()),
            base_alloc,
            1.0,
        );
    }
}

fn row(name: &str, rate: f64, mbps: f64, allocs: f64, ratio: f64) {
    println!("{name:<44} {rate:>12.0} {mbps:>10.1} {allocs:>10.1} {ratio:>7.2}x");
}
