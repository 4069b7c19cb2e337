//! Words as the recognisers and the tests compare them: lower case, no punctuation, numbers and
//! clock times spelt out, and "Dr" read as "doctor". whisper writes "Dr. Chen at 2:30." where
//! pocketsphinx writes "doctor chen at two thirty"; both mean the same words.
//!
//! The same normalisation turns staff names and departments into the words the domain model is
//! built from, so what the fast path can say and what a reference transcript says agree.

/// Split `text` into normalised words.
pub fn words(text: &str) -> Vec<String> {
    let text = text.replace(['\u{2019}', '\u{2018}'], "'");
    let mut out = Vec::new();
    // Tokens are runs of letters, digits, apostrophes and the separators of clock times.
    for token in text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | ':' | '.'))) {
        push_token(token, &mut out);
    }
    out
}

fn push_token(token: &str, out: &mut Vec<String>) {
    let token = token.trim_matches(|c: char| matches!(c, '\'' | ':' | '.'));
    if token.is_empty() {
        return;
    }
    // "2:30" and "2.30" are clock times; "10.5" is not worth a special case in speech.
    if let Some((h, m)) = token.split_once([':', '.'])
        && let (Ok(h), Ok(m)) = (h.parse::<u32>(), m.parse::<u32>())
    {
        out.extend(number(h));
        if m != 0 {
            if m < 10 {
                out.push("oh".to_owned());
            }
            out.extend(number(m));
        }
        return;
    }
    // "p.m." and "Dr." lose their dots; "2pm" splits into "two" "pm".
    let token: String = token.chars().filter(|c| *c != '.' && *c != ':').collect();
    let mut rest = token.as_str();
    while !rest.is_empty() {
        let digits = rest.starts_with(|c: char| c.is_ascii_digit());
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (part, tail) = rest.split_at(end);
        if digits {
            match part.parse::<u32>() {
                Ok(n) => out.extend(number(n)),
                Err(_) => out.extend(part.chars().filter_map(|c| c.to_digit(10)).flat_map(number)),
            }
        } else {
            let word = part.to_lowercase();
            let word = word.trim_matches('\'');
            if !word.is_empty() {
                out.push(if word == "dr" {
                    "doctor".to_owned()
                } else {
                    word.to_owned()
                });
            }
        }
        rest = tail;
    }
}

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// A number as said: 45 → "forty five", 204 → "two hundred four". Above 999 digit by digit,
/// which is how phone and room numbers are read anyway.
pub fn number(n: u32) -> Vec<String> {
    let mut out = Vec::new();
    match n {
        0..20 => out.push(ONES[n as usize].to_owned()),
        20..100 => {
            out.push(TENS[(n / 10) as usize].to_owned());
            if !n.is_multiple_of(10) {
                out.push(ONES[(n % 10) as usize].to_owned());
            }
        }
        100..1000 => {
            out.push(ONES[(n / 100) as usize].to_owned());
            out.push("hundred".to_owned());
            if !n.is_multiple_of(100) {
                out.extend(number(n % 100));
            }
        }
        _ => {
            for d in n.to_string().chars().filter_map(|c| c.to_digit(10)) {
                out.push(ONES[d as usize].to_owned());
            }
        }
    }
    out
}

/// Word error rate of `hypothesis` against `reference`, both normalised with [`words`]:
/// (substitutions + deletions + insertions) / reference words. 0 is perfect; it can exceed 1
/// when the hypothesis adds words. An empty reference scores the hypothesis's length.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f32 {
    let (errors, total) = word_errors(reference, hypothesis);
    errors as f32 / total.max(1) as f32
}

/// Edit distance in words and the reference length, for pooling over a test set (the pooled
/// rate is total errors over total reference words, not a mean of per-phrase rates).
pub fn word_errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let r = words(reference);
    let h = words(hypothesis);
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let substitution = diagonal + usize::from(rw != hw);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    (row[h.len()], r.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whisper_style_text_normalises_to_spoken_words() {
        assert_eq!(
            words("Hi, I'm here to see Dr. Chen at 2:30."),
            [
                "hi", "i'm", "here", "to", "see", "doctor", "chen", "at", "two", "thirty"
            ]
        );
        assert_eq!(
            words("Room 204, at 10.05 or 2pm"),
            [
                "room", "two", "hundred", "four", "at", "ten", "oh", "five", "or", "two", "pm"
            ]
        );
        assert_eq!(
            words("It’s 3 o'clock — 'quoted'"),
            ["it's", "three", "o'clock", "quoted"]
        );
        assert_eq!(words("45 1234"), ["forty", "five", "one", "two", "three", "four"]);
    }

    #[test]
    fn word_error_rate_counts_edits_over_reference_words() {
        assert_eq!(word_error_rate("where is radiology", "Where is radiology?"), 0.0);
        assert_eq!(
            word_error_rate("I'm here to see Dr Chen at two", "I'm here to see Dr. Chen at 2"),
            0.0
        );
        // One substitution and one deletion over four words.
        assert_eq!(word_error_rate("a delivery for maria", "the delivery maria"), 0.5);
        // Insertions can push it over 1.
        assert_eq!(word_errors("yes", "yes yes yes"), (2, 1));
        assert_eq!(word_error_rate("", "anything"), 1.0);
        assert_eq!(word_error_rate("", ""), 0.0);
    }
}
