//! Sentence meaning for the offline desk: all-MiniLM-L6-v2 (a six-layer BERT trained to put
//! sentences that mean the same near each other) run in Rust with candle, so a visitor's
//! "where can I leave the car?" lands next to the profile's parking answer without sharing a
//! word with it.
//!
//! No Python and no download at run time: the model's files come from `donna models install`,
//! which fetches and checks them. This crate only reads them; what the vectors are compared
//! with, and when a match is trusted, is the desk's business.
//!
//! Cost on one core (release): about 12 ms for a short sentence, 0.1 s to load.

mod error;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, Tokenizer};

pub use error::MeaningError;

/// The files of the model, as `donna models install` lays them out in its directory.
pub const CONFIG_FILE: &str = "config.json";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// A sentence's meaning: a unit vector, so the dot product of two is their cosine similarity.
pub type Embedding = Vec<f32>;

/// The loaded model. Embedding takes `&self`, so one model serves every conversation.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").finish_non_exhaustive()
    }
}

impl Embedder {
    /// Load the model from `dir` (the three files above).
    pub fn load(dir: &Path) -> Result<Self, MeaningError> {
        let read = |name: &str| -> Result<(PathBuf, Vec<u8>), MeaningError> {
            let path = dir.join(name);
            std::fs::read(&path)
                .map(|bytes| (path.clone(), bytes))
                .map_err(|source| MeaningError::Read { path, source })
        };
        let (path, bytes) = read(CONFIG_FILE)?;
        let config: Config =
            serde_json::from_slice(&bytes).map_err(|source| MeaningError::Config { path, source })?;
        let (path, bytes) = read(TOKENIZER_FILE)?;
        let mut tokenizer = Tokenizer::from_bytes(&bytes).map_err(|e| MeaningError::Tokenizer {
            path,
            detail: e.to_string(),
        })?;
        // One sentence needs no padding; a batch is padded to its longest (see `embed_all`).
        tokenizer.with_padding(None);
        let (path, bytes) = read(WEIGHTS_FILE)?;
        let device = Device::Cpu;
        let model = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &device)
            .and_then(|vb| BertModel::load(vb, &config))
            .map_err(|source| MeaningError::Weights { path, source })?;
        Ok(Self {
            model,
            tokenizer,
            device,
        })
    }

    /// The meaning of one sentence.
    pub fn embed(&self, text: &str) -> Result<Embedding, MeaningError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| MeaningError::Tokenize(e.to_string()))?;
        let ids = Tensor::new(encoding.get_ids(), &self.device)?.unsqueeze(0)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, None)?;
        // Mean pooling over the tokens, as the model was trained.
        let pooled = hidden.mean(1)?.squeeze(0)?;
        Ok(unit(pooled.to_vec1()?))
    }

    /// The meanings of many sentences (a profile's examples at load), in their order: the same
    /// vectors as [`Embedder::embed`] one by one, to rounding, in about half the time. They go
    /// through the model in batches of sentences of about the same length, each padded to its
    /// longest with the padding masked out of the attention and the pooling.
    pub fn embed_all(&self, texts: &[&str]) -> Result<Vec<Embedding>, MeaningError> {
        const BATCH: usize = 16;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (&i, v) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Embedding>, MeaningError> {
        let mut tokenizer = self.tokenizer.clone();
        tokenizer.with_padding(Some(PaddingParams::default()));
        let encodings = tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| MeaningError::Tokenize(e.to_string()))?;
        let rows = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Result<Tensor, MeaningError> {
            let rows = encodings
                .iter()
                .map(|e| Tensor::new(f(e), &self.device))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Tensor::stack(&rows, 0)?)
        };
        let ids = rows(&|e| e.get_ids())?;
        let mask = rows(&|e| e.get_attention_mask())?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?;
        let pooled = summed.broadcast_div(&counts)?;
        Ok(pooled.to_vec2()?.into_iter().map(unit).collect())
    }
}

/// Scale to length one; a zero vector (no tokens at all) stays zero and matches nothing.
fn unit(mut v: Vec<f32>) -> Embedding {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// The desk reads meaning through this model.
impl donna_desk::meaning::Embed for Embedder {
    fn embed(&self, text: &str) -> Result<Vec<f32>, donna_desk::DeskError> {
        Embedder::embed(self, text).map_err(|e| donna_desk::DeskError::Meaning(e.to_string()))
    }

    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, donna_desk::DeskError> {
        Embedder::embed_all(self, texts).map_err(|e| donna_desk::DeskError::Meaning(e.to_string()))
    }
}

/// Cosine similarity of two unit vectors.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
