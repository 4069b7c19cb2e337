use std::path::PathBuf;

/// Everything that can stop the sentence model from loading or embedding.
#[derive(Debug, thiserror::Error)]
pub enum MeaningError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a BERT configuration: {source}")]
    Config {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot load the tokenizer {path}: {detail}")]
    Tokenizer { path: PathBuf, detail: String },
    #[error("cannot load the model weights {path}: {source}")]
    Weights {
        path: PathBuf,
        #[source]
        source: candle_core::Error,
    },
    #[error("cannot tokenize the text: {0}")]
    Tokenize(String),
    #[error("the model failed on the text: {0}")]
    Model(#[from] candle_core::Error),
}
