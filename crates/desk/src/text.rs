//! Text normalisation shared by every matcher, so "Wi-Fi?", "wifi" and "WIFI" meet, and so do
//! "José Álvarez" in a profile and "Jose Alvarez" from speech recognition.

/// Lower-case words of `text`, with punctuation removed except inside words ("wi-fi", "o'clock").
///
/// Letters are folded to their unaccented form and typographic apostrophes to `'`: speech
/// recognisers and many keyboards write "Jose" and "O’Connor" for the "José" and "O'Connor" a
/// profile spells, and both sides of every comparison pass through here.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | '?' | '!' | ';' | ':' | '"' | '(' | ')')
    })
    .map(|w| fold(w.trim_matches(|c: char| !c.is_alphanumeric())))
    .filter(|w| !w.is_empty())
    .collect()
}

/// `word` in lower case without diacritics ("Álvarez" → "alvarez", "Nguyễn" → "nguyen").
fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' => out.push('\''),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ß' => out.push_str("ss"),
            'þ' => out.push_str("th"),
            'ĳ' => out.push_str("ij"),
            _ => out.push(base_letter(c)),
        }
    }
    out
}

/// The unaccented letter behind a lower-case Latin letter with diacritics; anything else as is.
/// Covers Latin-1, Latin Extended-A and the Vietnamese letters of Latin Extended Additional,
/// which is what staff names in a profile use in practice.
fn base_letter(c: char) -> char {
    match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' | '\u{1ea1}'..='\u{1eb7}' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ð' | 'ď' | 'đ' => 'd',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | '\u{1eb9}'..='\u{1ec7}' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | '\u{1ec9}' | '\u{1ecb}' => 'i',
        'ĵ' => 'j',
        'ķ' | 'ĸ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ơ' | '\u{1ecd}'..='\u{1ee3}' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ſ' => 's',
        'ţ' | 'ť' | 'ŧ' | 'ț' => 't',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ư' | '\u{1ee5}'..='\u{1ef1}' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' | '\u{1ef3}'..='\u{1ef9}' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

/// `word` without the marks inside it: "o'connor" → "oconnor", "smith-jones" → "smithjones".
pub fn squash(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Where the words `needle` occur in `haystack` however they are split or joined, as the range
/// of haystack indices: "mary kate smith jones" holds "mary-kate smith-jones", and "o connor"
/// holds "o'connor". Speech recognisers drop hyphens and split names at apostrophes, so names
/// are compared letters to letters.
pub fn find_joined(haystack: &[String], needle: &[String]) -> Option<std::ops::Range<usize>> {
    let target: String = needle.iter().map(|n| squash(n)).collect();
    if target.is_empty() {
        return None;
    }
    for start in 0..haystack.len() {
        let mut joined = String::new();
        for (end, word) in haystack.iter().enumerate().skip(start) {
            joined.push_str(&squash(word));
            if joined == target {
                return Some(start..end + 1);
            }
            if !target.starts_with(&joined) {
                break;
            }
        }
    }
    None
}

/// True when the word sequence `needle` occurs contiguously in `haystack`.
pub fn contains_phrase(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// True when any of `phrases` (each one or more words) occurs in `haystack`.
pub fn mentions_any(haystack: &[String], phrases: &[&str]) -> bool {
    phrases.iter().any(|p| contains_phrase(haystack, &words(p)))
}

/// `text` with its first letter in lower case, to follow "I'm sorry, ...".
pub fn lower_first(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
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
    fn accents_and_typographic_apostrophes_fold_away() {
        assert_eq!(words("José Álvarez"), words("Jose Alvarez"));
        assert_eq!(words("Siobhan O’Connor"), ["siobhan", "o'connor"]);
        assert_eq!(
            words("Nguyễn Văn Ân, Łukasz Żółć"),
            ["nguyen", "van", "an", "lukasz", "zolc"]
        );
        assert_eq!(words("Straße Œuvre"), ["strasse", "oeuvre"]);
        // Other scripts are kept as they are, only lower-cased.
        assert_eq!(words("Дмитрий 李"), ["дмитрий", "李"]);
    }

    #[test]
    fn joined_names_match_however_they_are_split() {
        let h = words("here to see mary kate smith jones at two");
        assert_eq!(find_joined(&h, &words("Mary-Kate Smith-Jones")), Some(3..7));
        assert_eq!(
            find_joined(&words("for o connor"), &words("O'Connor")),
            Some(1..3)
        );
        assert_eq!(find_joined(&words("for oconnor"), &words("O'Connor")), Some(1..2));
        assert_eq!(find_joined(&h, &words("Kate Smith")), Some(4..6));
        assert_eq!(find_joined(&h, &words("Smithers")), None);
        assert_eq!(find_joined(&h, &[]), None);
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
