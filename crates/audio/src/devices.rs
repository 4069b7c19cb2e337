//! Audio devices: what there is, which is the default, and finding one by the name an operator
//! put in the settings. A device's name is its stable identifier within the audio host (on
//! Linux, the ALSA PCM name such as `default`, `pulse` or `sysdefault:CARD=USB`); its
//! description is the longer human text. Settings may give either, or part of one.

use cpal::traits::{DeviceTrait, HostTrait};

use crate::AudioError;

/// Input (microphone) or output (speaker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Input,
    Output,
}

impl Direction {
    /// "input" or "output", for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Output => "output",
        }
    }
}

/// One device as the settings and the doctor show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeviceInfo {
    /// What to put in `DONNA_INPUT_DEVICE` / `DONNA_OUTPUT_DEVICE`.
    pub name: String,
    /// The host's description of the device.
    pub description: String,
    pub direction: Direction,
    pub is_default: bool,
    /// The device's default stream format, when it can tell.
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    pub sample_format: Option<String>,
}

fn host() -> cpal::Host {
    cpal::default_host()
}

/// The name of a device (its identifier within the host), or a placeholder.
pub fn device_name(device: &cpal::Device) -> String {
    device
        .id()
        .map(|id| id.id().to_owned())
        .unwrap_or_else(|_| "(unnamed)".to_owned())
}

/// The host's description of a device.
pub fn device_description(device: &cpal::Device) -> String {
    device
        .description()
        .map(|d| d.name().to_owned())
        .unwrap_or_default()
}

/// ALSA's plugin PCMs that convert, mix or bridge to another sound system (from alsa-plugins
/// and alsa-lib's own configuration): they are listed beside the real devices, but a rate
/// converter, `null` or a JACK bridge is never what an operator means by the microphone, and
/// probing JACK or OSS only fills the terminal with their errors. They can still be named in
/// the settings.
const PLUGINS: [&str; 12] = [
    "a52",
    "jack",
    "lavrate",
    "null",
    "oss",
    "pulse_a52",
    "samplerate",
    "speex",
    "speexrate",
    "upmix",
    "usbstream",
    "vdownmix",
];

/// Whether `name` is one of ALSA's converter and routing plugins (or a variant such as
/// `samplerate_best`): they sit on top of real devices and only confuse a choice of device.
pub fn is_plugin(name: &str) -> bool {
    cfg!(target_os = "linux")
        && PLUGINS
            .iter()
            .any(|p| name == *p || name.strip_prefix(p).is_some_and(|rest| rest.starts_with('_')))
}

/// Every device of one direction, default first; ALSA's plugins ([`is_plugin`]) left out.
pub fn list(direction: Direction) -> Result<Vec<DeviceInfo>, AudioError> {
    let host = host();
    let default = match direction {
        Direction::Input => host.default_input_device(),
        Direction::Output => host.default_output_device(),
    }
    .map(|d| device_name(&d));
    let devices = match direction {
        Direction::Input => host.input_devices().map(|d| d.collect::<Vec<_>>()),
        Direction::Output => host.output_devices().map(|d| d.collect::<Vec<_>>()),
    }
    .map_err(|e| AudioError::HostUnavailable(e.to_string()))?;
    let mut out: Vec<DeviceInfo> = devices
        .iter()
        .filter(|d| !is_plugin(&device_name(d)))
        .map(|d| {
            let name = device_name(d);
            let config = match direction {
                Direction::Input => d.default_input_config(),
                Direction::Output => d.default_output_config(),
            }
            .ok();
            DeviceInfo {
                description: device_description(d),
                is_default: default.as_deref() == Some(name.as_str()),
                name,
                direction,
                sample_rate: config.as_ref().map(|c| c.sample_rate()),
                channels: config.as_ref().map(|c| c.channels()),
                sample_format: config.as_ref().map(|c| c.sample_format().to_string()),
            }
        })
        .collect();
    out.sort_by_key(|d| !d.is_default);
    Ok(out)
}

/// The device named `name` (exact match first, then case-insensitive substring), or the
/// default device when `name` is `None`.
pub fn find(direction: Direction, name: Option<&str>) -> Result<cpal::Device, AudioError> {
    let host = host();
    let Some(name) = name else {
        return match direction {
            Direction::Input => host.default_input_device(),
            Direction::Output => host.default_output_device(),
        }
        .ok_or(AudioError::NoDevice {
            direction: direction.as_str(),
            name: None,
        });
    };
    let devices = match direction {
        Direction::Input => host.input_devices().map(|d| d.collect::<Vec<_>>()),
        Direction::Output => host.output_devices().map(|d| d.collect::<Vec<_>>()),
    }
    .map_err(|e| AudioError::HostUnavailable(e.to_string()))?;
    let lower = name.to_lowercase();
    let exact = devices.iter().position(|d| device_name(d) == name);
    let fuzzy = || {
        devices
            .iter()
            .position(|d| device_name(d).to_lowercase().contains(&lower))
    };
    exact
        .or_else(fuzzy)
        .map(|i| devices[i].clone())
        .ok_or_else(|| AudioError::NoDevice {
            direction: direction.as_str(),
            name: Some(name.to_owned()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn converters_and_bridges_are_not_devices() {
        for plugin in [
            "lavrate",
            "samplerate_best",
            "speexrate_medium",
            "jack",
            "oss",
            "null",
        ] {
            assert!(is_plugin(plugin), "{plugin}");
        }
        for device in [
            "default",
            "pulse",
            "pipewire",
            "sysdefault:CARD=USB",
            "hw:CARD=PCH,DEV=0",
            "jackie",
        ] {
            assert!(!is_plugin(device), "{device}");
        }
    }
}
