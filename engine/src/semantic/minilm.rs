//! all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) run by candle on the CPU: BERT with
//! six layers and 384 dimensions, mean pooling over the tokens, unit length. English.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

use super::Embedder;
use crate::lang::Lang;
use crate::{Error, Result};

/// Word pieces read per text (the model was trained on 256).
const MAX_TOKENS: usize = 256;

/// The shipped sentence encoder.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    id: String,
    dim: usize,
}

impl MiniLm {
    /// Loads the model from a directory holding `config.json`, `tokenizer.json` and
    /// `model.safetensors` (what `scripts/model.sh` installs).
    pub fn load(dir: &Path) -> Result<MiniLm> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            Error::Unavailable(format!("model in {}: {what}: {e}", dir.display()))
        };
        let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| Error::io(dir.join(name), e));
        let config_bytes = read("config.json")?;
        let config: Config = serde_json::from_slice(&config_bytes).map_err(|e| bad("config.json", &e))?;
        let tokenizer_bytes = read("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes).map_err(|e| bad("tokenizer.json", &e))?;
        // The file pads every text to 128 tokens: mean pooling must see the text's own.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| bad("tokenizer.json", &e))?;
        let weights = dir.join("model.safetensors");
        let size = std::fs::metadata(&weights).map_err(|e| Error::io(&weights, e))?.len();
        // SAFETY: the weights file is memory-mapped read-only; scripts/model.sh writes it once
        // and nothing modifies it while the process runs.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &Device::Cpu) }
            .map_err(|e| bad("model.safetensors", &e))?;
        let model = BertModel::load(vb, &config).map_err(|e| bad("model.safetensors", &e))?;
        let mut h = Sha256::new();
        h.update(&config_bytes);
        h.update(&tokenizer_bytes);
        h.update(size.to_le_bytes());
        let digest: String = h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(MiniLm {
            model,
            tokenizer,
            id: format!("all-MiniLM-L6-v2/{digest}"),
            dim: config.hidden_size,
        })
    }

    fn run(&self, text: &str) -> std::result::Result<Vec<f32>, Box<dyn std::error::Error + Send + Sync>> {
        let enc = self.tokenizer.encode(text, true)?;
        let n = enc.get_ids().len();
        let ids = Tensor::new(enc.get_ids(), &Device::Cpu)?.unsqueeze(0)?;
        let types = ids.zeros_like()?;
        let out = self.model.forward(&ids, &types, None)?;
        // Mean over the text's tokens (no padding: one text per call).
        let pooled: Vec<f32> = (out.sum(1)? / n as f64)?.squeeze(0)?.to_vec1()?;
        let norm = pooled.iter().map(|x| x * x).sum::<f32>().sqrt();
        Ok(if norm > 0.0 {
            pooled.into_iter().map(|x| x / norm).collect()
        } else {
            pooled
        })
    }
}

impl Embedder for MiniLm {
    fn id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn reads(&self, lang: Lang) -> bool {
        lang == Lang::En
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>> {
        self.run(text)
            .map_err(|e| Error::Internal(format!("embedding failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::{cosine, EmbeddingStore, BUNDLE_SEED};

    /// The installed model, or `None` (skipped) unless `KPIMATCH_REQUIRE_MODEL` is set.
    fn model() -> Option<MiniLm> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
        if !dir.join("model.safetensors").exists() {
            assert!(
                std::env::var_os("KPIMATCH_REQUIRE_MODEL").is_none(),
                "no model in {}: run scripts/model.sh",
                dir.display()
            );
            eprintln!("skipped: no model (scripts/model.sh installs it)");
            return None;
        }
        Some(MiniLm::load(&dir).expect("the installed model loads"))
    }

    #[test]
    fn paraphrases_are_closer_than_unrelated_texts() {
        let Some(m) = model() else { return };
        assert_eq!(m.dim(), 384);
        let e = |t: &str| m.embed(t).unwrap();
        let roads = e("stop people dying on our roads");
        let cameras = e("Speed cameras cut traffic fatalities on urban streets");
        let leaks = e("Acoustic sensors find leaks in water mains");
        let online = e("kids cannot get online at home");
        let broadband = e("Subsidised home broadband for low-income families");
        assert!((cosine(&roads, &roads) - 1.0).abs() < 1e-4, "unit length");
        assert!(cosine(&roads, &cameras) > cosine(&roads, &leaks) + 0.2);
        assert!(cosine(&online, &broadband) > cosine(&online, &leaks) + 0.2);
        // Deterministic: the same text gives the same vector.
        assert_eq!(e("stop people dying on our roads"), roads);
        // No words at all is not an error.
        assert_eq!(e("").len(), 384);
    }

    /// The bundle's precomputed embeddings cover every English solution of the bundle with this
    /// model: a bundle edit without `kpimatch bundle embed` would make every start run the model.
    #[test]
    fn the_bundle_seed_covers_the_bundled_solutions() {
        let Some(m) = model() else { return };
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../index-data");
        let bundle = crate::bundle::Bundle::load(&root).unwrap();
        let mut seed = EmbeddingStore::in_memory(m.id(), m.dim());
        seed.seed_from(&root.join(BUNDLE_SEED)).unwrap();
        let missing: Vec<&str> = bundle
            .solutions
            .iter()
            .filter(|s| crate::vocab::Languages::of_solution(s) == Lang::En)
            .filter(|s| {
                seed.get(&EmbeddingStore::key(m.id(), &crate::semantic::solution_text(s)))
                    .is_none()
            })
            .map(|s| s.id.as_str())
            .collect();
        assert!(
            missing.is_empty(),
            "run `kpimatch bundle embed`; not embedded: {missing:?}"
        );
    }
}
