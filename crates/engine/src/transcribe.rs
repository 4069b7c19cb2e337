//! Speech to text for committed user audio: what the engine needs from a recogniser.
//!
//! Recognition takes far longer than anything else in a turn (about a second of CPU for
//! whisper), so the connection runs it on a blocking thread while the session keeps answering
//! frames; [`crate::session::ServerSession`] only says which item needs a transcript and
//! takes the result back, holding any response that depends on it until then.

use donna_speech::SttError;
use donna_speech::stt::{Heard, LiveRecognizer, Transcriber};

/// Donna's offline recogniser: pocketsphinx on a language model built from the business
/// profile, and whisper tiny.en when pocketsphinx is not sure or hears something outside the
/// front desk's usual sentences (see [`donna_speech::stt::Recognizer`]).
///
/// One decoder serves the engine, so utterances are recognised one at a time; a kiosk has one
/// visitor at a time, and whisper's cost would not parallelise on two cores anyway.
#[derive(Debug)]
pub struct OfflineTranscriber {
    recognizer: std::sync::Mutex<donna_speech::stt::Recognizer>,
    /// What a session's own recogniser is built from.
    model: donna_speech::stt::DomainModel,
    whisper: Option<std::sync::Arc<donna_speech::stt::Whisper>>,
    threshold: f32,
    /// Which paths are available, for the start-up log and `/api/health`.
    pub accurate: bool,
}

/// The installed whisper model, how many CPU threads it may use and the audio window it reads.
#[derive(Debug, Clone, Copy)]
pub struct WhisperModel<'a> {
    pub path: &'a std::path::Path,
    pub threads: usize,
    pub window: donna_speech::stt::Window,
}

impl<'a> WhisperModel<'a> {
    /// The model at `path`, with whisper's default threads and window.
    pub fn at(path: &'a std::path::Path) -> Self {
        let defaults = donna_speech::stt::WhisperOptions::default();
        Self {
            path,
            threads: defaults.threads,
            window: defaults.window,
        }
    }
}

impl OfflineTranscriber {
    /// Build the domain model for `profile` in `work_dir` and load the recognisers; whisper only
    /// when a model is given (it is installed).
    pub fn new(
        profile: &donna_desk::profile::Profile,
        work_dir: &std::path::Path,
        whisper_model: Option<WhisperModel<'_>>,
    ) -> Result<Self, donna_speech::SpeechError> {
        use donna_speech::stt::{DomainModel, FastRecognizer, Recognizer, Whisper, WhisperOptions};
        let domain = domain_of(profile);
        let model = DomainModel::build(&domain, work_dir)?;
        let fast = FastRecognizer::new(&model)?;
        // Loaded at the first utterance the fast path is not sure of: an idle kiosk, or one
        // whose visitors say what the profile expects, never holds it.
        let whisper = whisper_model
            .map(|model| {
                Whisper::lazy(
                    model.path,
                    WhisperOptions {
                        prompt: domain.whisper_prompt(),
                        threads: model.threads,
                        window: model.window,
                    },
                )
            })
            .transpose()?
            .map(std::sync::Arc::new);
        Ok(Self {
            accurate: whisper.is_some(),
            recognizer: std::sync::Mutex::new(Recognizer::new(fast, whisper.clone())),
            model,
            whisper,
            threshold: donna_speech::stt::FAST_CONFIDENCE,
        })
    }
}

impl OfflineTranscriber {
    /// Never trust the fast path: every utterance goes to whisper (for comparisons).
    pub fn always_accurate(mut self) -> Self {
        self.threshold = f32::INFINITY;
        self.recognizer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .threshold = f32::INFINITY;
        self
    }
}

impl Transcriber for OfflineTranscriber {
    fn transcribe(&self, pcm: &[i16]) -> Result<Heard, SttError> {
        // A recogniser that panicked mid-utterance starts the next one afresh.
        let mut recognizer = self
            .recognizer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let heard = recognizer
            .start()
            .and_then(|()| recognizer.feed(pcm))
            .and_then(|_| recognizer.finish())?;
        tracing::debug!(path = ?heard.path, confidence = heard.confidence, ms = heard.elapsed.as_millis() as u64, "transcribed");
        Ok(Heard {
            text: heard.text,
            confidence: heard.confidence,
        })
    }

    fn live(&self) -> Option<Box<dyn LiveRecognizer>> {
        match donna_speech::stt::FastRecognizer::new(&self.model) {
            Ok(fast) => {
                let mut recognizer = donna_speech::stt::Recognizer::new(fast, self.whisper.clone());
                recognizer.threshold = self.threshold;
                Some(Box::new(Live(recognizer)))
            }
            Err(e) => {
                tracing::warn!(error = %e, "no live recogniser for this session; transcribing after each commit");
                None
            }
        }
    }
}

/// A session's own pocketsphinx decoder, with the shared whisper behind it.
struct Live(donna_speech::stt::Recognizer);

impl LiveRecognizer for Live {
    fn feed(&mut self, pcm: &[i16]) -> Result<String, SttError> {
        self.0.feed(pcm)
    }

    fn finish(&mut self) -> Result<Heard, SttError> {
        let heard = self.0.finish()?;
        tracing::debug!(path = ?heard.path, confidence = heard.confidence, ms = heard.elapsed.as_millis() as u64, "transcribed");
        Ok(Heard {
            text: heard.text,
            confidence: heard.confidence,
        })
    }

    fn reset(&mut self) -> Result<(), SttError> {
        self.0.start()
    }
}

/// The words a visitor may use at this desk: the organisation, staff names and aliases,
/// departments, and FAQ topics and keywords.
pub fn domain_of(profile: &donna_desk::profile::Profile) -> donna_speech::stt::Domain {
    donna_speech::stt::Domain {
        organisation: profile.organisation.name.clone(),
        names: profile.staff.iter().map(|s| s.name.clone()).collect(),
        aliases: profile
            .staff
            .iter()
            .flat_map(|s| s.aliases.iter().cloned())
            .collect(),
        departments: profile.departments.iter().map(|d| d.name.clone()).collect(),
        topics: profile
            .faq
            .iter()
            .flat_map(|f| std::iter::once(f.topic.clone()).chain(f.keywords.iter().cloned()))
            .collect(),
    }
}
