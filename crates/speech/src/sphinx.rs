//! The pocketsphinx C API (Debian's 5prealpha library): the dozen calls the fast recogniser
//! needs, behind a safe [`Decoder`].
//!
//! The configuration is parsed from an argv array with `cmd_ln_parse_r`, because `cmd_ln_init`
//! is variadic. sphinxbase keeps pointers into that array for the life of the configuration, and
//! the decoder keeps the configuration, so the decoder owns the strings.
//!
//! sphinxbase logs through one process-wide file handle: it is switched off before anything is
//! parsed (parsing prints the whole configuration to stderr), and decoders are created under one
//! lock because `-logfn` swaps that handle.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr::NonNull;
use std::sync::Mutex;

use crate::SpeechError;

#[repr(C)]
struct CmdLn {
    _private: [u8; 0],
}
#[repr(C)]
struct ArgDef {
    _private: [u8; 0],
}
#[repr(C)]
struct PsDecoder {
    _private: [u8; 0],
}
#[repr(C)]
struct LogMath {
    _private: [u8; 0],
}
#[repr(C)]
struct PsSeg {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn err_set_logfp(stream: *mut c_void);
    fn ps_args() -> *const ArgDef;
    fn cmd_ln_parse_r(
        inout: *mut CmdLn,
        defn: *const ArgDef,
        argc: i32,
        argv: *mut *mut c_char,
        strict: i32,
    ) -> *mut CmdLn;
    fn cmd_ln_free_r(config: *mut CmdLn) -> c_int;
    fn ps_init(config: *mut CmdLn) -> *mut PsDecoder;
    fn ps_free(ps: *mut PsDecoder) -> c_int;
    fn ps_start_utt(ps: *mut PsDecoder) -> c_int;
    fn ps_process_raw(
        ps: *mut PsDecoder,
        data: *const i16,
        n_samples: usize,
        no_search: c_int,
        full_utt: c_int,
    ) -> c_int;
    fn ps_end_utt(ps: *mut PsDecoder) -> c_int;
    fn ps_get_hyp(ps: *mut PsDecoder, out_best_score: *mut i32) -> *const c_char;
    fn ps_get_logmath(ps: *mut PsDecoder) -> *mut LogMath;
    fn logmath_exp(lmath: *mut LogMath, logb_p: c_int) -> f64;
    fn ps_seg_iter(ps: *mut PsDecoder) -> *mut PsSeg;
    fn ps_seg_next(seg: *mut PsSeg) -> *mut PsSeg;
    fn ps_seg_word(seg: *mut PsSeg) -> *const c_char;
    fn ps_seg_frames(seg: *mut PsSeg, out_sf: *mut c_int, out_ef: *mut c_int);
    fn ps_seg_prob(seg: *mut PsSeg, out_ascr: *mut i32, out_lscr: *mut i32, out_lback: *mut i32) -> i32;
}

/// Held while a decoder is created: that touches sphinxbase's global log handle.
static GLOBAL: Mutex<()> = Mutex::new(());

/// One word of the best path, after the utterance ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// As in the dictionary, fillers included (`<s>`, `<sil>`, `[NOISE]`) and alternates marked
    /// (`two(2)`).
    pub word: String,
    /// Posterior probability of this word on the lattice, 0..1.
    pub posterior: f64,
    /// Acoustic score, in the decoder's log base (negative; larger is better).
    pub acoustic: i32,
    /// First and last 10 ms frame.
    pub frames: (i32, i32),
}

/// A pocketsphinx decoder. Not shareable between threads (the C object has no locking) but can
/// move to another one.
pub struct Decoder {
    ps: NonNull<PsDecoder>,
    /// sphinxbase points into these for the decoder's life.
    _argv: Vec<CString>,
}

// SAFETY: the decoder is only reached through `&mut self`, so one thread at a time; it holds no
// thread-local state.
unsafe impl Send for Decoder {}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").finish_non_exhaustive()
    }
}

