//! The PII scrubber: everything a log line says passes through it before it is written.
//!
//! Two rules, applied together:
//! - **by field**: fields that carry what a visitor said or typed, their name, or a credential
//!   ([`REDACTED_FIELDS`]) are replaced whole, whatever they contain; free text cannot be
//!   recognised by its shape, so it is recognised by where it sits.
//! - **by shape**, in every other string: e-mail addresses, phone numbers, card-like numbers
//!   (13-19 digits passing the Luhn check), bearer tokens, JWTs, API keys and client secrets,
//!   and any secret value the process was configured with (registered with
//!   [`Scrubber::with_secrets`], so even a key of an unknown shape never gets through).
//!
//! Over-redaction is accepted (a 10-digit number in a message becomes `[phone]`); leaking is not.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::Value;

/// Field names whose values are replaced whole.
pub const REDACTED_FIELDS: &[&str] = &[
    "visitor",
    "visitor_name",
    "name",
    "transcript",
    "reply",
    "text",
    "user_text",
    "free_text",
    "instructions",
    "note",
    "body",
    "message_text",
    "authorization",
    "token",
    "api_key",
    "secret",
    "client_secret",
    "password",
    "email",
    "phone",
];

/// Fields whose values are formatted by the logger itself and safe as they are.
const TRUSTED_FIELDS: &[&str] = &["timestamp", "level", "target", "request_id"];

const REDACTED: &str = "[redacted]";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .unwrap_or_else(|e| unreachable!("{e}"))
});
/// Credentials of known shapes: OpenAI-style keys, client secrets, JWTs, bearer headers.
static CREDENTIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i:bearer)\s+[A-Za-z0-9._~+/=\-]+",
        r"|\bsk-[A-Za-z0-9_\-]{6,}",
        r"|\bek_[A-Za-z0-9_\-]{6,}",
        r"|\bxi-[A-Za-z0-9_\-]{6,}",
        r"|\beyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*",
    ))
    .unwrap_or_else(|e| unreachable!("{e}"))
});
/// Runs of digits with the separators people write numbers with. Classified afterwards as a
/// card (Luhn), a phone number, or left alone (dates, times, short numbers).
static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| {
    // Word boundaries keep digits inside identifiers (`a1234567890b`) out of it.
    Regex::new(r"(?:\+\(?|\(|\b)\d(?:[\d \-()]*\d)?\b").unwrap_or_else(|e| unreachable!("{e}"))
});
/// `key=value` pairs in the human-readable format, for the by-field rule there.
static TEXT_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    let names = REDACTED_FIELDS.join("|");
    Regex::new(&format!(r#"\b({names})=("(?:[^"\\]|\\.)*"|\S+)"#)).unwrap_or_else(|e| unreachable!("{e}"))
});

