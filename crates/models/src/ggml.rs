//! CTranslate2 whisper → legacy ggml file, the format whisper.cpp (and so whisper-rs) loads.
//!
//! It owns the mapping: hyper-parameters from tensor shapes, CT2 variable names to whisper.cpp
//! tensor names (splitting CT2's fused query/key/value projections), which tensors stay f32,
//! and q8_0 for the 2-D weights. The output is streamed to any [`Write`]; the caller decides
//! where it goes (the installer hashes it on the way to a temp file).
//!
//! File layout, little-endian `i32`s unless noted:
//!
//! ```text
//! magic 0x67676d6c ("ggml")
//! 11 hparams: n_vocab n_audio_ctx n_audio_state n_audio_head n_audio_layer
//!             n_text_ctx n_text_state n_text_head n_text_layer n_mels ftype
//! n_mels n_bins, then n_mels × n_bins f32 mel filters
//! n_tokens, then per token: length, raw bytes
//! per tensor: n_dims name_len type(0 f32, 1 f16, 8 q8_0) dims[innermost first] name data
//! ```

use std::io::Write;

use half::slice::HalfFloatSliceExt;

use crate::ModelsError;
use crate::ct2::{Ct2Model, DType, Variable};
use crate::{mel, quant, vocab};

const MAGIC: i32 = 0x6767_6d6c;
/// ggml's quantisation-version factor; q8_0 files say `2 * 1000 + 7` in `ftype`.
const QNT_VERSION_FACTOR: i32 = 1000;

/// Tensors whisper.cpp expects as f32 whatever the file type.
const F32_TENSORS: [&str; 4] = [
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
];

/// Storage of the weight matrices in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ftype {
    F16,
    /// 2-D weights whose rows divide into blocks of 32 are q8_0; the rest as for `F16`.
    Q8_0,
}

impl Ftype {
    fn header_value(self) -> i32 {
        match self {
            Self::F16 => 1,
            Self::Q8_0 => 2 * QNT_VERSION_FACTOR + 7,
        }
    }
}

impl std::fmt::Display for Ftype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::F16 => "f16",
            Self::Q8_0 => "q8_0",
        })
    }
}

/// whisper.cpp's hyper-parameters, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl Hparams {
    /// The values in file order.
    pub fn to_array(self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }
}

/// What a conversion wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    pub hparams: Hparams,
    pub tokens: usize,
    pub tensors: usize,
    pub bytes: u64,
}

/// One output tensor: a view of a CT2 variable, possibly a row range of it or reshaped.
struct Tensor<'a> {
    name: String,
    dims: Vec<usize>,
    dtype: DType,
    data: &'a [u8],
}

/// Convert a CT2 whisper model (`model.bin` bytes and `vocabulary.txt` bytes) into a ggml file
/// written to `out`. Returns what was written. Write errors come back as
/// [`ModelsError::Write`]; bad input as [`ModelsError::Ct2`] or [`ModelsError::Vocabulary`].
/// Everything is checked before the first byte is written.
pub fn convert(
    model_bin: &[u8],
    vocabulary: &[u8],
    ftype: Ftype,
    out: impl Write,
) -> Result<Summary, ModelsError> {
    let model = Ct2Model::parse(model_bin)?;
    if model.spec != "WhisperSpec" {
        return Err(ModelsError::Ct2(format!(
            "spec {} is not WhisperSpec",
            model.spec
        )));
    }
    let hparams = hparams(&model, ftype)?;
    let tokens = vocab::decode(vocabulary)?;
    let n_mels = usize::try_from(hparams.n_mels).map_err(|_| ModelsError::Ct2("negative n_mels".into()))?;
    let tensors = plan(&model, &hparams)?;
    for t in &tensors {
        if !matches!(t.dtype, DType::F16 | DType::F32) {
            return Err(ModelsError::Ct2(format!(
                "{}: weights of type {:?} (a quantised model?)",
                t.name, t.dtype
            )));
        }
    }
    let mut w = Counting { inner: out, bytes: 0 };
    write_all(&mut w, &hparams, n_mels, &tokens, &tensors, ftype).map_err(ModelsError::Write)?;
    w.flush().map_err(ModelsError::Write)?;
    Ok(Summary {
        hparams,
        tokens: tokens.len(),
        tensors: tensors.len(),
        bytes: w.bytes,
    })
}

