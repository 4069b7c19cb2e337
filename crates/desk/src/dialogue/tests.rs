//! The dialogue turn by turn, on the example profile at pinned hours.

use super::*;
use crate::store::Store;
use crate::{Desk, Reception};

/// A visitor at the kiosk: each turn runs tools through the reception, as the engine does.
struct Visit {
    dialogue: Dialogue,
    reception: Reception,
    now: Zoned,
}

impl Visit {
    fn at(h: i8) -> Self {
        let desk = Desk::load(None).unwrap();
        // Thursday 26 November 2026, open 08:00-20:00.
        let now = jiff::civil::date(2026, 11, 26)
            .at(h, 0, 0, 0)
            .to_zoned(desk.profile().timezone.clone())
            .unwrap();
        // The tools read the desk's clock: the same hour as the dialogue's.
        let desk = desk.with_fixed_time(now.timestamp());
        Self {
            dialogue: Dialogue::default(),
            reception: Reception::new(desk, Store::open_in_memory().unwrap(), vec![]),
            now,
        }
    }

    fn say(&mut self, text: &str) -> String {
        answer_of(self.exchange(text))
    }

    /// A turn, with everything said and done in it.
    fn exchange(&mut self, text: &str) -> Vec<Said> {
        self.dialogue.exchange_at(
            &self.reception,
            text,
            &self.now,
            crate::Recording::under(Some("conv_test")),
        )
    }

    fn visits(&self) -> Vec<crate::store::Visit> {
        self.reception.store().visits_since(0).unwrap()
    }
}

/// A visitor who walks away mid-message leaves nothing for the next one.
#[test]
fn a_half_finished_visit_expires_after_a_silence() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("Can I leave a message for Tom Becker?"),
        "Of course. What would you like me to tell them?"
    );
    // Within the patience, the next words are the message.
    v.now = v.now.checked_add(jiff::SignedDuration::from_secs(60)).unwrap();
    assert_eq!(
        v.say("I'm running late"),
        "Thank you. And who should I say it's from?"
    );
    // Two minutes later someone else asks the way: not a sender's name, not a message.
    v.now = v.now.checked_add(jiff::SignedDuration::from_secs(120)).unwrap();
    let reply = v.say("Where are the toilets?");
    assert!(!reply.contains("passed your message"), "{reply}");
    assert!(v.reception.store().messages_since(0).unwrap().is_empty());

    // A name given, then a long silence: the next visitor's check-in is not in that name.
    let mut v = Visit::at(10);
    v.say("My name is Ann Lee");
    v.now = v.now.checked_add(jiff::SignedDuration::from_secs(300)).unwrap();
    assert_eq!(
        v.say("I'm here to see Tom Becker"),
        "Thank you. May I have your name, please?"
    );
    assert!(v.visits().is_empty());
}

#[test]
fn check_in_with_disambiguation_name_and_time() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("Hi, I'm here to see Maria at two"),
        "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
    );
    assert_eq!(
        v.say("The one in general practice"),
        "Thank you. May I have your name, please?"
    );
    let reply = v.say("It's Ann Lee");
    assert!(
        reply.starts_with("Thank you, Ann. I've let Dr Maria Chen know you're here."),
        "{reply}"
    );
    let visits = v.visits();
    assert_eq!(visits.len(), 1);
    assert_eq!(
        (visits[0].visitor_name.as_str(), visits[0].host_staff_id.as_str()),
        ("Ann Lee", "maria-chen")
    );
    assert_eq!(visits[0].appointment_time.as_deref(), Some("14:00"));
}

#[test]
fn a_known_name_checks_in_at_once() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("Good morning, my name is Bob Ray"),
        "Nice to meet you, Bob. How can I help you today?"
    );
    let reply = v.say("I have an appointment with Doctor Okafor at half past ten");
    assert!(
        reply.starts_with("Thank you, Bob. I've let Dr James Okafor know"),
        "{reply}"
    );
    assert_eq!(v.visits()[0].appointment_time.as_deref(), Some("10:30"));
    assert_eq!(
        v.say("I'm leaving now, bye"),
        "You're all checked out. Thank you for visiting, and have a good day!"
    );
    assert!(v.visits()[0].checked_out_at.is_some());
}

#[test]
fn here_to_see_someone_asks_who_then_checks_in() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("I'm here to see someone"),
        "Of course. Who are you here to see?"
    );
    assert_eq!(v.say("Tom Becker"), "Thank you. May I have your name, please?");
    assert!(
        v.say("Ann Lee")
            .starts_with("Thank you, Ann. I've let Tom Becker know")
    );
    assert_eq!(v.visits().len(), 1);
}

