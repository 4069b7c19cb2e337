//! The pronunciation dictionary for the fast recogniser: the CMU dictionary's entries for the
//! words the domain model uses, and a guessed pronunciation for every word it lacks (names such
//! as "Priya" or "Okafor", and words such as "physiotherapy").
//!
//! Guesses come from espeak-ng's letter-to-sound rules, run as a separate program (`espeak-ng
//! -q --ipa`) so its GPL code is not linked, with its IPA mapped to CMU phones. Where espeak-ng
//! is not installed a few English spelling rules stand in: crude, but a name with a rough
//! pronunciation is still recognisable, and one with none could never be.
//!
//! A trimmed dictionary matters for speed as well: pocketsphinx loads the full 135,000-word
//! dictionary in about a second, a few thousand words in a few milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::SpeechError;

/// Where a pronunciation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cmudict,
    Espeak,
    SpellingRules,
}

/// Pronunciations (CMU phones separated by spaces), alternates included, per word.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    pub entries: BTreeMap<String, (Source, Vec<String>)>,
}

impl Lexicon {
    /// Look every word of `words` up in the CMU dictionary at `cmudict`, and guess the rest.
    pub fn build(cmudict: &Path, words: &BTreeSet<String>) -> Result<Self, SpeechError> {
        let text = std::fs::read_to_string(cmudict).map_err(|source| SpeechError::Io {
            path: cmudict.to_owned(),
            source,
        })?;
        let mut entries: BTreeMap<String, (Source, Vec<String>)> = BTreeMap::new();
        for line in text.lines() {
            let Some((head, phones)) = line.split_once(' ') else {
                continue;
            };
            // Alternates are written `word(2)`.
            let word = head.split_once('(').map_or(head, |(w, _)| w);
            if words.contains(word) {
                let phones = phones.split('#').next().unwrap_or("").trim();
                if !phones.is_empty() {
                    entries
                        .entry(word.to_owned())
                        .or_insert_with(|| (Source::Cmudict, Vec::new()))
                        .1
                        .push(phones.to_owned());
                }
            }
        }
        let missing: Vec<&String> = words.iter().filter(|w| !entries.contains_key(*w)).collect();
        if !missing.is_empty() {
            let guessed = espeak_ipa(&missing);
            for (i, word) in missing.into_iter().enumerate() {
                let from_espeak = guessed
                    .as_ref()
                    .and_then(|g| g.get(i))
                    .map(|ipa| ipa_to_cmu(ipa))
                    .filter(|p| !p.is_empty());
                let (source, phones) = match from_espeak {
                    Some(p) => (Source::Espeak, p),
                    None => (Source::SpellingRules, spelling_rules(word)),
                };
                if !phones.is_empty() {
                    entries.insert(word.clone(), (source, vec![phones.join(" ")]));
                }
            }
        }
        Ok(Self { entries })
    }

    /// The dictionary in pocketsphinx's format: `word PH ONES`, alternates as `word(2) ...`.
    pub fn to_dict(&self) -> String {
        let mut out = String::new();
        for (word, (_, prons)) in &self.entries {
            for (i, phones) in prons.iter().enumerate() {
                if i == 0 {
                    out.push_str(word);
                } else {
                    out.push_str(&format!("{word}({})", i + 1));
                }
                out.push(' ');
                out.push_str(phones);
                out.push('\n');
            }
        }
        out
    }
}