fn dim_i32(v: &Variable<'_>, axis: usize, name: &str) -> Result<i32, ModelsError> {
    let d = v
        .dims
        .get(axis)
        .ok_or_else(|| ModelsError::Ct2(format!("{name}: no axis {axis} in shape {:?}", v.dims)))?;
    i32::try_from(*d).map_err(|_| ModelsError::Ct2(format!("{name}: dimension {d} too large")))
}

fn scalar_i32(model: &Ct2Model<'_>, name: &str) -> Result<i32, ModelsError> {
    model
        .get(name)?
        .scalar_i64()
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| ModelsError::Ct2(format!("{name} is not an integer scalar")))
}

/// Layers are numbered from 0 with no gaps; count them by their first feed-forward weight.
fn layer_count(model: &Ct2Model<'_>, prefix: &str) -> usize {
    (0..)
        .take_while(|i| model.contains(&format!("{prefix}/layer_{i}/ffn/linear_0/weight")))
        .count()
}

fn hparams(model: &Ct2Model<'_>, ftype: Ftype) -> Result<Hparams, ModelsError> {
    let emb = model.get("decoder/embeddings/weight")?;
    if emb.dims.len() != 2 {
        return Err(ModelsError::Ct2(format!(
            "decoder/embeddings/weight has shape {:?}",
            emb.dims
        )));
    }
    let conv1 = model.get("encoder/conv1/weight")?;
    let count = |prefix| {
        i32::try_from(layer_count(model, prefix)).map_err(|_| ModelsError::Ct2("too many layers".into()))
    };
    Ok(Hparams {
        n_vocab: dim_i32(emb, 0, "decoder/embeddings/weight")?,
        n_audio_ctx: dim_i32(
            model.get("encoder/position_encodings/encodings")?,
            0,
            "encoder positions",
        )?,
        n_audio_state: dim_i32(conv1, 0, "encoder/conv1/weight")?,
        n_audio_head: scalar_i32(model, "encoder/num_heads")?,
        n_audio_layer: count("encoder")?,
        n_text_ctx: dim_i32(
            model.get("decoder/position_encodings/encodings")?,
            0,
            "decoder positions",
        )?,
        n_text_state: dim_i32(emb, 1, "decoder/embeddings/weight")?,
        n_text_head: scalar_i32(model, "decoder/num_heads")?,
        n_text_layer: count("decoder")?,
        n_mels: dim_i32(conv1, 1, "encoder/conv1/weight")?,
        ftype: ftype.header_value(),
    })
}

/// The output tensors in whisper.cpp's order, as views of the CT2 variables.
fn plan<'a>(model: &Ct2Model<'a>, hp: &Hparams) -> Result<Vec<Tensor<'a>>, ModelsError> {
    let n_state = usize::try_from(hp.n_text_state).map_err(|_| ModelsError::Ct2("bad n_state".into()))?;
    let mut p = Planner {
        model,
        n_state,
        out: Vec::new(),
    };

    p.copy("encoder.conv1.weight", "encoder/conv1/weight")?;
    p.column("encoder.conv1.bias", "encoder/conv1/bias")?;
    p.copy("encoder.conv2.weight", "encoder/conv2/weight")?;
    p.column("encoder.conv2.bias", "encoder/conv2/bias")?;
    p.copy(
        "encoder.positional_embedding",
        "encoder/position_encodings/encodings",
    )?;
    for i in 0..hp.n_audio_layer {
        let (d, s) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
        p.self_attention(&d, &s)?;
        p.ffn(&d, &s)?;
    }
    p.layer_norm("encoder.ln_post", "encoder/layer_norm")?;
    p.copy(
        "decoder.positional_embedding",
        "decoder/position_encodings/encodings",
    )?;
    p.copy("decoder.token_embedding.weight", "decoder/embeddings/weight")?;
    for i in 0..hp.n_text_layer {
        let (d, s) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
        p.self_attention(&d, &s)?;
        p.layer_norm(
            &format!("{d}.cross_attn_ln"),
            &format!("{s}/attention/layer_norm"),
        )?;
        p.linear(
            &format!("{d}.cross_attn.query"),
            &format!("{s}/attention/linear_0"),
        )?;
        p.split(
            &[&format!("{d}.cross_attn.key"), &format!("{d}.cross_attn.value")],
            &format!("{s}/attention/linear_1"),
        )?;
        p.linear(&format!("{d}.cross_attn.out"), &format!("{s}/attention/linear_2"))?;
        p.ffn(&d, &s)?;
    }
    p.layer_norm("decoder.ln", "decoder/layer_norm")?;
    Ok(p.out)
}