#[test]
fn unknown_staff_changing_ones_mind_and_after_hours() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("I'm here to see Bob Smith"),
        "I'm sorry, I couldn't find anyone called Bob Smith here. Could you tell me their full name or their department?"
    );
    assert_eq!(
        v.say("I'm here to see Maria"),
        "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
    );
    assert_eq!(
        v.say("Actually, never mind"),
        "No problem. Is there anything else I can help you with?"
    );
    assert!(v.visits().is_empty());
    // After hours the visit is recorded (the profile's default policy) and the visitor
    // told that the business is closed.
    let mut late = Visit::at(21);
    late.say("I'm here to see Priya Shah");
    let reply = late.say("Ann Lee");
    assert!(
        reply.starts_with("Thank you, Ann. We're closed right now. We open again tomorrow at 8 am."),
        "{reply}"
    );
    assert_eq!(late.visits().len(), 1);
}

#[test]
fn leaving_a_message_over_several_turns() {
    let mut v = Visit::at(11);
    assert_eq!(
        v.say("Can I leave a message?"),
        "Of course. Who is the message for?"
    );
    assert_eq!(
        v.say("Tom Becker"),
        "Of course. What would you like me to tell them?"
    );
    assert_eq!(
        v.say("The delivery for the pharmacy will come on Monday"),
        "Thank you. And who should I say it's from?"
    );
    assert_eq!(
        v.say("Cara Diaz"),
        "Thank you. I've passed your message to Tom Becker."
    );
    let messages = v.reception.store().messages_since(0).unwrap();
    assert_eq!(
        (messages[0].from_name.as_str(), messages[0].body.as_str()),
        ("Cara Diaz", "The delivery for the pharmacy will come on Monday")
    );
    // In one breath, with the name already known.
    assert_eq!(
        v.say("Please leave a message for Priya Shah that I'll be ten minutes late"),
        "Thank you. I've passed your message to Priya Shah."
    );
}

#[test]
fn help_and_deliveries_call_staff_over() {
    let mut v = Visit::at(10);
    let mut rx = v.reception.subscribe();
    assert_eq!(
        v.say("I need help, I feel dizzy"),
        "I've let Sarah Nguyen know. Someone will be with you shortly."
    );
    let event = rx.try_recv().unwrap();
    assert_eq!(
        (event.kind.as_str(), event.staff_id.as_deref()),
        ("staff.notified", Some("sarah-nguyen"))
    );
    assert!(event.summary.contains("I need help, I feel dizzy"));
    assert_eq!(
        v.say("I have a parcel for Tom Becker"),
        "I've let Tom Becker know. Someone will be with you shortly. Deliveries go to the front desk on the ground floor. Medicines and cold-chain parcels are taken straight to the pharmacy."
    );
    assert!(
        v.say("Where do deliveries go?")
            .starts_with("Deliveries go to the front desk")
    );
}

