//! Server-sent events, parsed as bytes arrive: `event:`, `id:` and `data:` fields, a blank line
//! ends an event, `:` starts a comment (keep-alives).

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: String,
}

/// Accumulates chunks and yields complete events.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: String,
    current: SseEvent,
    has_data: bool,
}

impl SseParser {
    /// Feed a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &str) -> Vec<SseEvent> {
        self.buffer.push_str(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.find('\n') {
            let line: String = self.buffer.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if self.has_data {
                    out.push(std::mem::take(&mut self.current));
                }
                self.current = SseEvent::default();
                self.has_data = false;
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line
                .split_once(':')
                .map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
            match field {
                "event" => self.current.event = Some(value.to_owned()),
                "id" => self.current.id = Some(value.to_owned()),
                "data" => {
                    if self.has_data {
                        self.current.data.push('\n');
                    }
                    self.current.data.push_str(value);
                    self.has_data = true;
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_comments() {
        let mut p = SseParser::default();
        assert!(
            p.push(": keep-alive\n\nevent: visitor.checked_in\nid: evt_1\nda")
                .is_empty()
        );
        let events = p.push("ta: {\"a\":1}\n\nevent: x\ndata: line1\ndata: line2\r\n\r\n");
        assert_eq!(
            events,
            vec![
                SseEvent {
                    event: Some("visitor.checked_in".into()),
                    id: Some("evt_1".into()),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    event: Some("x".into()),
                    id: None,
                    data: "line1\nline2".into()
                },
            ]
        );
    }
}
