//! Observing the PulseAudio virtual speaker (`scripts/start-audio.sh`): what Donna really
//! played, recorded from `spk.monitor` with `parec`. Used by the device tests of this crate and
//! of the voice crate, which compare it with what they asked to play.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{AudioError, dsp};

/// Whether the virtual devices are up (a PulseAudio server answers at `PULSE_SERVER`). Tests
/// that need them skip without them, saying how to start them; where `CI` is set they must be
/// up, so a CI run cannot pass by skipping.
pub fn running() -> bool {
    let up = std::env::var_os("PULSE_SERVER").is_some()
        && Command::new("pactl")
            .arg("info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must start the virtual audio devices (scripts/start-audio.sh)"
        );
        eprintln!("skipped: no PulseAudio (run `source scripts/start-audio.sh` first)");
    }
    up
}

/// Records the virtual speaker's monitor as mono PCM16 at a chosen rate until finished.
#[derive(Debug)]
pub struct SinkRecorder {
    child: Child,
    path: PathBuf,
}

impl SinkRecorder {
    /// Start recording into `path`. Waits 300 ms so the recorder is running before anything
    /// plays (parec starts asynchronously).
    pub fn start(path: &Path, rate: u32) -> Result<Self, AudioError> {
        let io = |e: std::io::Error| AudioError::Io(format!("speaker recorder: {e}"));
        let file = std::fs::File::create(path).map_err(io)?;
        let child = Command::new("parec")
            .args([
                "-d",
                "spk.monitor",
                "--raw",
                "--format=s16le",
                "--channels=1",
                "--latency-msec=10",
            ])
            .arg(format!("--rate={rate}"))
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .map_err(io)?;
        std::thread::sleep(Duration::from_millis(300));
        Ok(Self {
            child,
            path: path.to_owned(),
        })
    }

    /// Stop after a 300 ms tail (the device buffer drains) and return the samples recorded.
    pub fn finish(mut self) -> Result<Vec<i16>, AudioError> {
        std::thread::sleep(Duration::from_millis(300));
        self.end();
        let bytes =
            std::fs::read(&self.path).map_err(|e| AudioError::Io(format!("speaker recording: {e}")))?;
        Ok(dsp::bytes_to_i16(&bytes))
    }

    fn end(&mut self) {
        if self.child.try_wait().is_ok_and(|s| s.is_some()) {
            return;
        }
        // SIGINT lets parec flush what it has; SIGKILL could lose the tail.
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for SinkRecorder {
    fn drop(&mut self) {
        self.end();
    }
}