#[test]
fn a_clock_in_another_zone_is_read_in_the_business_zone() {
    let desk = Desk::load(None).unwrap();
    // 07:30 UTC on a summer Thursday is 08:30 in London: open, although 07:30 is not.
    let utc = jiff::civil::date(2026, 6, 25)
        .at(7, 30, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap();
    let mut dialogue = Dialogue::default();
    assert_eq!(
        dialogue.plan(desk.profile(), "I'm here to see Priya Shah", &utc),
        say("Thank you. May I have your name, please?")
    );
    assert_eq!(
        crate::reply::answer(desk.profile(), "are you open?", &utc),
        "Yes, we're open now, until 8 pm today."
    );
}

#[test]
fn restating_the_visit_is_not_a_name() {
    let mut v = Visit::at(10);
    v.say("I'm here to see Maria Chen");
    assert_eq!(
        v.say("I'm here to see Becker"),
        "Thank you. May I have your name, please?"
    );
    assert!(v.say("Ann Lee").contains("I've let Tom Becker know"));
    assert_eq!(v.visits()[0].visitor_name, "Ann Lee");
}

/// A recogniser that loses the end of "My name is Ann Walker" leaves no name to check in.
#[test]
fn a_name_cut_short_is_asked_again_not_checked_in() {
    let mut v = Visit::at(10);
    v.say("I'm here to see Maria Chen");
    for cut in ["my name is", "My name is at.", "It's the"] {
        assert_eq!(
            v.say(cut),
            "Sorry, I didn't catch your name. Could you say it again?",
            "{cut:?}"
        );
    }
    assert!(v.visits().is_empty());
    assert!(
        v.say("My name is Ann Walker.")
            .contains("I've let Dr Maria Chen know")
    );
    assert_eq!(v.visits()[0].visitor_name, "Ann Walker");
}

#[test]
fn visitor_names_are_capitalised_as_written() {
    assert_eq!(
        extract_name("mary-kate o'neil").as_deref(),
        Some("Mary-Kate O'Neil")
    );
    assert_eq!(
        extract_name("my name is maría garcía-lópez").as_deref(),
        Some("María García-López")
    );
    assert_eq!(extract_name("Ann McKay").as_deref(), Some("Ann McKay"));
}

#[test]
fn purposes_and_times_are_not_names() {
    assert_eq!(
        wanted_name("I'm here to see Bob Smith at two").as_deref(),
        Some("Bob Smith")
    );
    assert_eq!(
        wanted_name("I'm here for Dr Patel, please").as_deref(),
        Some("Dr Patel")
    );
    for thing in [
        "I'm here for an interview",
        "I'm here for my 3 o'clock",
        "I'm here to see the doctor",
        "I'm here for 3pm",
        "I'm here for interview",
        "I'm here for consultation",
        "I'm here for job interview",
    ] {
        assert_eq!(wanted_name(thing), None, "{thing}");
    }
    assert_eq!(
        visit_purpose("I'm here for interview").as_deref(),
        Some("interview")
    );
    assert_eq!(
        visit_purpose("Hi, I'm here for job interview, with Ann").as_deref(),
        Some("job interview")
    );
    assert_eq!(
        visit_purpose("Hello, I'm here for a job interview with Ann at two").as_deref(),
        Some("job interview")
    );
    assert_eq!(visit_purpose("I'm here for the 2pm meeting"), None);
    assert_eq!(visit_purpose("I'm here for Dr Patel"), None);
}

#[test]
fn questions_in_between_still_get_answers() {
    let mut v = Visit::at(10);
    v.say("I'm here to see Maria");
    // The visitor asks something else instead of choosing: that is answered, not lost.
    assert_eq!(v.say("Are you open on Sunday?"), "On Sunday we're closed.");
    assert!(v.say("Where are the toilets?").contains("ground floor"));
    assert!(v.say("Where can I find Okafur?").starts_with("Dr James Okafor"));
}

/// A conversation carried on by a dialogue that was not there (another gateway's, after the
/// first died): it reads what was said and done, and goes on as the first would have.
#[test]
fn a_dialogue_that_recalls_the_conversation_carries_it_on() {
    let mut v = Visit::at(10);
    let mut said = v.exchange("Hi, I'm here to see Maria at two");
    said.extend(v.exchange("The one in general practice"));
    let mut carried = Dialogue::default();
    for s in &said {
        carried.recall(v.reception.desk().profile(), s, &v.now);
    }
    v.dialogue = carried;
    assert!(
        v.say("It's Ann Lee")
            .starts_with("Thank you, Ann. I've let Dr Maria Chen know you're here.")
    );
    let visits = v.visits();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].appointment_time.as_deref(), Some("14:00"));

    // What a tool answered steers the next turn too: directions to someone, then a name.
    let mut v = Visit::at(10);
    let said = v.exchange("Where can I find Dr Okafor?");
    assert!(
        matches!(&said[1], Said::Tool { name, .. } if name == crate::tools::LOOKUP_STAFF),
        "{said:?}"
    );
    let mut carried = Dialogue::default();
    for s in &said {
        carried.recall(v.reception.desk().profile(), s, &v.now);
    }
    v.dialogue = carried;
    assert!(v.say("I'm Bob Ray").contains("Okafor"));
    assert_eq!(v.visits()[0].host_staff_id, "james-okafor");
    // Recalling ran nothing: one visit, the one the last turn made.
    assert_eq!(v.visits().len(), 1);
}

/// A message asked for as a favour: "tell Tom ...", "let Priya know ..." is passed on, and
/// Donna asks only what she does not know yet.
#[test]
fn a_visitor_who_asks_donna_to_tell_someone_something_leaves_a_message() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("Could you tell Tom Becker that I'm running ten minutes late?"),
        "Thank you. And who should I say it's from?"
    );
    assert!(v.say("Cara Diaz").contains("passed"), "the message is taken");
    let stored = v.reception.store().messages_since(0).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].for_staff_id.as_str(),
            stored[0].from_name.as_str(),
            stored[0].body.as_str()
        ),
        ("tom-becker", "Cara Diaz", "I'm running ten minutes late")
    );
    // "Tell me ..." is a question for Donna, not a message.
    let mut v = Visit::at(10);
    assert!(
        !v.say("Can you tell me where the toilets are?")
            .contains("who should I say")
    );
    assert!(v.reception.store().messages_since(0).unwrap().is_empty());
}

