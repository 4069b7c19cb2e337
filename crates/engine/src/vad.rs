//! Server-side voice activity detection: an energy gate over 10 ms frames of PCM16 24 kHz.
//!
//! Deterministic on purpose: the same audio always gives the same `speech_started` and
//! `speech_stopped` times, which is what tests (and a stand-in server) need. The threshold
//! (0.0–1.0, as in the protocol) maps onto -60 dBFS … -10 dBFS of frame RMS.

/// Samples per 10 ms frame at 24 kHz.
const FRAME: usize = 240;
/// Consecutive loud frames before speech counts as started: ignores clicks and pops.
const ONSET_FRAMES: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech began; the time includes the prefix padding, as the service reports it.
    Started { audio_start_ms: u64 },
    /// Silence lasted `silence_duration_ms`; the time is when speech ended.
    Stopped { audio_end_ms: u64 },
}

#[derive(Debug)]
pub struct Vad {
    threshold: f64,
    prefix_ms: u64,
    silence_ms: u64,
    /// Milliseconds of audio processed so far (the session's audio clock).
    clock_ms: u64,
    partial: Vec<i16>,
    loud_run: u32,
    speaking: bool,
    /// End of the last loud frame while speaking.
    last_loud_ms: u64,
}

impl Vad {
    /// `threshold` 0.0–1.0; `start_ms` is the session's audio clock when VAD was switched on.
    pub fn new(threshold: f64, prefix_padding_ms: u32, silence_duration_ms: u32, start_ms: u64) -> Self {
        let dbfs = -60.0 + 50.0 * threshold.clamp(0.0, 1.0);
        Self {
            threshold: 10f64.powf(dbfs / 20.0),
            prefix_ms: u64::from(prefix_padding_ms),
            silence_ms: u64::from(silence_duration_ms),
            clock_ms: start_ms,
            partial: Vec::with_capacity(FRAME),
            loud_run: 0,
            speaking: false,
            last_loud_ms: 0,
        }
    }

    pub fn is_speaking(&self) -> bool {
        self.speaking
    }

    /// Feed samples; returns the transitions they caused, in order.
    pub fn feed(&mut self, samples: &[i16]) -> Vec<VadEvent> {
        let mut events = Vec::new();
        for &s in samples {
            self.partial.push(s);
            if self.partial.len() == FRAME {
                let loud = rms(&self.partial) > self.threshold;
                self.partial.clear();
                self.clock_ms += 10;
                self.step(loud, &mut events);
            }
        }
        events
    }

    fn step(&mut self, loud: bool, events: &mut Vec<VadEvent>) {
        if loud {
            self.loud_run += 1;
            self.last_loud_ms = self.clock_ms;
            if !self.speaking && self.loud_run >= ONSET_FRAMES {
                self.speaking = true;
                let onset = self.clock_ms - u64::from(ONSET_FRAMES) * 10;
                events.push(VadEvent::Started {
                    audio_start_ms: onset.saturating_sub(self.prefix_ms),
                });
            }
        } else {
            self.loud_run = 0;
            if self.speaking && self.clock_ms - self.last_loud_ms >= self.silence_ms {
                self.speaking = false;
                events.push(VadEvent::Stopped {
                    audio_end_ms: self.last_loud_ms,
                });
            }
        }
    }
}

fn rms(frame: &[i16]) -> f64 {
    let sum: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / frame.len() as f64).sqrt() / 32768.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: usize, amplitude: f64) -> Vec<i16> {
        (0..ms * 24)
            .map(|i| {
                (amplitude * 32767.0 * (i as f64 * 2.0 * std::f64::consts::PI * 220.0 / 24_000.0).sin())
                    as i16
            })
            .collect()
    }

    #[test]
    fn speech_between_silences_gives_exact_times() {
        let mut vad = Vad::new(0.5, 300, 200, 0);
        let mut audio = tone(1000, 0.0);
        audio.extend(tone(800, 0.3));
        audio.extend(tone(1000, 0.0));
        let events = vad.feed(&audio);
        // Onset at 1000 ms, reported with 300 ms of prefix padding; speech ends at 1800 ms and is
        // declared after 200 ms of silence.
        assert_eq!(
            events,
            vec![
                VadEvent::Started { audio_start_ms: 700 },
                VadEvent::Stopped { audio_end_ms: 1800 }
            ]
        );
    }

    #[test]
    fn quiet_noise_and_clicks_are_not_speech() {
        let mut vad = Vad::new(0.5, 300, 200, 0);
        assert!(vad.feed(&tone(2000, 0.005)).is_empty());
        let mut click = tone(20, 0.9);
        click.extend(tone(500, 0.0));
        assert!(vad.feed(&click).is_empty());
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let mut audio = tone(500, 0.0);
        audio.extend(tone(600, 0.3));
        audio.extend(tone(600, 0.0));
        let whole = Vad::new(0.5, 300, 200, 0).feed(&audio);
        let mut vad = Vad::new(0.5, 300, 200, 0);
        let chunked: Vec<_> = audio.chunks(333).flat_map(|c| vad.feed(c)).collect();
        assert_eq!(whole, chunked);
    }
}
