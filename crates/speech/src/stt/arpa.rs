//! A trigram language model from a generated corpus, written in the ARPA text format that
//! pocketsphinx reads.
//!
//! Estimation is Katz-style backoff with absolute discounting:
//!
//! - a seen n-gram gets `(count − D) / count(history)`;
//! - the mass taken off, `D × distinct followers / count(history)`, goes to words not seen after
//!   that history, in proportion to the next-lower order, scaled by the history's backoff weight
//!   `α(h) = (1 − Σ seen P(w | h)) / (1 − Σ seen P_lower(w | h'))`, so each distribution sums to 1;
//! - unigrams are not discounted: the domain words share `1 − β` by count and the background
//!   words share `β` evenly. Background words never appear in the corpus, so they are only
//!   reachable through backoff, and how easily is set by `β` alone.
//!
//! `D` is fixed rather than estimated from counts of counts (`n1 / (n1 + 2 n2)`): the corpus is
//! generated, every sentence is repeated, and singletons are an artefact of the templates rather
//! than evidence of unseen events.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

pub const BOS: &str = "<s>";
pub const EOS: &str = "</s>";

/// How the model is estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoothing {
    /// Absolute discount `D` subtracted from every seen bigram and trigram count.
    pub discount: f64,
    /// Unigram probability shared by all background words, `β`.
    pub background_mass: f64,
}

/// A trigram model ready to be written.
#[derive(Debug, Clone)]
pub struct Model {
    /// Word, log10 probability, log10 backoff weight (0 when it is never a history).
    unigrams: Vec<(String, f64, f64)>,
    bigrams: Vec<([String; 2], f64, f64)>,
    trigrams: Vec<([String; 3], f64)>,
}

type Id = u32;