/// Checked in, a visitor who asks Donna to let their host know hears that she already has;
/// anything more for the host is a message.
#[test]
fn after_a_check_in_letting_the_host_know_is_already_done() {
    let mut v = Visit::at(10);
    assert!(
        v.say("I'm Ann Lee to see Tom Becker")
            .starts_with("Thank you, Ann.")
    );
    assert_eq!(
        v.say("Could you let him know I'm here?"),
        "I already have: I let Tom Becker know you're here when you checked in."
    );
    assert_eq!(
        v.say("Please tell Tom Becker I've arrived"),
        "I already have: I let Tom Becker know you're here when you checked in."
    );
    assert!(v.reception.store().messages_since(0).unwrap().is_empty());
    // Something else for him is passed on, signed with the name she was given.
    assert!(v.say("Can you tell him I'm parking the car").contains("passed"));
    let stored = v.reception.store().messages_since(0).unwrap();
    assert_eq!(
        (stored[0].from_name.as_str(), stored[0].body.as_str()),
        ("Ann Lee", "I'm parking the car")
    );
    assert_eq!(v.visits().len(), 1, "checked in once");
}

/// A visitor who shares a name with a member of staff is introducing themselves, not asking
/// for them.
#[test]
fn a_visitor_named_like_a_member_of_staff_is_the_visitor() {
    let mut v = Visit::at(10);
    assert!(
        v.say("Hi, my name is Tom Becker and I'm here to see Priya Shah")
            .starts_with("Thank you, Tom. I've let Priya Shah know you're here.")
    );
    let visits = v.visits();
    assert_eq!(
        (visits[0].visitor_name.as_str(), visits[0].host_staff_id.as_str()),
        ("Tom Becker", "priya-shah")
    );
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("Hello, I'm Maria Lopez, I have an appointment"),
        "Of course. Who is your appointment with?"
    );
    assert!(
        v.say("Dr Okafor")
            .starts_with("Thank you, Maria. I've let Dr James Okafor know")
    );
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("My name is Priya Shah"),
        "Nice to meet you, Priya. How can I help you today?"
    );
    // Asking for someone by name is still asking for them.
    let mut v = Visit::at(10);
    assert!(
        v.say("I'm here to see Maria Lopez")
            .starts_with("Thank you. May I have your name")
    );
}

/// Departments by their everyday short forms, and staff by what they do.
#[test]
fn places_by_their_short_names_and_staff_by_their_roles() {
    let asked = |line: &str| Visit::at(10).say(line);
    assert!(asked("Where's physio?").starts_with("Physiotherapy is on the ground floor"));
    assert!(asked("Where is the GP?").starts_with("General Practice is on the first floor"));
    assert!(asked("How do I get to admin?").starts_with("Administration is on the second floor"));
    assert!(asked("Where can I find the practice manager?").starts_with("Maria Lopez, our Practice Manager"));
    assert!(asked("Is the physiotherapist in today?").starts_with("Priya Shah, our Physiotherapist"));
    // Asked for by role, checked in with them.
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("I need to see the pharmacist"),
        "Thank you. May I have your name, please?"
    );
    assert!(
        v.say("Ann Lee")
            .starts_with("Thank you, Ann. I've let Tom Becker know")
    );
    // Two of a role: which one.
    assert!(asked("I'm here to see the general practitioner").starts_with("Do you mean"));
    // A word that is only the start of another is no department ("general" waiting area).
    assert!(!asked("Is there a general waiting area?").starts_with("General Practice"));
}

/// A favour asked for someone named by their role, in any form of the verb, is a message to
/// them with the words that follow.
#[test]
fn a_message_for_someone_asked_for_by_their_role() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("Would you mind telling the pharmacist that my order can wait?"),
        "Thank you. And who should I say it's from?"
    );
    assert!(v.say("Ann Lee").contains("passed"));
    let stored = v.reception.store().messages_since(0).unwrap();
    assert_eq!(
        (stored[0].for_staff_id.as_str(), stored[0].body.as_str()),
        ("tom-becker", "my order can wait")
    );
    // Nothing after the role, or after the name: what to tell them is asked.
    for asked in [
        "Could you be letting the practice manager know?",
        "Could you let Tom Becker know",
    ] {
        let mut v = Visit::at(10);
        assert_eq!(
            v.say(asked),
            "Of course. What would you like me to tell them?",
            "{asked}"
        );
    }
}

