//! Convert an unpacked CTranslate2 whisper model directory (model.bin + vocabulary.txt) into a
//! ggml file, and print its size, sha256 and the time taken. For other models than the pinned
//! one (e.g. base, from its split wheels) and for measuring the converter:
//!
//! ```sh
//! cargo run -p donna-models --example ct2_to_ggml -- CT2_DIR OUT.bin [q8_0|f16]
//! ```

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use donna_models::ggml::{self, Ftype};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, out, ftype) = match args.as_slice() {
        [dir, out] => (dir, out, Ftype::F16),
        [dir, out, q] if q == "q8_0" => (dir, out, Ftype::Q8_0),
        [dir, out, f] if f == "f16" => (dir, out, Ftype::F16),
        _ => {
            eprintln!("usage: ct2_to_ggml CT2_DIR OUT.bin [q8_0|f16]");
            return ExitCode::from(2);
        }
    };
    match run(&PathBuf::from(dir), &PathBuf::from(out), ftype) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &Path, out: &Path, ftype: Ftype) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let model = fs::read(dir.join("model.bin"))?;
    let vocabulary = fs::read(dir.join("vocabulary.txt"))?;
    let read = started.elapsed();
    let summary = ggml::convert(&model, &vocabulary, ftype, BufWriter::new(File::create(out)?))?;
    let converted = started.elapsed() - read;
    let sha256 = donna_models::sha256_file(out)?;
    println!(
        "wrote {}: {} bytes, {ftype}, {} tokens, {} tensors, {:?}",
        out.display(),
        summary.bytes,
        summary.tokens,
        summary.tensors,
        summary.hparams.to_array()
    );
    println!(
        "read {:.2} s, convert+write {:.2} s; sha256 {sha256}",
        read.as_secs_f64(),
        converted.as_secs_f64()
    );
    Ok(())
}