impl Model {
    /// Estimate from `(sentence, times)` pairs; `background` words are added at unigram level
    /// only (those that also occur in the corpus are domain words).
    pub fn estimate(corpus: &[(Vec<String>, u32)], background: &[String], smoothing: Smoothing) -> Self {
        let d = smoothing.discount;
        let mut ids: HashMap<&str, Id> = HashMap::new();
        let mut names: Vec<&str> = Vec::new();
        for w in [BOS, EOS] {
            ids.insert(w, names.len() as Id);
            names.push(w);
        }
        let (bos, eos) = (0, 1);
        let mut c1: HashMap<Id, f64> = HashMap::new();
        let mut c2: HashMap<(Id, Id), f64> = HashMap::new();
        let mut c3: HashMap<(Id, Id, Id), f64> = HashMap::new();
        for (sentence, times) in corpus {
            let times = f64::from(*times);
            let mut seq = vec![bos];
            for w in sentence {
                let next = names.len() as Id;
                let wid = *ids.entry(w.as_str()).or_insert(next);
                if wid == next {
                    names.push(w.as_str());
                }
                seq.push(wid);
            }
            seq.push(eos);
            for (i, &w) in seq.iter().enumerate().skip(1) {
                *c1.entry(w).or_default() += times;
                *c2.entry((seq[i - 1], w)).or_default() += times;
                if i >= 2 {
                    *c3.entry((seq[i - 2], seq[i - 1], w)).or_default() += times;
                }
            }
        }
        let background: BTreeSet<&str> = background
            .iter()
            .map(String::as_str)
            .filter(|w| !ids.contains_key(w))
            .collect();

        // Unigrams: the domain by count, the background evenly.
        let total: f64 = c1.values().sum();
        let beta = if background.is_empty() {
            0.0
        } else {
            smoothing.background_mass
        };
        let p1: HashMap<Id, f64> = c1.iter().map(|(&w, &c)| (w, (1.0 - beta) * c / total)).collect();
        let p_background = beta / background.len().max(1) as f64;
        let unigram = |w: Id| p1.get(&w).copied().unwrap_or(p_background);

        // Bigrams: discounted, with the history's backoff weight to unigrams.
        let mut followers2: HashMap<Id, Vec<(Id, f64)>> = HashMap::new();
        for (&(u, w), &c) in &c2 {
            followers2.entry(u).or_default().push((w, c));
        }
        let mut p2: HashMap<(Id, Id), f64> = HashMap::new();
        let mut bow1: HashMap<Id, f64> = HashMap::new();
        for (&u, follow) in &followers2 {
            let history: f64 = follow.iter().map(|(_, c)| c).sum();
            let (mut seen, mut seen_lower) = (0.0, 0.0);
            for &(w, c) in follow {
                let p = (c - d).max(0.0) / history;
                p2.insert((u, w), p);
                seen += p;
                seen_lower += unigram(w);
            }
            bow1.insert(u, backoff_weight(seen, seen_lower));
        }
        let bigram = |v: Id, w: Id| {
            p2.get(&(v, w))
                .copied()
                .unwrap_or_else(|| bow1.get(&v).copied().unwrap_or(1.0) * unigram(w))
        };

        // Trigrams: discounted, with the history's backoff weight to bigrams.
        let mut followers3: HashMap<(Id, Id), Vec<(Id, f64)>> = HashMap::new();
        for (&(u, v, w), &c) in &c3 {
            followers3.entry((u, v)).or_default().push((w, c));
        }
        let mut p3: Vec<((Id, Id, Id), f64)> = Vec::new();
        let mut bow2: HashMap<(Id, Id), f64> = HashMap::new();
        for (&(u, v), follow) in &followers3 {
            let history: f64 = follow.iter().map(|(_, c)| c).sum();
            let (mut seen, mut seen_lower) = (0.0, 0.0);
            for &(w, c) in follow {
                let p = (c - d).max(0.0) / history;
                p3.push(((u, v, w), p));
                seen += p;
                seen_lower += bigram(v, w);
            }
            bow2.insert((u, v), backoff_weight(seen, seen_lower));
        }

        let name = |w: Id| names[w as usize].to_owned();
        let mut unigrams: Vec<(String, f64, f64)> = names
            .iter()
            .enumerate()
            .map(|(w, n)| {
                let w = w as Id;
                let p = if w == bos { -99.0 } else { unigram(w).log10() };
                ((*n).to_owned(), p, bow1.get(&w).map_or(0.0, |b| b.log10()))
            })
            .chain(
                background
                    .iter()
                    .map(|w| ((*w).to_owned(), p_background.log10(), 0.0)),
            )
            .collect();
        unigrams.sort_by(|a, b| a.0.cmp(&b.0));
        let mut bigrams: Vec<([String; 2], f64, f64)> = p2
            .iter()
            .map(|(&(u, w), &p)| {
                (
                    [name(u), name(w)],
                    p.log10(),
                    bow2.get(&(u, w)).map_or(0.0, |b| b.log10()),
                )
            })
            .collect();
        bigrams.sort_by(|a, b| a.0.cmp(&b.0));
        let mut trigrams: Vec<([String; 3], f64)> = p3
            .into_iter()
            .map(|((u, v, w), p)| ([name(u), name(v), name(w)], p.log10()))
            .collect();
        trigrams.sort_by(|a, b| a.0.cmp(&b.0));
        Self {
            unigrams,
            bigrams,
            trigrams,
        }
    }

    /// Every word in the model, sentence markers excluded.
    pub fn vocabulary(&self) -> impl Iterator<Item = &str> {
        self.unigrams
            .iter()
            .map(|u| u.0.as_str())
            .filter(|w| *w != BOS && *w != EOS)
    }

    /// Counts of unigrams, bigrams and trigrams.
    pub fn sizes(&self) -> [usize; 3] {
        [self.unigrams.len(), self.bigrams.len(), self.trigrams.len()]
    }

    /// The model in ARPA text format.
    pub fn to_arpa(&self) -> String {
        let mut out = String::with_capacity(64 * (self.bigrams.len() + self.trigrams.len()) + 1024);
        let [n1, n2, n3] = self.sizes();
        let _ = write!(
            out,
            "\\data\\\nngram 1={n1}\nngram 2={n2}\nngram 3={n3}\n\n\\1-grams:\n"
        );
        for (w, p, b) in &self.unigrams {
            let _ = writeln!(out, "{p:.6} {w} {b:.6}");
        }
        out.push_str("\n\\2-grams:\n");
        for ([u, w], p, b) in &self.bigrams {
            let _ = writeln!(out, "{p:.6} {u} {w} {b:.6}");
        }
        out.push_str("\n\\3-grams:\n");
        for ([u, v, w], p) in &self.trigrams {
            let _ = writeln!(out, "{p:.6} {u} {v} {w}");
        }
        out.push_str("\n\\end\\\n");
        out
    }
}