/// espeak-ng's IPA for each word, one line per word, phonemes separated by `_`. `None` when
/// espeak-ng cannot be run or answers with a different number of lines.
fn espeak_ipa(words: &[&String]) -> Option<Vec<String>> {
    let mut child = Command::new("espeak-ng")
        .args(["-q", "--ipa", "--sep=_", "-v", "en-us"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let input: String = words.iter().map(|w| format!("{w}\n")).collect();
    // espeak-ng reads all of stdin before it writes, and the input is small, so writing first
    // cannot deadlock.
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    if !output.status.success() {
        return None;
    }
    let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    (lines.len() == words.len()).then_some(lines)
}

/// IPA (as espeak-ng writes American English) to CMU phones, longest match first.
const IPA: &[(&str, &str)] = &[
    ("tʃ", "CH"),
    ("dʒ", "JH"),
    ("eɪ", "EY"),
    ("aɪ", "AY"),
    ("ɔɪ", "OY"),
    ("oʊ", "OW"),
    ("əʊ", "OW"),
    ("aʊ", "AW"),
    ("ɪə", "IH AH"),
    ("ɛə", "EH R"),
    ("ʊə", "UH R"),
    ("ɑː", "AA"),
    ("ɔː", "AO"),
    ("iː", "IY"),
    ("uː", "UW"),
    ("ɜː", "ER"),
    ("p", "P"),
    ("b", "B"),
    ("t", "T"),
    ("d", "D"),
    ("k", "K"),
    ("g", "G"),
    ("ɡ", "G"),
    ("f", "F"),
    ("v", "V"),
    ("θ", "TH"),
    ("ð", "DH"),
    ("s", "S"),
    ("z", "Z"),
    ("ʃ", "SH"),
    ("ʒ", "ZH"),
    ("h", "HH"),
    ("m", "M"),
    ("n", "N"),
    ("ŋ", "NG"),
    ("l", "L"),
    ("ɹ", "R"),
    ("r", "R"),
    ("w", "W"),
    ("j", "Y"),
    // The American flap and the glottal stop are both written T in the CMU dictionary.
    ("ɾ", "T"),
    ("ʔ", "T"),
    ("x", "K"),
    ("ç", "HH"),
    ("i", "IY"),
    ("ɪ", "IH"),
    ("ᵻ", "IH"),
    ("e", "EY"),
    ("ɛ", "EH"),
    ("æ", "AE"),
    ("a", "AA"),
    ("ɑ", "AA"),
    ("ɒ", "AA"),
    ("ɔ", "AO"),
    ("o", "OW"),
    ("ʊ", "UH"),
    ("u", "UW"),
    ("ʌ", "AH"),
    ("ə", "AH"),
    ("ɐ", "AH"),
    ("ɘ", "AH"),
    ("ɚ", "ER"),
    ("ɝ", "ER"),
    ("ɜ", "ER"),
];

/// Map espeak-ng IPA to CMU phones. Stress and length marks are dropped (the dictionary has no
/// stress); a syllabic consonant (`n̩`) gains the schwa the CMU dictionary writes before it.
pub fn ipa_to_cmu(ipa: &str) -> Vec<String> {
    let mut phones: Vec<String> = Vec::new();
    let chars: Vec<char> = ipa
        .chars()
        .filter(|c| !matches!(c, 'ˈ' | 'ˌ' | '_' | ' ' | '-'))
        .collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\u{329}' || chars[i] == 'ː' {
            i += 1;
            continue;
        }
        let matched = IPA.iter().find(|(ipa, _)| {
            let n = ipa.chars().count();
            i + n <= chars.len() && chars[i..i + n].iter().copied().eq(ipa.chars())
        });
        match matched {
            Some((ipa, cmu)) => {
                let n = ipa.chars().count();
                if chars.get(i + n) == Some(&'\u{329}') {
                    phones.push("AH".to_owned());
                }
                phones.extend(cmu.split(' ').map(str::to_owned));
                i += n;
            }
            None => i += 1,
        }
    }
    phones
}

