//! Everyday ways visitors ask for what most front desks are asked about, for the sentence
//! model.
//!
//! A profile's FAQ entry names its topic and the words it is known by ("restrooms": toilet,
//! bathroom), and the model finds those well. Visitors often ask instead for what they want to
//! do ("where can I freshen up?", "can I get online?"), which shares no word with the topic and
//! lands far from it. Each [`Kind`] here carries such phrasings and is added to every FAQ entry
//! whose topic or keywords name it, so a business profile written for any front desk gets them
//! without listing them itself.

use crate::profile::FaqEntry;
use crate::text::words;

/// A kind of thing many front desks have, and how visitors ask for it in their own words.
#[derive(Debug)]
pub struct Kind {
    /// Words that mark a FAQ entry as this kind, found among its topic's and keywords' words.
    marks: &'static [&'static str],
    /// How visitors ask for it without those words.
    asked: &'static [&'static str],
}

/// The kinds, by what a visitor needs rather than what the building calls it.
pub const KINDS: &[Kind] = &[
    Kind {
        marks: &[
            "toilet",
            "toilets",
            "restroom",
            "restrooms",
            "bathroom",
            "bathrooms",
            "washroom",
            "loo",
            "lavatory",
        ],
        asked: &[
            "I need the facilities",
            "where's the gents",
            "where's the ladies",
            "where's the men's room",
            "where can I freshen up",
            "I need to spend a penny",
            "where can I go before my appointment",
            "I'm bursting, where can I go",
        ],
    },
    Kind {
        marks: &["wifi", "wi-fi", "internet", "wireless"],
        asked: &[
            "can I get online",
            "how do I go online here",
            "is there a connection I can use",
            "can I connect my phone",
            "what's the network password",
            "I need to get on the web",
        ],
    },
    Kind {
        marks: &["parking", "garage"],
        asked: &[
            "where can I leave my car",
            "is there somewhere to park",
            "I've come by car",
            "where do visitors put their cars",
            "can I stop outside",
        ],
    },
    Kind {
        marks: &["accessibility", "accessible", "wheelchair", "step-free"],
        asked: &[
            "I can't do steps",
            "is there a way in without stairs",
            "I'm in a wheelchair",
            "I have a pushchair, how do I get up",
            "I walk with a frame",
        ],
    },
    Kind {
        marks: &["prescription", "prescriptions", "medication"],
        asked: &[
            "I need more of my medicine",
            "I've run out of my tablets",
            "can I collect my medicine",
            "how do I get a repeat",
        ],
    },
    Kind {
        marks: &["coffee", "tea", "refreshments", "drinks"],
        asked: &[
            "can I get a drink",
            "is there any water",
            "I'm thirsty",
            "could I have a hot drink while I wait",
        ],
    },
];

/// What visitors ask a front desk that most businesses do not offer: out of reach, so the
/// sentence model should take them for that rather than for the nearest thing the desk does
/// ("is there a good pub near here?" is not the toilets). A profile whose FAQ names one of
/// these (a hotel's taxi rank) keeps it: see [`outside`].
pub const OUTSIDE: &[Kind] = &[
    Kind {
        marks: &[
            "restaurant",
            "restaurants",
            "cafe",
            "café",
            "canteen",
            "food",
            "lunch",
            "pub",
            "bar",
        ],
        asked: &[
            "is there a good pub near here",
            "can you recommend a restaurant nearby",
            "where can I get lunch around here",
            "is there a cafe nearby",
            "where can I buy a sandwich",
        ],
    },
    Kind {
        marks: &[
            "taxi",
            "taxis",
            "cab",
            "bus",
            "buses",
            "train",
            "trains",
            "subway",
            "metro",
            "tube",
            "transport",
        ],
        asked: &[
            "can you call me a taxi",
            "where's the nearest bus stop",
            "how do I get to the train station",
            "which way to the subway",
            "when is the next bus",
        ],
    },
    Kind {
        marks: &["cash", "atm", "cashpoint", "bank", "fees", "prices"],
        asked: &[
            "is there a cash machine nearby",
            "where can I get some cash out",
            "how much do you charge",
            "what are your fees",
        ],
    },
    Kind {
        marks: &["weather"],
        asked: &["is it going to rain today", "what's the forecast"],
    },
    Kind {
        marks: &["jobs", "careers", "vacancies", "recruitment"],
        asked: &[
            "are you hiring",
            "do you have any vacancies",
            "can I hand in my CV",
        ],
    },
    Kind {
        marks: &["charging", "charger", "chargers", "socket", "sockets"],
        asked: &[
            "is there a plug I can use",
            "do you have a socket for my phone",
            "do you have a phone charger",
        ],
    },
];