/// `α = (1 − seen) / (1 − seen_lower)`: the mass left after discounting, spread over the
/// lower-order probability of the words not seen after this history. When the seen words take
/// all the lower-order mass, nothing unseen is reachable; the weight is then 1 and unused.
fn backoff_weight(seen: f64, seen_lower: f64) -> f64 {
    let left = (1.0 - seen).max(0.0);
    let lower_left = 1.0 - seen_lower;
    if lower_left <= 1e-12 || left <= 1e-12 {
        1.0
    } else {
        left / lower_left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    fn model() -> Model {
        let corpus = vec![
            (sentence("where is the pharmacy"), 3),
            (sentence("where is reception"), 2),
            (sentence("yes please"), 1),
        ];
        let background = vec!["taxi".to_owned(), "the".to_owned()];
        Model::estimate(
            &corpus,
            &background,
            Smoothing {
                discount: 0.5,
                background_mass: 0.1,
            },
        )
    }

    /// Probability of `w` after `history` (up to two words), with backoff, read back from the
    /// model as pocketsphinx would.
    fn prob(m: &Model, history: &[&str], w: &str) -> f64 {
        let uni = |w: &str| m.unigrams.iter().find(|u| u.0 == w).map(|u| (u.1, u.2)).unwrap();
        let bi = |u: &str, w: &str| m.bigrams.iter().find(|b| b.0 == [u, w]).map(|b| (b.1, b.2));
        let tri = |u: &str, v: &str, w: &str| m.trigrams.iter().find(|t| t.0 == [u, v, w]).map(|t| t.1);
        let p_bi = |v: &str, w: &str| bi(v, w).map_or_else(|| uni(v).1 + uni(w).0, |b| b.0);
        let log = match history {
            [] => uni(w).0,
            [v] => p_bi(v, w),
            [u, v] => tri(u, v, w).unwrap_or_else(|| bi(u, v).map_or(0.0, |b| b.1) + p_bi(v, w)),
            _ => unreachable!(),
        };
        10f64.powf(log)
    }

    #[test]
    fn every_distribution_sums_to_one() {
        let m = model();
        let vocab: Vec<String> = m
            .unigrams
            .iter()
            .map(|u| u.0.clone())
            .filter(|w| w != BOS)
            .collect();
        for history in [
            &[][..],
            &["where"],
            &["is"],
            &[BOS],
            &["where", "is"],
            &[BOS, "yes"],
            &["is", "the"],
        ] {
            let total: f64 = vocab.iter().map(|w| prob(&m, history, w)).sum();
            assert!((total - 1.0).abs() < 1e-4, "{history:?}: {total}");
        }
    }

    #[test]
    fn background_words_are_reachable_only_by_backoff_and_domain_words_win() {
        let m = model();
        assert_eq!(m.sizes(), [10, 10, 8]);
        // "the" is in the corpus, so it is a domain word and not double-counted.
        assert_eq!(m.vocabulary().filter(|w| *w == "the").count(), 1);
        assert!(!m.bigrams.iter().any(|b| b.0.contains(&"taxi".to_owned())));
        let taxi = prob(&m, &["where", "is"], "taxi");
        let pharmacy = prob(&m, &["where", "is"], "the");
        assert!(
            taxi > 0.0 && taxi < pharmacy / 10.0,
            "taxi {taxi}, the {pharmacy}"
        );
        let arpa = m.to_arpa();
        assert!(
            arpa.starts_with("\\data\\\nngram 1=10\nngram 2=10\nngram 3=8\n"),
            "{arpa}"
        );
        assert!(arpa.contains("-99.000000 <s> "));
        assert!(arpa.trim_end().ends_with("\\end\\"));
    }
}
