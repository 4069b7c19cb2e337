//! Text normalisation shared by every matcher, so "Wi-Fi?", "wifi" and "WIFI" meet.

/// Lower-case words of `text`, with punctuation removed except inside words ("wi-fi", "o'clock").
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | '?' | '!' | ';' | ':' | '"' | '(' | ')')
    })
    .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
    .filter(|w| !w.is_empty())
    .collect()
}

/// True when the word sequence `needle` occurs contiguously in `haystack`.
pub fn contains_phrase(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// True when any of `phrases` (each one or more words) occurs in `haystack`.
pub fn mentions_any(haystack: &[String], phrases: &[&str]) -> bool {
    phrases.iter().any(|p| contains_phrase(haystack, &words(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_strip_punctuation_but_keep_inner_marks() {
        assert_eq!(
            words("Hi! Where's the Wi-Fi, please?"),
            ["hi", "where's", "the", "wi-fi", "please"]
        );
        assert_eq!(words("  "), Vec::<String>::new());
    }

    #[test]
    fn phrases_match_whole_words_in_order() {
        let h = words("is the car park free");
        assert!(contains_phrase(&h, &words("car park")));
        assert!(!contains_phrase(&h, &words("park car")));
        assert!(!mentions_any(&words("carpark"), &["car park"]));
        assert!(mentions_any(&h, &["toilet", "free"]));
    }
}
