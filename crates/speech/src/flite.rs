//! The flite C API: the calls Donna needs, behind a safe function.
//!
//! flite keeps global state (the voices, their lexicon) and is not documented as thread-safe,
//! so every call goes through one process-wide lock. Voices are registered the first time they
//! are used and live for the rest of the process.
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
    fn register_cmu_us_rms(voxdir: *const c_char) -> *mut CstVoice;
    fn register_cmu_us_awb(voxdir: *const c_char) -> *mut CstVoice;
    fn register_cmu_us_kal16(voxdir: *const c_char) -> *mut CstVoice;
    fn flite_text_to_wave(text: *const c_char, voice: *mut CstVoice) -> *mut CstWave;
    fn delete_wave(wave: *mut CstWave);
    fn flite_feat_set_float(features: *mut c_void, name: *const c_char, value: c_float);
}

/// The registered voice. The pointer is owned by flite for the life of the process.
struct Voice(*mut CstVoice);

// SAFETY: the voice is only ever used while holding `LOCK`, so no two threads touch it at once.
unsafe impl Send for Voice {}

/// The voices Debian's flite ships with US English: their registration functions, in the
/// order of [`crate::tts::Voice`].
const REGISTER: [unsafe extern "C" fn(*const c_char) -> *mut CstVoice; 4] = [
    register_cmu_us_slt,
    register_cmu_us_rms,
    register_cmu_us_awb,
    register_cmu_us_kal16,
];

/// Each voice once registered (`None` inside when flite refused it).
static VOICES: OnceLock<Mutex<[Option<Option<Voice>>; 4]>> = OnceLock::new();

/// A synthesised utterance: mono PCM16 at `sample_rate`.
pub struct Wave {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

/// Synthesise `text` with voice number `which` (see [`REGISTER`]) at `speed` (1.0 = normal).
/// `None` when flite could not produce audio (it returns a null wave, for instance on an
/// internal failure) or the voice could not be registered.
pub fn synthesize(text: &str, which: usize, speed: f32) -> Option<Wave> {
    let text = CString::new(text.replace('\0', " ")).ok()?;
    let register = *REGISTER.get(which)?;
    let lock = VOICES.get_or_init(|| {
        // SAFETY: flite_init has no preconditions and runs once, before any voice.
        unsafe { flite_init() };
        Mutex::new([None, None, None, None])
    });
    let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    let slot = guard.get_mut(which)?;
    let voice = slot
        .get_or_insert_with(|| {
            // SAFETY: registration takes no voice directory (null) and returns a voice owned by
            // flite for the life of the process, or null.
            let voice = unsafe { register(std::ptr::null()) };
            (!voice.is_null()).then_some(Voice(voice))
        })
        .as_ref()?
        .0;
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