/// Scrubs text and JSON log lines.
#[derive(Clone, Default)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrubber")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Scrubber {
    pub fn new() -> Self {
        Self::default()
    }

    /// Also redact these exact values (configured keys and secrets) wherever they appear.
    pub fn with_secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // Very short values would redact ordinary words; no real secret is that short.
        self.secrets
            .extend(secrets.into_iter().map(Into::into).filter(|s| s.len() >= 8));
        // Longest first, so a secret that contains another is removed whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self
    }

    /// Scrub free text by shape.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
        if !may_hold_pii(&out) {
            return out;
        }
        let replaced = CREDENTIAL.replace_all(&out, "[secret]");
        let replaced = EMAIL.replace_all(&replaced, "[email]");
        let replaced = DIGIT_RUN.replace_all(&replaced, |c: &Captures<'_>| classify_digits(&c[0]));
        if replaced == out {
            out
        } else {
            Cow::Owned(replaced.into_owned())
        }
    }

    /// Scrub a human-readable log line: the by-field rule on `key=value` pairs, then by shape.
    pub fn text_line<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let fields = TEXT_FIELD.replace_all(line, |c: &Captures<'_>| format!("{}={REDACTED}", &c[1]));
        match self.text(&fields) {
            Cow::Borrowed(_) if matches!(fields, Cow::Borrowed(_)) => Cow::Borrowed(line),
            scrubbed => Cow::Owned(scrubbed.into_owned()),
        }
    }

    /// Whether a field of this name is replaced whole.
    pub fn redacts(&self, name: &str) -> bool {
        REDACTED_FIELDS.contains(&name)
    }

    /// The value of field `name` as it may be written: replaced whole when the name says so,
    /// as it is when the logger formatted it, else scrubbed by shape.
    pub fn field<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        if self.redacts(name) {
            Cow::Borrowed(REDACTED)
        } else if TRUSTED_FIELDS.contains(&name) {
            Cow::Borrowed(value)
        } else {
            self.text(value)
        }
    }

    /// Scrub one JSON value in place.
    pub fn json(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(clean) = self.text(s) {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if self.redacts(key) {
                        *v = Value::String(REDACTED.to_owned());
                    } else if !(TRUSTED_FIELDS.contains(&key.as_str()) && v.is_string()) {
                        self.json(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// Scrub one line of JSON logs; a line that is not JSON is scrubbed as text.
    pub fn json_line(&self, line: &[u8]) -> Vec<u8> {
        match serde_json::from_slice::<Value>(line) {
            Ok(mut value) => {
                self.json(&mut value);
                let mut out = serde_json::to_vec(&value).unwrap_or_default();
                out.push(b'\n');
                out
            }
            Err(_) => self
                .text_line(&String::from_utf8_lossy(line))
                .into_owned()
                .into_bytes(),
        }
    }
}

/// A cheap pre-check that lets most strings skip the regexes: anything the shape rules can
/// match has an `@`, a credential prefix, or at least 7 digits (the shortest phone number).
/// One pass over the bytes, since every string of every log line goes through it.
fn may_hold_pii(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut digits = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rest = &bytes[i..];
        let found = match b {
            b'0'..=b'9' => {
                digits += 1;
                digits >= 7
            }
            b'@' => true,
            // These prefixes count only where a word starts, as in the credential pattern:
            // `kiosk-lobby`, a device id in most lines, has no key in it.
            b's' | b'e' | b'x' => {
                let word_starts = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                word_starts
                    && [b"sk-", b"ek_", b"xi-", b"eyJ"]
                        .iter()
                        .any(|p| rest.starts_with(*p))
            }
            b'b' | b'B' => rest.get(..6).is_some_and(|w| w.eq_ignore_ascii_case(b"bearer")),
            _ => false,
        };
        if found {
            return true;
        }
    }
    false
}

/// What a run of digits is: a card number, a phone number, or harmless.
fn classify_digits(run: &str) -> String {
    let digits: Vec<u8> = run.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    let n = digits.len();
    if (13..=19).contains(&n) && luhn(&digits) {
        return "[card]".to_owned();
    }
    // International numbers are written with '+'; national ones have at least 9 digits in
    // Europe and North America. Dates (8 digits) and times stay readable.
    let international = run.starts_with('+') && (7..=15).contains(&n);
    if international || (9..=19).contains(&n) {
        return "[phone]".to_owned();
    }
    run.to_owned()
}

/// The Luhn checksum that card numbers carry.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples() {
        let s = Scrubber::new().with_secrets(["sk-canary-3f9a0c7d1e"]);
        let cases = [
            ("mail anna.berg@example.com now", "mail [email] now"),
            ("call +44 20 7946 0958", "call [phone]"),
            ("call (555) 123-4567", "call [phone]"),
            ("card 4111 1111 1111 1111 ok", "card [card] ok"),
            ("key sk-canary-3f9a0c7d1e here", "key [redacted] here"),
            ("Authorization: Bearer abc.def.ghi", "Authorization: [secret]"),
            ("secret ek_0123456789abcdef", "secret [secret]"),
            ("on 2026-11-26 at 10:42:07", "on 2026-11-26 at 10:42:07"),
            ("127.0.0.1:8765 took 12 ms", "127.0.0.1:8765 took 12 ms"),
            ("plain words stay", "plain words stay"),
            ("id req_a1234567890b kept", "id req_a1234567890b kept"),
        ];
        for (input, expected) in cases {
            assert_eq!(s.text(input), expected, "{input}");
        }
    }

    #[test]
    fn the_pre_check_lets_through_only_what_no_rule_can_match() {
        for may in [
            "a@b",
            "1234567",
            "12-34-56-7",
            "sk-x",
            "ek_x",
            "xi-x",
            "eyJx",
            "BeArEr x",
            "x bearer",
            "a sk-x",
            "a,ek_x",
            "é sk-x",
            "ésk-x",
        ] {
            assert!(may_hold_pii(may), "{may}");
        }
        for plain in [
            "",
            "123456",
            "sk_x",
            "ek-x",
            "eyj",
            "bear",
            "kiosk-lobby",
            "a_sk-x",
            "gpt-realtime",
            "é",
        ] {
            assert!(!may_hold_pii(plain), "{plain}");
        }
    }

    #[test]
    fn fields_are_redacted_by_name_in_json_and_text() {
        let s = Scrubber::new();
        let line = br#"{"timestamp":"2026-11-26T10:00:00Z","fields":{"message":"check-in","visitor_name":"Jane Doe","transcript":"I am Jane"}}"#;
        let out: Value = serde_json::from_slice(&s.json_line(line)).unwrap();
        assert_eq!(out["fields"]["visitor_name"], "[redacted]");
        assert_eq!(out["fields"]["transcript"], "[redacted]");
        assert_eq!(out["fields"]["message"], "check-in");
        assert_eq!(out["timestamp"], "2026-11-26T10:00:00Z");
        let text = s.text_line(r#"INFO check-in visitor_name="Jane Doe" desk=3"#);
        assert_eq!(text, "INFO check-in visitor_name=[redacted] desk=3");
    }

    #[test]
    fn luhn_known_values() {
        let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn(&digits("4111111111111111")));
        assert!(luhn(&digits("79927398713")));
        assert!(!luhn(&digits("4111111111111112")));
    }
}
