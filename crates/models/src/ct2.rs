//! Reader for the CTranslate2 `model.bin` format (binary version 5 and later).
//!
//! It owns parsing only: it borrows the file's bytes and hands out views of each variable, so
//! the 75 MB model is held once, and the converter streams from those views. It does not
//! interpret the variables (that is [`crate::ggml`]) and does no I/O.
//!
//! Layout, all integers little-endian:
//!
//! ```text
//! u32 binary_version (>= 5)
//! str spec_name          (u16 length including a trailing NUL, then the bytes)
//! u32 spec_revision
//! u32 n_variables
//! n_variables × { str name; u8 rank; u32 dims[rank]; u8 dtype; u32 n_bytes; n_bytes data }
//! ...                    (aliases follow; the converter never needs them, so they are ignored)
//! ```

use std::collections::BTreeMap;

use crate::ModelsError;

/// Element type of a variable, by CTranslate2's numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
}

impl DType {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            _ => return None,
        })
    }

    /// CTranslate2's id for this type, as written in the file.
    pub fn id(self) -> u8 {
        match self {
            Self::F32 => 0,
            Self::I8 => 1,
            Self::I16 => 2,
            Self::I32 => 3,
            Self::F16 => 4,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One named array: its shape, type and a view of its little-endian bytes in the file.
#[derive(Debug, Clone)]
pub struct Variable<'a> {
    pub dims: Vec<usize>,
    pub dtype: DType,
    pub data: &'a [u8],
}

impl Variable<'_> {
    /// Number of elements (1 for a scalar).
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// Whether the variable has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as `f32`. Only float variables hold weights; integers are converted too so a
    /// scalar of either kind can be read.
    pub fn get_f32(&self, i: usize) -> f32 {
        let b = self.data;
        match self.dtype {
            DType::F32 => f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]),
            DType::F16 => half::f16::from_bits(u16::from_le_bytes([b[2 * i], b[2 * i + 1]])).to_f32(),
            DType::I8 => f32::from(i8::from_le_bytes([b[i]])),
            DType::I16 => f32::from(i16::from_le_bytes([b[2 * i], b[2 * i + 1]])),
            // Exact for every value a model stores in an int32 (head counts, layer indices).
            DType::I32 => i32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]) as f32,
        }
    }

    /// The value of a scalar as an integer, truncating a float as Python's `int()` does.
    pub fn scalar_i64(&self) -> Option<i64> {
        if !self.dims.is_empty() {
            return None;
        }
        let b = self.data;
        Some(match self.dtype {
            DType::I8 => i64::from(i8::from_le_bytes([b[0]])),
            DType::I16 => i64::from(i16::from_le_bytes([b[0], b[1]])),
            DType::I32 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            // Saturating truncation; a head count is small and whole.
            DType::F32 | DType::F16 => self.get_f32(0) as i64,
        })
    }
}

/// A parsed `model.bin`: the spec it was written for and its variables by name.
#[derive(Debug)]
pub struct Ct2Model<'a> {
    pub binary_version: u32,
    pub spec: String,
    pub spec_revision: u32,
    pub variables: BTreeMap<String, Variable<'a>>,
}

impl<'a> Ct2Model<'a> {
    /// Parse the header and every variable. Fails on a truncated file, an unknown element type
    /// or a size that does not match the shape, rather than producing a bad model later.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ModelsError> {
        let mut r = Cursor { bytes, pos: 0 };
        let binary_version = r.u32("binary version")?;
        if binary_version < 5 {
            return Err(ModelsError::Ct2(format!(
                "unsupported CTranslate2 binary version {binary_version} (need 5 or later)"
            )));
        }
        let spec = r.string("spec name")?;
        let spec_revision = r.u32("spec revision")?;
        let n = r.u32("variable count")?;
        let mut variables = BTreeMap::new();
        for _ in 0..n {
            let name = r.string("variable name")?;
            let rank = r.u8(&name)?;
            let dims = (0..rank)
                .map(|_| r.u32(&name).map(|d| d as usize))
                .collect::<Result<Vec<_>, _>>()?;
            let id = r.u8(&name)?;
            let dtype = DType::from_id(id).ok_or_else(|| {
                ModelsError::Ct2(format!(
                    "{name}: element type {id} unsupported (an int8 or bfloat16 model?)"
                ))
            })?;
            let n_bytes = r.u32(&name)? as usize;
            let expected = dims
                .iter()
                .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| ModelsError::Ct2(format!("{name}: shape {dims:?} overflows")))?;
            if n_bytes != expected {
                return Err(ModelsError::Ct2(format!(
                    "{name}: {n_bytes} bytes for shape {dims:?} of {dtype:?} (expected {expected})"
                )));
            }
            let data = r.take(n_bytes, &name)?;
            variables.insert(name, Variable { dims, dtype, data });
        }
        Ok(Self {
            binary_version,
            spec,
            spec_revision,
            variables,
        })
    }

    /// A variable the converter cannot do without.
    pub fn get(&self, name: &str) -> Result<&Variable<'a>, ModelsError> {
        self.variables
            .get(name)
            .ok_or_else(|| ModelsError::Ct2(format!("variable {name} missing")))
    }

    /// Whether a variable exists (used to count layers).
    pub fn contains(&self, name: &str) -> bool {
        self.variables.contains_key(name)
    }
}