impl Kind {
    /// Whether `faq` is of this kind: one of its marks is a word of the topic or a keyword.
    fn names(&self, faq: &FaqEntry) -> bool {
        std::iter::once(&faq.topic)
            .chain(&faq.keywords)
            .flat_map(|text| words(text))
            .any(|word| self.marks.contains(&word.as_str()))
    }
}

/// The everyday phrasings that mean `faq`, from every kind it is.
pub fn asked_for(faq: &FaqEntry) -> impl Iterator<Item = &'static str> + '_ {
    KINDS
        .iter()
        .filter(|kind| kind.names(faq))
        .flat_map(|kind| kind.asked.iter().copied())
}

/// The phrasings of every outside kind no FAQ entry of the profile names.
pub fn outside(faq: &[FaqEntry]) -> impl Iterator<Item = &'static str> + '_ {
    OUTSIDE
        .iter()
        .filter(|kind| !faq.iter().any(|entry| kind.names(entry)))
        .flat_map(|kind| kind.asked.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faq(topic: &str, keywords: &[&str]) -> FaqEntry {
        FaqEntry {
            topic: topic.to_owned(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            answer: "An answer.".to_owned(),
        }
    }

    #[test]
    fn a_faq_gets_the_phrasings_of_the_kinds_its_words_name() {
        let toilets = faq("Bathrooms", &["Ladies' room"]);
        let asked: Vec<_> = asked_for(&toilets).collect();
        assert!(asked.contains(&"where can I freshen up"), "{asked:?}");
        assert!(!asked.contains(&"can I get online"), "{asked:?}");
        // Two kinds in one entry: both sets of phrasings.
        let both = faq("Guest Wi-Fi and coffee", &[]);
        let asked: Vec<_> = asked_for(&both).collect();
        assert!(
            asked.contains(&"can I get online") && asked.contains(&"I'm thirsty"),
            "{asked:?}"
        );
    }

    #[test]
    fn what_a_profile_offers_is_not_out_of_reach() {
        let clinic = [faq("restrooms", &["toilet"]), faq("parking", &["car park"])];
        let away: Vec<_> = outside(&clinic).collect();
        assert!(away.contains(&"can you call me a taxi"), "{away:?}");
        assert!(away.contains(&"is there a good pub near here"), "{away:?}");
        // A hotel with a taxi rank answers for taxis, buses and trains itself.
        let hotel = [faq("Taxis", &["cab", "airport transfer"])];
        let away: Vec<_> = outside(&hotel).collect();
        assert!(!away.contains(&"can you call me a taxi"), "{away:?}");
        assert!(!away.contains(&"where's the nearest bus stop"), "{away:?}");
        assert!(away.contains(&"are you hiring"), "{away:?}");
    }

    #[test]
    fn a_topic_no_kind_names_gets_none() {
        assert_eq!(asked_for(&faq("lost property", &["lost", "found"])).count(), 0);
        // A mark must be a whole word: "tea" is not in "team".
        assert_eq!(asked_for(&faq("team", &["teams"])).count(), 0);
    }
}