impl Decoder {
    /// Create a decoder from `-name value` pairs. `None` when sphinxbase rejects them or
    /// pocketsphinx cannot load the files they name.
    pub fn new(args: &[(&str, &str)]) -> Option<Self> {
        let mut argv = vec![CString::new("donna").ok()?];
        for (name, value) in args {
            argv.push(CString::new(*name).ok()?);
            argv.push(CString::new(*value).ok()?);
        }
        let mut ptrs: Vec<*mut c_char> = argv.iter().map(|s| s.as_ptr().cast_mut()).collect();
        let argc = i32::try_from(ptrs.len()).ok()?;
        let _global = GLOBAL.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: `ptrs` holds `argc` valid C strings owned by `argv`, which the decoder keeps;
        // sphinxbase only reads them. A null log handle is its documented "logging off".
        // `ps_init` takes its own reference to the configuration, so ours is released.
        let ps = unsafe {
            err_set_logfp(std::ptr::null_mut());
            let config = cmd_ln_parse_r(std::ptr::null_mut(), ps_args(), argc, ptrs.as_mut_ptr(), 1);
            if config.is_null() {
                return None;
            }
            let ps = ps_init(config);
            cmd_ln_free_r(config);
            ps
        };
        NonNull::new(ps).map(|ps| Self { ps, _argv: argv })
    }

    pub fn start(&mut self) -> Result<(), SpeechError> {
        // SAFETY: `ps` is a live decoder.
        ok(unsafe { ps_start_utt(self.ps.as_ptr()) }, "ps_start_utt")
    }

    /// Decode 16 kHz PCM16 of the current utterance.
    pub fn process(&mut self, pcm: &[i16]) -> Result<(), SpeechError> {
        if pcm.is_empty() {
            return Ok(());
        }
        // SAFETY: `pcm` is valid for `pcm.len()` samples during the call, which copies them.
        let frames = unsafe { ps_process_raw(self.ps.as_ptr(), pcm.as_ptr(), pcm.len(), 0, 0) };
        ok(frames, "ps_process_raw")
    }

    pub fn end(&mut self) -> Result<(), SpeechError> {
        // SAFETY: `ps` is a live decoder.
        ok(unsafe { ps_end_utt(self.ps.as_ptr()) }, "ps_end_utt")
    }

    /// The best hypothesis so far (partial during an utterance, final after [`Decoder::end`]);
    /// empty when there is none.
    pub fn hypothesis(&mut self) -> String {
        let mut score = 0;
        // SAFETY: `ps` is live; the returned string belongs to the decoder and is copied before
        // the next call into it.
        unsafe {
            let hyp = ps_get_hyp(self.ps.as_ptr(), &mut score);
            if hyp.is_null() {
                String::new()
            } else {
                CStr::from_ptr(hyp).to_string_lossy().into_owned()
            }
        }
    }

    /// The best path word by word, with lattice posteriors.
    pub fn words(&mut self) -> Vec<Word> {
        let mut words = Vec::new();
        // SAFETY: `ps` is live. The iterator is advanced until `ps_seg_next` returns null, which
        // frees it; each word string is copied before the iterator moves on.
        unsafe {
            let logmath = ps_get_logmath(self.ps.as_ptr());
            let mut seg = ps_seg_iter(self.ps.as_ptr());
            while !seg.is_null() {
                let (mut ascr, mut lscr, mut lback) = (0, 0, 0);
                let prob = ps_seg_prob(seg, &mut ascr, &mut lscr, &mut lback);
                let (mut sf, mut ef) = (0, 0);
                ps_seg_frames(seg, &mut sf, &mut ef);
                let word = ps_seg_word(seg);
                if !word.is_null() {
                    words.push(Word {
                        word: CStr::from_ptr(word).to_string_lossy().into_owned(),
                        posterior: if logmath.is_null() {
                            0.0
                        } else {
                            logmath_exp(logmath, prob)
                        },
                        acoustic: ascr,
                        frames: (sf, ef),
                    });
                }
                seg = ps_seg_next(seg);
            }
        }
        words
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: `ps` is live and freed once.
        unsafe {
            ps_free(self.ps.as_ptr());
        }
    }
}

fn ok(rc: c_int, call: &'static str) -> Result<(), SpeechError> {
    if rc < 0 {
        Err(SpeechError::Decoder(call))
    } else {
        Ok(())
    }
}