/// A bounds-checked reader over the file's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelsError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(ModelsError::Ct2(format!(
                "truncated at byte {} while reading {what}",
                self.pos
            )));
        };
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8, ModelsError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, ModelsError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelsError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length-prefixed string whose stored length counts a trailing NUL.
    fn string(&mut self, what: &str) -> Result<String, ModelsError> {
        let n = self.u16(what)? as usize;
        let b = self.take(n, what)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        String::from_utf8(b.to_vec())
            .map_err(|_| ModelsError::Ct2(format!("{what} at byte {} is not UTF-8", self.pos)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a CT2 file the way CTranslate2's Python spec writer lays it out.
    struct Writer(Vec<u8>);

    impl Writer {
        fn new(version: u32, spec: &str, revision: u32, n: u32) -> Self {
            let mut w = Self(Vec::new());
            w.0.extend(version.to_le_bytes());
            w.string(spec);
            w.0.extend(revision.to_le_bytes());
            w.0.extend(n.to_le_bytes());
            w
        }

        fn string(&mut self, s: &str) {
            let len = u16::try_from(s.len() + 1).expect("short name");
            self.0.extend(len.to_le_bytes());
            self.0.extend(s.as_bytes());
            self.0.push(0);
        }

        fn var(&mut self, name: &str, dims: &[u32], dtype: u8, data: &[u8]) {
            self.string(name);
            self.0.push(u8::try_from(dims.len()).expect("rank"));
            for d in dims {
                self.0.extend(d.to_le_bytes());
            }
            self.0.push(dtype);
            self.0
                .extend(u32::try_from(data.len()).expect("size").to_le_bytes());
            self.0.extend(data);
        }
    }

    fn f16_bytes(v: &[f32]) -> Vec<u8> {
        v.iter()
            .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
            .collect()
    }

    #[test]
    fn reads_a_synthetic_model() {
        let mut w = Writer::new(6, "WhisperSpec", 3, 3);
        w.var("encoder/num_heads", &[], 2, &6i16.to_le_bytes());
        w.var(
            "a/weight",
            &[2, 3],
            4,
            &f16_bytes(&[1.0, -2.0, 0.5, 3.0, 0.0, -0.25]),
        );
        let f32s: Vec<u8> = [1.5f32, 2.5].iter().flat_map(|x| x.to_le_bytes()).collect();
        w.var("a/bias", &[2], 0, &f32s);
        // An alias section, as real files carry; the reader must not trip on it.
        w.0.extend(1u32.to_le_bytes());
        w.string("b/weight");
        w.string("a/weight");

        let m = Ct2Model::parse(&w.0).expect("parses");
        assert_eq!(
            (m.binary_version, m.spec.as_str(), m.spec_revision),
            (6, "WhisperSpec", 3)
        );
        assert_eq!(m.variables.len(), 3);
        assert_eq!(m.get("encoder/num_heads").expect("heads").scalar_i64(), Some(6));
        let a = m.get("a/weight").expect("weight");
        assert_eq!(
            (a.dims.as_slice(), a.dtype, a.len()),
            (&[2usize, 3][..], DType::F16, 6)
        );
        let vals: Vec<f32> = (0..a.len()).map(|i| a.get_f32(i)).collect();
        assert_eq!(vals, [1.0, -2.0, 0.5, 3.0, 0.0, -0.25]);
        let b = m.get("a/bias").expect("bias");
        assert_eq!((b.get_f32(0), b.get_f32(1)), (1.5, 2.5));
        assert!(matches!(m.get("nope"), Err(ModelsError::Ct2(e)) if e.contains("nope")));
    }

    #[test]
    fn rejects_old_versions_truncation_bad_types_and_bad_sizes() {
        let old = Writer::new(4, "WhisperSpec", 3, 0);
        assert!(matches!(Ct2Model::parse(&old.0), Err(ModelsError::Ct2(e)) if e.contains("version 4")));

        let mut w = Writer::new(6, "WhisperSpec", 3, 1);
        w.var("w", &[4], 4, &f16_bytes(&[1.0; 4]));
        let cut = &w.0[..w.0.len() - 1];
        assert!(matches!(Ct2Model::parse(cut), Err(ModelsError::Ct2(e)) if e.contains("truncated")));

        let mut w = Writer::new(6, "WhisperSpec", 3, 1);
        w.var("w", &[2], 5, &[0; 4]);
        assert!(matches!(Ct2Model::parse(&w.0), Err(ModelsError::Ct2(e)) if e.contains("type 5")));

        let mut w = Writer::new(6, "WhisperSpec", 3, 1);
        w.var("w", &[3], 4, &[0; 4]);
        assert!(matches!(Ct2Model::parse(&w.0), Err(ModelsError::Ct2(e)) if e.contains("expected 6")));
    }
}