struct Planner<'m, 'a> {
    model: &'m Ct2Model<'a>,
    n_state: usize,
    out: Vec<Tensor<'a>>,
}

impl<'a> Planner<'_, 'a> {
    /// A block's self-attention: whisper.cpp's query, key and value are one fused CT2 matrix.
    fn self_attention(&mut self, dst: &str, src: &str) -> Result<(), ModelsError> {
        self.layer_norm(
            &format!("{dst}.attn_ln"),
            &format!("{src}/self_attention/layer_norm"),
        )?;
        self.split(
            &[
                &format!("{dst}.attn.query"),
                &format!("{dst}.attn.key"),
                &format!("{dst}.attn.value"),
            ],
            &format!("{src}/self_attention/linear_0"),
        )?;
        self.linear(
            &format!("{dst}.attn.out"),
            &format!("{src}/self_attention/linear_1"),
        )
    }

    /// A block's feed-forward network and its layer norm.
    fn ffn(&mut self, dst: &str, src: &str) -> Result<(), ModelsError> {
        self.layer_norm(&format!("{dst}.mlp_ln"), &format!("{src}/ffn/layer_norm"))?;
        self.linear(&format!("{dst}.mlp.0"), &format!("{src}/ffn/linear_0"))?;
        self.linear(&format!("{dst}.mlp.2"), &format!("{src}/ffn/linear_1"))
    }

    fn push(&mut self, name: &str, v: &Variable<'a>, dims: Vec<usize>, data: &'a [u8]) {
        self.out.push(Tensor {
            name: name.to_owned(),
            dims,
            dtype: v.dtype,
            data,
        });
    }

    fn copy(&mut self, dst: &str, src: &str) -> Result<(), ModelsError> {
        let v = self.model.get(src)?;
        self.push(dst, v, v.dims.clone(), v.data);
        Ok(())
    }

    /// A bias reshaped to a column (`n × 1`), the shape whisper.cpp adds to conv outputs.
    fn column(&mut self, dst: &str, src: &str) -> Result<(), ModelsError> {
        let v = self.model.get(src)?;
        self.push(dst, v, vec![v.len(), 1], v.data);
        Ok(())
    }

    fn linear(&mut self, dst: &str, src: &str) -> Result<(), ModelsError> {
        self.copy(&format!("{dst}.weight"), &format!("{src}/weight"))?;
        self.copy(&format!("{dst}.bias"), &format!("{src}/bias"))
    }

    fn layer_norm(&mut self, dst: &str, src: &str) -> Result<(), ModelsError> {
        self.copy(&format!("{dst}.weight"), &format!("{src}/gamma"))?;
        self.copy(&format!("{dst}.bias"), &format!("{src}/beta"))
    }

    /// CT2 fuses projections along the output axis; whisper.cpp wants one tensor each.
    /// whisper's key projections have no bias (CT2 stores zeros there), so none is written.
    fn split(&mut self, dsts: &[&str], src: &str) -> Result<(), ModelsError> {
        let w = self.model.get(&format!("{src}/weight"))?;
        let b = self.model.get(&format!("{src}/bias"))?;
        for (j, dst) in dsts.iter().enumerate() {
            let (dims, data) = rows(w, j * self.n_state, self.n_state, src)?;
            self.push(&format!("{dst}.weight"), w, dims, data);
            if !dst.ends_with(".key") {
                let (dims, data) = rows(b, j * self.n_state, self.n_state, src)?;
                self.push(&format!("{dst}.bias"), b, dims, data);
            }
        }
        Ok(())
    }
}

/// Rows `start..start + n` of a variable along its first axis.
fn rows<'a>(
    v: &Variable<'a>,
    start: usize,
    n: usize,
    name: &str,
) -> Result<(Vec<usize>, &'a [u8]), ModelsError> {
    let first = v.dims.first().copied().unwrap_or(0);
    if n == 0 || start + n > first {
        return Err(ModelsError::Ct2(format!(
            "{name}: shape {:?} too small to split into {n}-row parts",
            v.dims
        )));
    }
    let row_bytes = v.dims[1..].iter().product::<usize>() * v.dtype.size();
    let mut dims = v.dims.clone();
    dims[0] = n;
    Ok((dims, &v.data[start * row_bytes..(start + n) * row_bytes]))
}

/// A writer that counts what passed through, for the summary.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn put_i32(w: &mut impl Write, v: i32) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

fn len_i32(n: usize) -> std::io::Result<i32> {
    i32::try_from(n).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "length exceeds i32"))
}

