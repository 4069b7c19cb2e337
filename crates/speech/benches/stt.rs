//! Speech-to-text accuracy and cost on espeak-ng speech: word error rate per path and condition,
//! how often the fast path is trusted at each confidence threshold, latency after the end of
//! speech (p50/p95), and CPU seconds per second of audio.
//!
//! Run: `DONNA_MODELS_DIR=target/donna-models cargo bench -p donna-speech --bench stt`
//! (without the installed model only the fast path is measured). `DONNA_BENCH_VERBOSE=1` prints every
//! utterance; `DONNA_WHISPER_THREADS=N` gives whisper N threads (default: up to two, one per core);
//! `DONNA_WHISPER_WINDOW=fitted` has whisper read a window fitted to each utterance instead of
//! its full 30 s.

#[path = "../../../benches/support/cpu_time.rs"]
mod cpu_time;
#[path = "../tests/util/mod.rs"]
mod util;

use cpu_time::cpu_seconds;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use donna_speech::stt::text::word_errors;
use donna_speech::stt::{
    DomainModel, FAST_CONFIDENCE, FastRecognizer, FastResult, Whisper, WhisperOptions, Window,
};
use util::{CONDITIONS, Condition, NAMES_GIVEN, OUT_OF_DOMAIN, PHRASES};

