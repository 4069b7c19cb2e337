//! JSON log lines written already scrubbed: each field passes the [`Scrubber`] as it is
//! recorded (by name, then by shape), so a line is formatted once, instead of formatted,
//! parsed back, scrubbed and formatted again. The shape is `tracing-subscriber`'s JSON format
//! (`timestamp`, `level`, `fields`, `target`), which every reader of the files expects.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::Scrubber;

/// The event format of the JSON log files.
#[derive(Debug, Clone)]
pub struct ScrubbedJson {
    scrubber: Arc<Scrubber>,
}

impl ScrubbedJson {
    pub fn new(scrubber: Arc<Scrubber>) -> Self {
        Self { scrubber }
    }
}

impl<S, N> FormatEvent<S, N> for ScrubbedJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = String::with_capacity(256);
        let _ = write!(
            line,
            r#"{{"timestamp":"{}","level":"{}","fields":{{"#,
            jiff::Timestamp::now(),
            meta.level()
        );
        let mut fields = Fields {
            line: &mut line,
            scrubber: &self.scrubber,
            first: true,
        };
        event.record(&mut fields);
        line.push_str(r#"},"target":"#);
        quote(&mut line, meta.target());
        line.push_str("}\n");
        writer.write_str(&line)
    }
}

/// Writes each field of an event as `"name":value`, scrubbed.
struct Fields<'a> {
    line: &'a mut String,
    scrubber: &'a Scrubber,
    first: bool,
}

impl Fields<'_> {
    fn name(&mut self, field: &Field) -> bool {
        // Fields of events forwarded from the `log` crate: the metadata already says them.
        if field.name().starts_with("log.") {
            return false;
        }
        if !self.first {
            self.line.push(',');
        }
        self.first = false;
        quote(self.line, field.name());
        self.line.push(':');
        true
    }

    fn text(&mut self, field: &Field, value: &str) {
        if self.name(field) {
            let clean = self.scrubber.field(field.name(), value);
            quote(self.line, &clean);
        }
    }

    /// Numbers and booleans are written as they are, unless their name says to redact them.
    fn plain(&mut self, field: &Field, value: impl fmt::Display) {
        if self.scrubber.redacts(field.name()) {
            self.text(field, "");
        } else if self.name(field) {
            let _ = write!(self.line, "{value}");
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.text(field, &format!("{value:?}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.plain(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.plain(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.plain(field, value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.plain(field, value);
        } else {
            // JSON has no infinities or NaN.
            self.text(field, &value.to_string());
        }
    }
}

/// `text` as a JSON string. Runs of characters that need no escape are copied whole: most
/// values have none to escape.
fn quote(line: &mut String, text: &str) {
    line.push('"');
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        // Only ASCII bytes are escaped, so `i` is always on a character boundary.
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..0x20 => "",
            _ => continue,
        };
        line.push_str(&text[plain..i]);
        if escape.is_empty() {
            let _ = write!(line, "\\u{b:04x}");
        } else {
            line.push_str(escape);
        }
        plain = i + 1;
    }
    line.push_str(&text[plain..]);
    line.push('"');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::Value;
    use std::sync::Mutex;
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(log: impl FnOnce()) -> Vec<Value> {
        let sink = Sink::default();
        let writer = sink.clone();
        let scrubber = Arc::new(Scrubber::new().with_secrets(["sk-configured-0123456789"]));
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .event_format(ScrubbedJson::new(scrubber))
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, log);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn strings_are_escaped_only_where_json_needs_it() {
        let text = "plain \"quoted\" back\\slash\nline\r\ttab \u{1}bell é \u{7f}";
        let mut line = String::new();
        quote(&mut line, text);
        assert_eq!(
            line,
            "\"plain \\\"quoted\\\" back\\\\slash\\nline\\r\\ttab \\u0001bell é \u{7f}\""
        );
        assert_eq!(serde_json::from_str::<String>(&line).unwrap(), text);
    }

    #[test]
    fn lines_are_json_in_the_usual_shape_and_scrubbed_field_by_field() {
        let out = lines(|| {
            tracing::info!(
                target: "donna_security",
                visitor_name = "Jane \"JD\" Doe",
                phone = 5_551_234_567_u64,
                detail = %"call +44 20 7946 0958 or jane@example.com\nkey sk-configured-0123456789",
                request_id = "req_0123456789012",
                count = 3,
                ok = true,
                "issued {} to {}", "realtime_client_secret", "Bearer abc.def.ghi"
            );
        });
        let line = &out[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "donna_security");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'), "{line}");
        let fields = &line["fields"];
        assert_eq!(fields["message"], "issued realtime_client_secret to [secret]");
        assert_eq!(fields["visitor_name"], "[redacted]");
        assert_eq!(fields["phone"], "[redacted]");
        assert_eq!(fields["detail"], "call [phone] or [email]\nkey [redacted]");
        assert_eq!(fields["request_id"], "req_0123456789012");
        assert_eq!(fields["count"], 3);
        assert_eq!(fields["ok"], true);
    }
}