fn write_all(
    w: &mut impl Write,
    hp: &Hparams,
    n_mels: usize,
    tokens: &[Vec<u8>],
    tensors: &[Tensor<'_>],
    ftype: Ftype,
) -> std::io::Result<()> {
    put_i32(w, MAGIC)?;
    for v in hp.to_array() {
        put_i32(w, v)?;
    }
    let filters = mel::filterbank(n_mels, mel::N_FFT, mel::SAMPLE_RATE);
    put_i32(w, len_i32(n_mels)?)?;
    put_i32(w, len_i32(1 + mel::N_FFT / 2)?)?;
    for x in &filters {
        w.write_all(&x.to_le_bytes())?;
    }
    put_i32(w, len_i32(tokens.len())?)?;
    for t in tokens {
        put_i32(w, len_i32(t.len())?)?;
        w.write_all(t)?;
    }
    for t in tensors {
        write_tensor(w, t, ftype)?;
    }
    Ok(())
}

/// How one tensor is stored, by the converter's rules: vectors and the listed tensors as f32;
/// with q8_0, 2-D weights whose rows split into whole blocks as q8_0; the rest as f16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    F32,
    F16,
    Q8_0,
}

fn storage(name: &str, dims: &[usize], ftype: Ftype) -> Storage {
    if dims.len() < 2 || F32_TENSORS.contains(&name) {
        Storage::F32
    } else if ftype == Ftype::Q8_0 && dims.len() == 2 && dims[1].is_multiple_of(quant::BLOCK) {
        Storage::Q8_0
    } else {
        Storage::F16
    }
}

fn write_tensor(w: &mut impl Write, t: &Tensor<'_>, ftype: Ftype) -> std::io::Result<()> {
    let storage = storage(&t.name, &t.dims, ftype);
    put_i32(w, len_i32(t.dims.len())?)?;
    put_i32(w, len_i32(t.name.len())?)?;
    put_i32(
        w,
        match storage {
            Storage::F32 => 0,
            Storage::F16 => 1,
            Storage::Q8_0 => 8,
        },
    )?;
    for &d in t.dims.iter().rev() {
        put_i32(w, len_i32(d)?)?;
    }
    w.write_all(t.name.as_bytes())?;
    let v = Variable {
        dims: t.dims.clone(),
        dtype: t.dtype,
        data: t.data,
    };
    let n = v.len();
    // Converted in chunks so no tensor is ever copied whole.
    const CHUNK: usize = 4096;
    let mut buf = Vec::with_capacity(4 * CHUNK);
    match (storage, t.dtype) {
        // f16 to f16 is the identity; the bytes are already little-endian f16.
        (Storage::F16, DType::F16) => w.write_all(t.data)?,
        (Storage::F32, DType::F32) => w.write_all(t.data)?,
        (Storage::F16, _) => {
            for start in (0..n).step_by(CHUNK) {
                buf.clear();
                buf.extend(
                    (start..n.min(start + CHUNK))
                        .flat_map(|i| half::f16::from_f32(v.get_f32(i)).to_le_bytes()),
                );
                w.write_all(&buf)?;
            }
        }
        (Storage::F32, _) => {
            for start in (0..n).step_by(CHUNK) {
                buf.clear();
                buf.extend((start..n.min(start + CHUNK)).flat_map(|i| v.get_f32(i).to_le_bytes()));
                w.write_all(&buf)?;
            }
        }
        (Storage::Q8_0, DType::F16) => {
            // The bulk of the weights: widen a block at a time with the slice conversion, which
            // uses the CPU's f16 instructions where there are some (exact either way).
            let mut halves = [half::f16::ZERO; quant::BLOCK];
            let mut block = [0f32; quant::BLOCK];
            for bytes in t.data.chunks_exact(2 * quant::BLOCK) {
                for (h, b) in halves.iter_mut().zip(bytes.chunks_exact(2)) {
                    *h = half::f16::from_le_bytes([b[0], b[1]]);
                }
                halves.convert_to_f32_slice(&mut block);
                w.write_all(&quant::quantize_block(&block))?;
            }
        }
        (Storage::Q8_0, _) => {
            let mut block = [0f32; quant::BLOCK];
            for start in (0..n).step_by(quant::BLOCK) {
                for (k, x) in block.iter_mut().enumerate() {
                    *x = v.get_f32(start + k);
                }
                w.write_all(&quant::quantize_block(&block))?;
            }
        }
    }
    Ok(())
}
