//! `donna doctor`: the report (crates/app runs the checks) printed for people or as JSON. The
//! exit status is 1 when something a kiosk needs is broken.

use std::process::ExitCode;

use donna_app::Overrides;

pub fn run(overrides: &Overrides, json: bool) -> ExitCode {
    let report = donna_app::doctor::diagnose(overrides);
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        print!("{}", report.render());
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