/// One word after "I'm" is a name only when written as one.
#[test]
fn how_a_visitor_is_is_not_their_name() {
    let mut v = Visit::at(10);
    assert_eq!(v.say("I'm thirsty"), reply::UNSURE);
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("I'm Ann"),
        "Nice to meet you, Ann. How can I help you today?"
    );
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("i'm ann"),
        "Nice to meet you, Ann. How can I help you today?"
    );
}

/// Words to vectors by the words alone (each word's hash picks a dimension): enough to drive
/// the dialogue through meaning without the real model, which crates/meaning tests.
#[derive(Debug)]
struct BagOfWords;

impl crate::meaning::Embed for BagOfWords {
    fn embed(&self, text: &str) -> Result<Vec<f32>, crate::DeskError> {
        use std::hash::{Hash, Hasher};
        let mut v = vec![0f32; 256];
        for w in words(text) {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            v[(h.finish() % 256) as usize] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        Ok(v.into_iter().map(|x| x / norm).collect())
    }

    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, crate::DeskError> {
        texts.iter().map(|t| self.embed(t)).collect()
    }
}

/// What no rule knows is acted on by its meaning: a message asked for in other words goes on
/// over the turns as any message does, the staff it names kept out of the meaning.
#[test]
fn what_no_rule_knows_is_understood_by_its_meaning() {
    let mut v = Visit::at(10);
    assert_eq!(
        v.say("Get word to Dr Okafor for me"),
        "Dr James Okafor, our General Practitioner in General Practice, is on the first floor, room 106. If you're here to see them, tell me your name and I'll let them know you've arrived."
    );
    let profile = v.reception.desk().profile().clone();
    let meanings = crate::meaning::Meanings::build(&profile, std::sync::Arc::new(BagOfWords)).unwrap();
    // Set on a clone, seen by the desk: every clone of a profile shares its understanding.
    profile.understanding.set(meanings);
    assert!(
        v.reception
            .desk()
            .profile()
            .understanding
            .state()
            .starts_with("ready (")
    );
    v.dialogue = Dialogue::default();
    assert_eq!(
        v.say("Get word to Dr Okafor for me"),
        "Of course. What would you like me to tell them?"
    );
    assert_eq!(
        v.say("I'm running late"),
        "Thank you. And who should I say it's from?"
    );
    assert_eq!(
        v.say("Ann Lee"),
        "Thank you. I've passed your message to Dr James Okafor."
    );
    // Nothing near enough: not sure, never a guess.
    assert_eq!(v.say("Quantum chromodynamics"), reply::UNSURE);

    let staff: Vec<&StaffMember> = profile.staff.iter().filter(|s| s.id == "maria-chen").collect();
    assert_eq!(
        without_names("Could you ask Dr Maria Chen to ring me", &staff),
        "Could you ask someone to ring me"
    );
    assert_eq!(
        without_names("tell the General Practitioner", &staff),
        "tell the someone"
    );
}

/// A visitor checking where they are, misheard as introducing themselves, is not named after the
/// business; and a sentence of function words alone is not matched by its meaning, however near
/// a short example it falls.
#[test]
fn the_place_is_no_name_and_function_words_mean_nothing() {
    let mut v = Visit::at(10);
    let profile = v.reception.desk().profile().clone();
    profile
        .understanding
        .set(crate::meaning::Meanings::build(&profile, std::sync::Arc::new(BagOfWords)).unwrap());
    for heard in ["This is Harbor Street Clinic.", "this is harbor street"] {
        let said = v.say(heard);
        assert!(!said.starts_with("Nice to meet you"), "{heard:?} -> {said:?}");
        assert_eq!(v.dialogue.visitor_name, None, "{heard:?}");
    }
    assert_eq!(
        v.say("This is Ann Lee."),
        "Nice to meet you, Ann. How can I help you today?"
    );
    // "are you open at the weekend" is an example: "are you" shares two of its words.
    let meanings = profile.understanding.get().unwrap();
    assert!(meanings.ranked("are you").unwrap()[0].1 >= TRUST);
    assert_eq!(v.say("are you"), reply::UNSURE);
    assert!(v.say("Are you open at the weekend?").contains("open"));
}
