//! The flite C API: the four calls Donna needs, behind a safe function.
//!
//! flite keeps global state (the voice, its lexicon) and is not documented as thread-safe, so
//! every call goes through one process-wide lock.
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_float, c_int, c_short, c_void};
use std::sync::{Mutex, OnceLock};

#[repr(C)]
struct CstWave {
    kind: *const c_char,
    sample_rate: c_int,
    num_samples: c_int,
    num_channels: c_int,
    samples: *mut c_short,
}

/// The head of `cst_voice`: only `features` is used (to set the speaking rate).
#[repr(C)]
struct CstVoice {
    name: *const c_char,
    features: *mut c_void,
}

unsafe extern "C" {
    fn flite_init() -> c_int;
    fn register_cmu_us_slt(voxdir: *const c_char) -> *mut CstVoice;
    fn flite_text_to_wave(text: *const c_char, voice: *mut CstVoice) -> *mut CstWave;
    fn delete_wave(wave: *mut CstWave);
    fn flite_feat_set_float(features: *mut c_void, name: *const c_char, value: c_float);
}

/// The registered voice. The pointer is owned by flite for the life of the process.
struct Voice(*mut CstVoice);

// SAFETY: the voice is only ever used while holding `LOCK`, so no two threads touch it at once.
unsafe impl Send for Voice {}

static VOICE: OnceLock<Mutex<Option<Voice>>> = OnceLock::new();

/// A synthesised utterance: mono PCM16 at `sample_rate`.
pub struct Wave {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

/// Synthesise `text` with the cmu_us_slt voice at `speed` (1.0 = normal). `None` when flite
/// could not produce audio (it returns a null wave, for instance on an internal failure).
pub fn synthesize(text: &str, speed: f32) -> Option<Wave> {
    let text = CString::new(text.replace('\0', " ")).ok()?;
    let lock = VOICE.get_or_init(|| {
        // SAFETY: flite_init has no preconditions; register returns a voice owned by flite.
        let voice = unsafe {
            flite_init();
            register_cmu_us_slt(std::ptr::null())
        };
        Mutex::new((!voice.is_null()).then_some(Voice(voice)))
    });
    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    let voice = guard.as_ref()?.0;
    let stretch = CString::new("duration_stretch").ok()?;
    // SAFETY: `voice` is a live voice (registered above, never freed); `features` is its feature
    // set; the strings outlive the calls; the wave is read within its bounds and freed once.
    unsafe {
        flite_feat_set_float((*voice).features, stretch.as_ptr(), 1.0 / speed.clamp(0.25, 4.0));
        let wave = flite_text_to_wave(text.as_ptr(), voice);
        if wave.is_null() {
            return None;
        }
        let w = &*wave;
        let n =
            usize::try_from(w.num_samples).unwrap_or(0) * usize::try_from(w.num_channels.max(1)).unwrap_or(1);
        let samples = if w.samples.is_null() || n == 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(w.samples, n).to_vec()
        };
        let out = Wave {
            sample_rate: u32::try_from(w.sample_rate).unwrap_or(16_000),
            samples,
        };
        delete_wave(wave);
        Some(out)
    }
}