/// One utterance through both recognisers.
struct Run {
    reference: &'static str,
    audio_s: f64,
    fast: FastResult,
    fast_cpu: f64,
    whisper: Option<(String, f32, Duration, f64)>,
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn wer(pairs: impl Iterator<Item = (&'static str, String)>) -> f64 {
    let (mut errors, mut words) = (0, 0);
    for (reference, hypothesis) in pairs {
        let (e, n) = word_errors(reference, &hypothesis);
        errors += e;
        words += n;
    }
    100.0 * errors as f64 / words.max(1) as f64
}

fn accepted(r: &Run, threshold: f32) -> bool {
    r.fast.in_domain && r.fast.confidence >= threshold
}

fn run(
    phrases: &[&'static str],
    condition: &Condition,
    fast: &mut FastRecognizer,
    whisper: Option<&Whisper>,
) -> Vec<Run> {
    let verbose = std::env::var_os("DONNA_BENCH_VERBOSE").is_some();
    let mut runs = Vec::new();
    for &reference in phrases {
        let Some(pcm) = util::speak(reference, condition) else {
            panic!("espeak-ng is needed: apt-get install espeak-ng");
        };
        let audio_s = pcm.len() as f64 / 24_000.0;
        let cpu = cpu_seconds();
        fast.start().expect("start an utterance");
        for frame in pcm.chunks(480) {
            fast.feed(frame).expect("decode a frame");
        }
        let result = fast.finish().expect("finish an utterance");
        let fast_cpu = cpu_seconds() - cpu;
        let whisper = whisper.map(|w| {
            let cpu = cpu_seconds();
            let t = w.transcribe(&pcm).expect("whisper transcribes");
            (t.text, t.confidence, t.elapsed, cpu_seconds() - cpu)
        });
        if verbose {
            println!(
                "    {reference:?}\n      fast {:?} conf {:.3} in_domain {} | whisper {:?}",
                result.text,
                result.confidence,
                result.in_domain,
                whisper.as_ref().map(|w| (&w.0, w.1, w.2))
            );
        }
        runs.push(Run {
            reference,
            audio_s,
            fast: result,
            fast_cpu,
            whisper,
        });
    }
    runs
}

/// What the fast path claims under each rule, on the same decodes: every word a word of the
/// domain's sentences (the rule before), or the words in the sentences' order, visitors' own
/// names never claimed (the rule now). Claimed utterances with any word wrong are counted.
fn compare_rules(domain: &donna_speech::stt::Domain, phrases: &[Run], outside: &[Run], names: &[Run]) {
    let words: HashSet<String> = domain.corpus().into_iter().flat_map(|(s, _)| s).collect();
    let by_words = |r: &Run| {
        r.fast.confidence >= FAST_CONFIDENCE
            && !r.fast.text.is_empty()
            && r.fast.text.split(' ').all(|w| words.contains(w))
    };
    let by_order = |r: &Run| accepted(r, FAST_CONFIDENCE);
    let claimed = |runs: &[Run], rule: &dyn Fn(&Run) -> bool| {
        let kept: Vec<&Run> = runs.iter().filter(|r| rule(r)).collect();
        let wrong = kept
            .iter()
            .filter(|r| word_errors(r.reference, &r.fast.text).0 > 0)
            .count();
        format!("{}/{} ({wrong} wrong)", kept.len(), runs.len())
    };
    println!(
        "\nwhat the fast path claims (confidence >= {FAST_CONFIDENCE}), both rules on the same decodes:"
    );
    println!("| rule | in-domain phrases | visitors' own names | out of domain |\n|---|---:|---:|---:|");
    for (name, rule) in [
        ("words in the domain", &by_words as &dyn Fn(&Run) -> bool),
        ("words in the domain's order, names never", &by_order),
    ] {
        println!(
            "| {name} | {} | {} | {} |",
            claimed(phrases, rule),
            claimed(names, rule),
            claimed(outside, rule)
        );
    }
}

fn main() {
    if !util::espeak_available() {
        eprintln!("espeak-ng is needed: apt-get install espeak-ng");
        return;
    }
    let domain = util::harbor_domain();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let t = Instant::now();
    let model = DomainModel::build(&domain, dir.path()).expect("build the domain model");
    let build = t.elapsed();
    let t = Instant::now();
    let mut fast = FastRecognizer::new(&model).expect("load pocketsphinx");
    let load = t.elapsed();
    println!(
        "domain model: {:?} n-grams, {} guessed pronunciations {:?}; built in {:.0} ms, decoder loaded in {:.0} ms",
        model.ngrams,
        model.guessed.len(),
        model.guessed.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>(),
        build.as_secs_f64() * 1e3,
        load.as_secs_f64() * 1e3
    );
    let threads: usize = std::env::var("DONNA_WHISPER_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(WhisperOptions::default().threads);
    let whisper = util::whisper_model().map(|path| {
        let options = WhisperOptions {
            threads,
            prompt: domain.whisper_prompt(),
            window: match std::env::var("DONNA_WHISPER_WINDOW").as_deref() {
                Ok("fitted") => Window::Fitted,
                _ => Window::Full,
            },
        };
        println!("whisper's window: {:?}", options.window);
        Arc::new(Whisper::new(path, options).expect("load the whisper model"))
    });
    if whisper.is_none() {
        println!("no whisper model in DONNA_MODELS_DIR: whisper is not measured");
    }

    let mut all_in: Vec<Run> = Vec::new();
    let mut all_out: Vec<Run> = Vec::new();
    let mut all_names: Vec<Run> = Vec::new();
    println!(
        "\n{} in-domain phrases and {} out-of-domain phrases per condition; WER in %, fast path \
         trusted when in domain and confidence >= {FAST_CONFIDENCE}",
        PHRASES.len(),
        OUT_OF_DOMAIN.len()
    );
    println!(
        "| condition | fast WER | whisper WER | combined WER | fast trusted | OOD fast WER | OOD whisper WER | OOD trusted |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for condition in CONDITIONS {
        let runs_in = run(PHRASES, condition, &mut fast, whisper.as_deref());
        let runs_out = run(OUT_OF_DOMAIN, condition, &mut fast, whisper.as_deref());
        let table = |runs: &[Run]| {
            let fast = wer(runs.iter().map(|r| (r.reference, r.fast.text.clone())));
            let whisper = runs.iter().all(|r| r.whisper.is_some()).then(|| {
                wer(runs.iter().map(|r| {
                    (
                        r.reference,
                        r.whisper.as_ref().map_or(String::new(), |w| w.0.clone()),
                    )
                }))
            });
            let combined = whisper.map(|_| {
                wer(runs.iter().map(|r| {
                    let text = if accepted(r, FAST_CONFIDENCE) {
                        r.fast.text.clone()
                    } else {
                        r.whisper.as_ref().map_or(String::new(), |w| w.0.clone())
                    };
                    (r.reference, text)
                }))
            });
            let trusted = runs.iter().filter(|r| accepted(r, FAST_CONFIDENCE)).count();
            (fast, whisper, combined, trusted)
        };
        let show = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.1}"));
        let (f, w, c, t) = table(&runs_in);
        let (of, ow, _, ot) = table(&runs_out);
        println!(
            "| {} | {f:.1} | {} | {} | {t}/{} | {of:.1} | {} | {ot}/{} |",
            condition.name,
            show(w),
            show(c),
            runs_in.len(),
            show(ow),
            runs_out.len()
        );
        all_in.extend(runs_in);
        all_out.extend(runs_out);
        all_names.extend(run(NAMES_GIVEN, condition, &mut fast, whisper.as_deref()));
    }
    compare_rules(&domain, &all_in, &all_out, &all_names);

    println!(
        "\nconfidence threshold sweep over all conditions: in-domain utterances the fast path keeps, \
         its WER on them and whisper's on the same ones, the WER of the combination, and \
         out-of-domain utterances it keeps"
    );
    println!(
        "| threshold | in-domain kept | fast WER of kept | whisper WER of kept | combined WER | OOD kept |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let whisper_text = |r: &Run| r.whisper.as_ref().map_or(String::new(), |w| w.0.clone());
    for threshold in [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let kept: Vec<&Run> = all_in.iter().filter(|r| accepted(r, threshold)).collect();
        let fast_kept = wer(kept.iter().map(|r| (r.reference, r.fast.text.clone())));
        let (whisper_kept, combined) = if whisper.is_some() {
            let combined = wer(all_in.iter().map(|r| {
                let text = if accepted(r, threshold) {
                    r.fast.text.clone()
                } else {
                    whisper_text(r)
                };
                (r.reference, text)
            }));
            (
                format!("{:.1}", wer(kept.iter().map(|r| (r.reference, whisper_text(r))))),
                format!("{combined:.1}"),
            )
        } else {
            ("–".to_owned(), "–".to_owned())
        };
        let ood = all_out.iter().filter(|r| accepted(r, threshold)).count();
        println!(
            "| {threshold:.1} | {}/{} | {fast_kept:.1} | {whisper_kept} | {combined} | {ood}/{} |",
            kept.len(),
            all_in.len(),
            all_out.len()
        );
    }

    let all: Vec<&Run> = all_in.iter().chain(&all_out).collect();
    let audio: f64 = all.iter().map(|r| r.audio_s).sum();
    let fast_finish: Vec<Duration> = all.iter().map(|r| r.fast.elapsed).collect();
    let fast_cpu: f64 = all.iter().map(|r| r.fast_cpu).sum();
    println!("\ncost over {} utterances, {audio:.1} s of audio:", all.len());
    println!(
        "| path | p50 after end of speech | p95 | CPU s per audio s |\n|---|---:|---:|---:|\n| fast finish(), 1 thread | {:.0} ms | {:.0} ms | {:.3} (whole decode, while speaking) |",
        percentile(fast_finish.clone(), 0.5).as_secs_f64() * 1e3,
        percentile(fast_finish, 0.95).as_secs_f64() * 1e3,
        fast_cpu / audio
    );
    if whisper.is_some() {
        let times: Vec<Duration> = all
            .iter()
            .filter_map(|r| r.whisper.as_ref().map(|w| w.2))
            .collect();
        let cpu: f64 = all.iter().filter_map(|r| r.whisper.as_ref().map(|w| w.3)).sum();
        println!(
            "| whisper, {threads} thread(s) | {:.0} ms | {:.0} ms | {:.3} ({:.2} CPU s per utterance) |",
            percentile(times.clone(), 0.5).as_secs_f64() * 1e3,
            percentile(times, 0.95).as_secs_f64() * 1e3,
            cpu / audio,
            cpu / all.len() as f64
        );
    }
}