/// Letters to CMU phones by a handful of English spelling rules: digraphs first, a silent final
/// e, doubled consonants said once. A last resort when espeak-ng is missing.
pub fn spelling_rules(word: &str) -> Vec<String> {
    const DIGRAPHS: &[(&str, &str)] = &[
        ("tch", "CH"),
        ("ch", "CH"),
        ("sh", "SH"),
        ("th", "TH"),
        ("ph", "F"),
        ("ng", "NG"),
        ("ck", "K"),
        ("qu", "K W"),
        ("wh", "W"),
        ("gh", "G"),
        ("ee", "IY"),
        ("ea", "IY"),
        ("ie", "IY"),
        ("oo", "UW"),
        ("ou", "AW"),
        ("ow", "OW"),
        ("ai", "EY"),
        ("ay", "EY"),
        ("ei", "EY"),
        ("oi", "OY"),
        ("oy", "OY"),
        ("au", "AO"),
        ("aw", "AO"),
    ];
    let letters: Vec<char> = word
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_lowercase)
        .collect();
    let mut end = letters.len();
    // A final "e" after a consonant is silent ("Blake"), unless it is the only vowel ("Lee" is
    // caught by the digraphs, "Mike" is not a problem, "Re" would lose its vowel).
    if end > 2 && letters[end - 1] == 'e' && !"aeiou".contains(letters[end - 2]) {
        end -= 1;
    }
    let letters = &letters[..end];
    let mut phones: Vec<String> = Vec::new();
    let mut i = 0;
    while i < letters.len() {
        let rest: String = letters[i..].iter().collect();
        if let Some((spelling, cmu)) = DIGRAPHS.iter().find(|(s, _)| rest.starts_with(s)) {
            phones.extend(cmu.split(' ').map(str::to_owned));
            i += spelling.len();
            continue;
        }
        let c = letters[i];
        // A doubled consonant is one sound ("Becker", "Ann").
        if i > 0 && letters[i - 1] == c && !"aeiou".contains(c) {
            i += 1;
            continue;
        }
        let last = i + 1 == letters.len();
        let cmu = match c {
            'a' => {
                if last {
                    "AH"
                } else {
                    "AE"
                }
            }
            'b' => "B",
            'c' => {
                if matches!(letters.get(i + 1), Some('e' | 'i' | 'y')) {
                    "S"
                } else {
                    "K"
                }
            }
            'd' => "D",
            'e' => "EH",
            'f' => "F",
            'g' => "G",
            'h' => "HH",
            'i' => "IH",
            'j' => "JH",
            'k' => "K",
            'l' => "L",
            'm' => "M",
            'n' => "N",
            'o' => {
                if last {
                    "OW"
                } else {
                    "AA"
                }
            }
            'p' => "P",
            'q' => "K",
            'r' => "R",
            's' => "S",
            't' => "T",
            'u' => "AH",
            'v' => "V",
            'w' => "W",
            'x' => "K S",
            'y' => {
                if i == 0 || letters.get(i + 1).is_some_and(|n| "aeiou".contains(*n)) {
                    "Y"
                } else {
                    "IY"
                }
            }
            _ => "Z",
        };
        phones.extend(cmu.split(' ').map(str::to_owned));
        i += 1;
    }
    phones
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn espeak_ipa_maps_to_cmu_phones() {
        assert_eq!(ipa_to_cmu("p_ɹ_ˈɪ_j_ə"), ["P", "R", "IH", "Y", "AH"]);
        assert_eq!(ipa_to_cmu("ˈɑː_k_æ_f_ɚ"), ["AA", "K", "AE", "F", "ER"]);
        assert_eq!(ipa_to_cmu("tʃ_ˈɜː_tʃ"), ["CH", "ER", "CH"]);
        assert_eq!(ipa_to_cmu("b_ˈʌ_ʔ_n̩"), ["B", "AH", "T", "AH", "N"]);
        assert_eq!(ipa_to_cmu("f_ˈaɪɚ"), ["F", "AY", "ER"]);
        assert_eq!(
            ipa_to_cmu("f_ˈɪ_z_ɪ__ˌoʊ_θ_ɪ_ɹ_ə_p_i").join(" "),
            "F IH Z IH OW TH IH R AH P IY"
        );
    }

    #[test]
    fn spelling_rules_give_every_name_a_plausible_pronunciation() {
        assert_eq!(spelling_rules("Priya").join(" "), "P R IH Y AH");
        assert_eq!(spelling_rules("Okafor").join(" "), "AA K AE F AA R");
        assert_eq!(spelling_rules("Becker").join(" "), "B EH K EH R");
        assert_eq!(spelling_rules("Blake").join(" "), "B L AE K");
        assert!(spelling_rules("Zoë").len() >= 2);
    }
}
