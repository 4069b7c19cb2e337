//! Decoding an event in two passes (its `type`, then only the matching struct) with errors in
//! the protocol's terms, and the macro that gives each direction its event enum.

use serde::Deserialize;

/// Why a text frame is not a usable event. Each maps onto the protocol's `error` event codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not a JSON object.
    #[error("We could not parse the JSON body of your request. ({0})")]
    NotJson(String),
    /// A JSON object without a string `type`.
    #[error("The 'type' field is missing.")]
    MissingType,
    /// A `type` this side does not know (servers reject these; clients keep them as `Unknown`),
    /// with the types the direction has.
    #[error("Invalid value: '{kind}'. Supported values are: {list}.", list = known.join(", "))]
    UnknownType {
        kind: String,
        known: &'static [&'static str],
    },
    /// A known event with a missing or wrong-typed field; `param` is its path (`item.call_id`).
    #[error("{message}")]
    Field {
        param: String,
        message: String,
        missing: bool,
    },
}

impl DecodeError {
    /// The protocol's error `code` for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::NotJson(_) => "invalid_json",
            DecodeError::MissingType => "invalid_event",
            DecodeError::UnknownType { .. } => "invalid_value",
            DecodeError::Field { missing: true, .. } => "missing_required_parameter",
            DecodeError::Field { missing: false, .. } => "invalid_value",
        }
    }

    /// The protocol's error `param` for this failure.
    pub fn param(&self) -> Option<String> {
        match self {
            DecodeError::NotJson(_) => None,
            DecodeError::MissingType | DecodeError::UnknownType { .. } => Some("type".to_owned()),
            DecodeError::Field { param, .. } => Some(param.clone()),
        }
    }
}

/// The first pass of decoding: only `type` and `event_id`, borrowed where possible.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

/// Read an event's `type` without decoding the rest.
pub(crate) fn peek_type(text: &str) -> Result<std::borrow::Cow<'_, str>, DecodeError> {
    let env: Envelope<'_> = serde_json::from_str(text).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    env.kind.ok_or(DecodeError::MissingType)
}

/// Decode one event struct, turning serde's error into a [`DecodeError::Field`] with its path.
pub(crate) fn decode_body<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, DecodeError> {
    // Fast path: plain serde. Only a failure pays for a second, path-tracking pass.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner().to_string();
        let mut param = e.path().to_string();
        // serde reports a missing field at its parent; name the field itself, as the service does.
        let missing = inner.starts_with("missing field `");
        if missing && let Some(field) = inner.split('`').nth(1) {
            param = if param == "." {
                field.to_owned()
            } else {
                format!("{param}.{field}")
            };
        }
        let message = if missing {
            format!("Missing required parameter: '{param}'.")
        } else {
            format!("Invalid value for '{param}': {}", strip_position(&inner))
        };
        DecodeError::Field {
            param,
            message,
            missing,
        }
    })
}

/// serde_json appends " at line 1 column 123"; that is noise for a one-line event.
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Generates a direction's event enum: serialisation with the `type` tag, `kind()`, and the
/// two-pass decoder with an `Unknown` fallback.
macro_rules! event_enum {
    (
        $(#[$meta:meta])* $name:ident { $($tag:literal => $variant:ident($ty:ty)),* $(,)? }
        aliases { $($alias:literal => $avariant:ident($aty:ty)),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(tag = "type")]
        // `session.update` carries a whole session config inline; boxing it would make every
        // construction and match noisier for a type that lives only between decode and use.
        #[allow(clippy::large_enum_variant)]
        pub enum $name {
            $( #[serde(rename = $tag)] $variant($ty), )*
            /// An event type this build does not know, kept whole.
            #[serde(untagged)]
            Unknown(serde_json::Value),
        }

        impl $name {
            /// Every `type` this enum knows.
            pub const KNOWN_TYPES: &'static [&'static str] = &[$($tag),*];

            /// The event's `type`.
            pub fn kind(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $tag, )*
                    Self::Unknown(raw) => raw.get("type").and_then(serde_json::Value::as_str).unwrap_or(""),
                }
            }

            /// Decode one text frame. Unknown types are `Ok(Unknown)`; use
            /// [`Self::parse_known`] where they are an error.
            pub fn parse(text: &str) -> Result<Self, $crate::protocol::codec::DecodeError> {
                match Self::parse_known(text) {
                    Err($crate::protocol::codec::DecodeError::UnknownType { .. }) => serde_json::from_str(text)
                        .map(Self::Unknown)
                        .map_err(|e| $crate::protocol::codec::DecodeError::NotJson(e.to_string())),
                    other => other,
                }
            }

            /// Decode one text frame; unknown types are
            /// [`DecodeError::UnknownType`](crate::protocol::DecodeError::UnknownType).
            pub fn parse_known(text: &str) -> Result<Self, $crate::protocol::codec::DecodeError> {
                let kind = $crate::protocol::codec::peek_type(text)?;
                match kind.as_ref() {
                    $( $tag => $crate::protocol::codec::decode_body::<$ty>(text).map(Self::$variant), )*
                    $( $alias => $crate::protocol::codec::decode_body::<$aty>(text).map(Self::$avariant), )*
                    other => Err($crate::protocol::codec::DecodeError::UnknownType {
                        kind: other.to_owned(),
                        known: Self::KNOWN_TYPES,
                    }),
                }
            }

            /// Encode as one JSON text frame.
            pub fn to_json(&self) -> String {
                // Serialising these types cannot fail: no maps with non-string keys, no custom
                // serialisers that error.
                serde_json::to_string(self).unwrap_or_default()
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = serde_json::Value::deserialize(d)?;
                let text = raw.to_string();
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use event_enum;
