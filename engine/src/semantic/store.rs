//! Embeddings by (model, text), persisted in one append-only file.
//!
//! Layout: a header (`KPIEMB01`, the dimension as u32 LE, the model id's length as u32 LE and
//! the id), then records of a 16-byte key (the first half of SHA-256 over model id, a NUL and
//! the text) followed by `dim` f32 LE. A file of another model or dimension is started afresh;
//! a torn last record (a crash mid-append) is cut off. The store is derived data: whatever is
//! missing is recomputed by the model, so it needs no fsync per write, only at
//! [`EmbeddingStore::sync`] (when the text index commits).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Embedding;
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"KPIEMB01";

/// A text's key in the store.
pub type Key = [u8; 16];

/// Embeddings by key, with an optional file they are appended to and read-only seeds.
pub struct EmbeddingStore {
    model: String,
    dim: usize,
    map: HashMap<Key, Embedding>,
    file: Option<(PathBuf, BufWriter<File>)>,
}

impl EmbeddingStore {
    /// The key of a text for a model.
    pub fn key(model: &str, text: &str) -> Key {
        let mut h = Sha256::new();
        h.update(model.as_bytes());
        h.update([0u8]);
        h.update(text.as_bytes());
        let d = h.finalize();
        let mut k = [0u8; 16];
        k.copy_from_slice(&d[..16]);
        k
    }

    /// A store that keeps nothing on disk.
    pub fn in_memory(model: &str, dim: usize) -> EmbeddingStore {
        EmbeddingStore {
            model: model.to_owned(),
            dim,
            map: HashMap::new(),
            file: None,
        }
    }

    /// The store in `path` for a model: its records are read (a file of another model or
    /// dimension is replaced, a torn tail cut off) and new ones are appended to it.
    pub fn open(path: &Path, model: &str, dim: usize) -> Result<EmbeddingStore> {
        let io = |e| Error::io(path, e);
        let mut store = EmbeddingStore::in_memory(model, dim);
        let header = Self::header(model, dim);
        let valid_len = match File::open(path) {
            Ok(mut f) => {
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).map_err(io)?;
                if bytes.starts_with(&header) {
                    Some(header.len() as u64 + store.read_records(&bytes[header.len()..]))
                } else {
                    None
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        let file = match valid_len {
            Some(len) => {
                let f = OpenOptions::new().write(true).open(path).map_err(io)?;
                f.set_len(len).map_err(io)?;
                drop(f);
                OpenOptions::new().append(true).open(path).map_err(io)?
            }
            None => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                let mut f = File::create(path).map_err(io)?;
                f.write_all(&header).map_err(io)?;
                f.sync_all().map_err(io)?;
                f
            }
        };
        store.file = Some((path.to_owned(), BufWriter::new(file)));
        Ok(store)
    }

    /// Adds the records of a read-only file written for the same model (e.g. the bundle's
    /// precomputed embeddings); a file of another model or dimension adds nothing. Returns how
    /// many records it held.
    pub fn seed_from(&mut self, path: &Path) -> Result<usize> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io(path, e)),
        };
        let header = Self::header(&self.model, self.dim);
        if !bytes.starts_with(&header) {
            return Ok(0);
        }
        let before = self.map.len();
        self.read_records(&bytes[header.len()..]);
        Ok(self.map.len() - before)
    }

    fn header(model: &str, dim: usize) -> Vec<u8> {
        let mut h = MAGIC.to_vec();
        h.extend_from_slice(&(dim as u32).to_le_bytes());
        h.extend_from_slice(&(model.len() as u32).to_le_bytes());
        h.extend_from_slice(model.as_bytes());
        h
    }

    /// Reads whole records; returns the length they cover (a torn tail is not counted).
    fn read_records(&mut self, bytes: &[u8]) -> u64 {
        let rec = 16 + 4 * self.dim;
        let whole = bytes.len() / rec * rec;
        for r in bytes[..whole].chunks_exact(rec) {
            let mut key = [0u8; 16];
            key.copy_from_slice(&r[..16]);
            let v: Vec<f32> = r[16..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            self.map.insert(key, v.into());
        }
        whole as u64
    }

    /// Number of embeddings held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The embedding of a key.
    pub fn get(&self, key: &Key) -> Option<Embedding> {
        self.map.get(key).cloned()
    }

    /// Adds an embedding (appended to the file, buffered until [`EmbeddingStore::sync`]).
    /// A write error leaves the embedding in memory and the file as it was at the last sync.
    pub fn insert(&mut self, key: Key, e: Embedding) {
        debug_assert_eq!(e.len(), self.dim);
        if let Some((_, w)) = &mut self.file {
            let mut rec = Vec::with_capacity(16 + 4 * self.dim);
            rec.extend_from_slice(&key);
            rec.extend(e.iter().flat_map(|x| x.to_le_bytes()));
            // On failure the tail may be torn; `open` cuts it off.
            let _ = w.write_all(&rec);
        }
        self.map.insert(key, e);
    }

    /// Flushes appended records and makes them durable.
    pub fn sync(&mut self) -> Result<()> {
        if let Some((path, w)) = &mut self.file {
            w.flush().map_err(|e| Error::io(path.clone(), e))?;
            w.get_ref().sync_data().map_err(|e| Error::io(path.clone(), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(x: f32) -> Embedding {
        vec![x, (1.0 - x * x).sqrt()].into()
    }

    #[test]
    fn records_survive_reopening_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.bin");
        let (a, b) = (EmbeddingStore::key("m", "a"), EmbeddingStore::key("m", "b"));
        let mut s = EmbeddingStore::open(&path, "m", 2).unwrap();
        s.insert(a, unit(0.6));
        s.insert(b, unit(0.8));
        s.sync().unwrap();
        drop(s);
        // A crash mid-append leaves half a record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[7u8; 20]).unwrap();
        drop(f);
        let mut s = EmbeddingStore::open(&path, "m", 2).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(&a).unwrap(), unit(0.6));
        let c = EmbeddingStore::key("m", "c");
        s.insert(c, unit(0.1));
        s.sync().unwrap();
        drop(s);
        let s = EmbeddingStore::open(&path, "m", 2).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.get(&c).unwrap(), unit(0.1));
    }

    #[test]
    fn another_models_file_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.bin");
        let mut s = EmbeddingStore::open(&path, "m1", 2).unwrap();
        s.insert(EmbeddingStore::key("m1", "a"), unit(0.6));
        s.sync().unwrap();
        drop(s);
        assert_eq!(EmbeddingStore::open(&path, "m2", 2).unwrap().len(), 0);
        let mut seeded = EmbeddingStore::in_memory("m1", 2);
        // m2's open rewrote the file: nothing of m1 is left to seed from.
        assert_eq!(seeded.seed_from(&path).unwrap(), 0);
        assert_ne!(EmbeddingStore::key("m1", "a"), EmbeddingStore::key("m2", "a"));
    }
}
