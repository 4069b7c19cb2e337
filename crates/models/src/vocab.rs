//! The tokenizer part of a ggml whisper file: CTranslate2's `vocabulary.txt` holds GPT-2
//! byte-level BPE strings, in which every byte is spelled as one printable Unicode character;
//! whisper.cpp wants the raw bytes back. Only text tokens are written (everything before
//! `<|endoftext|>`): whisper.cpp derives the special tokens from the vocabulary size.

use crate::ModelsError;

/// The first special token; it and everything after it are left out.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// GPT-2's byte ↔ character table. Printable Latin-1 bytes stand for themselves; the other 68
/// bytes (controls, space, NBSP, soft hyphen) take code points 256, 257, … in byte order.
/// Indexed by code point, it gives the byte; `None` for characters that are not in the table.
pub fn char_to_byte_table() -> [Option<u8>; 324] {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut table = [None; 324];
    let mut extra = 0;
    for b in 0..=u8::MAX {
        if printable(b) {
            table[usize::from(b)] = Some(b);
        } else {
            table[256 + extra] = Some(b);
            extra += 1;
        }
    }
    table
}

/// The byte a BPE character stands for.
pub fn byte_of(table: &[Option<u8>; 324], c: char) -> Option<u8> {
    table.get(c as usize).copied().flatten()
}

/// Decode `vocabulary.txt` into the raw bytes of each text token, in order.
///
/// Lines split as Python's text mode splits them (`\n`, `\r\n` or `\r`), so a vocabulary
/// that went through a Windows checkout still converts to the same file.
pub fn decode(vocabulary: &[u8]) -> Result<Vec<Vec<u8>>, ModelsError> {
    let text = std::str::from_utf8(vocabulary).map_err(|e| ModelsError::Vocabulary {
        line: 1 + vocabulary[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        problem: "not UTF-8".to_owned(),
    })?;
    let table = char_to_byte_table();
    let mut tokens = Vec::new();
    for (i, line) in lines(text).enumerate() {
        if line == END_OF_TEXT {
            break;
        }
        let bytes = line
            .chars()
            .map(|c| {
                byte_of(&table, c).ok_or_else(|| ModelsError::Vocabulary {
                    line: i + 1,
                    problem: format!(
                        "character {c:?} (U+{:04X}) is not a byte-level BPE symbol",
                        c as u32
                    ),
                })
            })
            .collect::<Result<Vec<u8>, _>>()?;
        tokens.push(bytes);
    }
    Ok(tokens)
}

/// Lines of `text` with universal newlines; a final line break does not start another line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            Some(at) => {
                let line = &rest[..at];
                let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[at + skip..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_a_bijection_onto_all_bytes() {
        let table = char_to_byte_table();
        let mut seen = [false; 256];
        for b in table.iter().flatten() {
            assert!(!seen[usize::from(*b)], "byte {b} twice");
            seen[usize::from(*b)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn bpe_characters_map_to_gpt2_bytes() {
        let t = char_to_byte_table();
        // Printable characters stand for themselves.
        assert_eq!(byte_of(&t, 'a'), Some(b'a'));
        assert_eq!(byte_of(&t, '~'), Some(b'~'));
        assert_eq!(byte_of(&t, 'é'), Some(0xE9));
        // 'Ġ' (U+0120 = 256 + 32) is the space: bytes 0..=32 are the first 33 non-printables.
        assert_eq!(byte_of(&t, 'Ġ'), Some(b' '));
        // 'Ċ' (U+010A) is the newline, 'Ā' (U+0100) is NUL.
        assert_eq!(byte_of(&t, 'Ċ'), Some(b'\n'));
        assert_eq!(byte_of(&t, 'Ā'), Some(0));
        // After 0..=32 come 127..=160 (34 of them), then 173: U+0121 is DEL, U+0143 is 0xAD.
        assert_eq!(byte_of(&t, '\u{121}'), Some(0x7F));
        assert_eq!(byte_of(&t, '\u{143}'), Some(0xAD));
        assert_eq!(byte_of(&t, '\u{144}'), None);
        assert_eq!(byte_of(&t, ' '), None);
    }

    #[test]
    fn decodes_tokens_up_to_end_of_text() {
        let vocab = "!\nĠthe\nÃ©\n\nĊ\n<|endoftext|>\n<|startoftranscript|>\n";
        let tokens = decode(vocab.as_bytes()).expect("decodes");
        let expected: Vec<Vec<u8>> = vec![
            b"!".to_vec(),
            b" the".to_vec(),
            "é".as_bytes().to_vec(),
            vec![],
            b"\n".to_vec(),
        ];
        assert_eq!(tokens, expected);
        // Windows line breaks give the same tokens.
        let crlf = vocab.replace('\n', "\r\n");
        assert_eq!(decode(crlf.as_bytes()).expect("decodes"), expected);
        // No end-of-text marker and no final newline: every line is a token.
        assert_eq!(
            decode("a\nb".as_bytes()).expect("decodes"),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn rejects_text_that_is_not_byte_level_bpe() {
        let err = decode("ok\nhas space\n".as_bytes()).expect_err("space is not a BPE symbol");
        assert!(matches!(err, ModelsError::Vocabulary { line: 2, .. }), "{err}");
        let err = decode(b"ok\n\xff\n").expect_err("not UTF-8");
        assert!(matches!(err, ModelsError::Vocabulary { line: 2, .. }), "{err}");
    }
}
