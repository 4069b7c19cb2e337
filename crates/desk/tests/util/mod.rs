//! A visitor at the kiosk of one of the example profiles, for the desk's integration tests:
//! each turn is planned by the dialogue and its tools are run by the reception, as the engine
//! and the gateway do, with the clock pinned on the business's own wall clock.

#![allow(dead_code)] // each test file uses its own part

use std::path::Path;

use donna_desk::store::Store;
use donna_desk::{Desk, DeskEvent, Dialogue, Reception};
use jiff::civil::DateTime;
use serde_json::Value;
use tokio::sync::broadcast;

pub const CLINIC: &str = "harbor-clinic.toml";
pub const LAW_FIRM: &str = "northwind-legal.toml";

pub fn profile_text(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles").join(file);
    std::fs::read_to_string(path).expect("the example profile is readable")
}

/// A visitor at the kiosk of the business described by `text`.
pub struct Visitor {
    pub dialogue: Dialogue,
    pub reception: Reception,
}

impl Visitor {
    /// A visitor arriving at `at` on the business's wall clock, with the profile `text`.
    pub fn with_profile(text: &str, at: DateTime) -> Self {
        let profile = donna_desk::Profile::parse(text, "test profile").expect("a valid profile");
        let zone = profile.timezone.clone();
        let instant = at.to_zoned(zone).expect("a real local time").timestamp();
        let desk = Desk::new(profile).with_fixed_time(instant);
        Self {
            dialogue: Dialogue::default(),
            reception: Reception::new(desk, Store::open_in_memory().expect("memory store"), vec![]),
        }
    }

    /// A visitor at one of the example profiles.
    pub fn at(file: &str, at: DateTime) -> Self {
        Self::with_profile(&profile_text(file), at)
    }

    pub fn say(&mut self, text: &str) -> String {
        self.dialogue.turn(
            &self.reception,
            text,
            donna_desk::Recording::under(Some("kiosk-1")),
        )
    }

    pub fn visits(&self) -> Vec<donna_desk::store::Visit> {
        self.reception.store().visits_since(0).expect("visits")
    }

    pub fn messages(&self) -> Vec<donna_desk::store::Message> {
        self.reception.store().messages_since(0).expect("messages")
    }

    pub fn tool(&self, name: &str, arguments: Value) -> Value {
        let out = self.reception.run_tool(name, &arguments.to_string(), None);
        serde_json::from_str(&out).expect("tool output is JSON")
    }
}

pub fn next_event(rx: &mut broadcast::Receiver<DeskEvent>) -> DeskEvent {
    rx.try_recv().expect("an event was published")
}
