//! What a visit costs on the cloud, and the cap on it (`VISIT_MAX_COST_USD`). The estimate
//! comes from the `usage` of each `response.done`, at the service's list prices for
//! `gpt-realtime`; where the report leaves the split open (cached input is not broken down by
//! modality) the dearer reading is taken, so the estimate errs high. Enforced here, on the
//! kiosk: once a visit has spent its budget the rest of it is answered by the local engine,
//! and the next visit starts with a fresh budget.

use std::sync::Mutex;

use donna_realtime::protocol::response::Usage;

/// US dollars per million tokens, `gpt-realtime`'s list prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub text_in: f64,
    pub audio_in: f64,
    pub cached_in: f64,
    pub text_out: f64,
    pub audio_out: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Self {
            text_in: 4.0,
            audio_in: 32.0,
            cached_in: 0.40,
            text_out: 16.0,
            audio_out: 64.0,
        }
    }
}

impl Prices {
    /// The estimated price of one response's `usage`, in dollars.
    pub fn of(&self, usage: &Usage) -> f64 {
        let input = &usage.input_token_details;
        let output = &usage.output_token_details;
        // Cached tokens are billed at the cached rate; the rest of the input as audio first
        // (the dearer), then text.
        let cached = input.cached_tokens.min(usage.input_tokens);
        let uncached = usage.input_tokens - cached;
        let audio_in = input.audio_tokens.min(uncached);
        let text_in = uncached - audio_in;
        // Output not broken down is taken as audio.
        let text_out = output.text_tokens.min(usage.output_tokens);
        let audio_out = usage.output_tokens - text_out;
        let per_token = |count: u64, price: f64| count as f64 * price / 1_000_000.0;
        per_token(cached, self.cached_in)
            + per_token(audio_in, self.audio_in)
            + per_token(text_in, self.text_in)
            + per_token(text_out, self.text_out)
            + per_token(audio_out, self.audio_out)
    }
}

/// An amount as people write it: cents for a budget, more digits below a cent.
pub fn dollars(amount: f64) -> String {
    if amount >= 0.01 {
        format!("${amount:.2}")
    } else {
        format!("${amount}")
    }
}

/// One visit's spending against its cap.
#[derive(Debug)]
pub struct Budget {
    cap_usd: f64,
    prices: Prices,
    spent_usd: Mutex<f64>,
}

impl Budget {
    pub fn new(cap_usd: f64) -> Self {
        Self {
            cap_usd,
            prices: Prices::default(),
            spent_usd: Mutex::new(0.0),
        }
    }

    pub fn cap_usd(&self) -> f64 {
        self.cap_usd
    }

    /// Add a cloud response's usage; true when this is the charge that spent the budget.
    pub fn charge(&self, usage: &Usage) -> bool {
        let mut spent = self.spent_usd.lock().unwrap_or_else(|p| p.into_inner());
        let before = *spent;
        *spent += self.prices.of(usage);
        before < self.cap_usd && *spent >= self.cap_usd
    }

    pub fn spent_usd(&self) -> f64 {
        *self.spent_usd.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new visit: nothing spent.
    pub fn reset(&self) {
        *self.spent_usd.lock().unwrap_or_else(|p| p.into_inner()) = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use donna_realtime::protocol::response::{InputTokenDetails, OutputTokenDetails};

    use super::*;

    fn usage(text_in: u64, audio_in: u64, cached: u64, text_out: u64, audio_out: u64) -> Usage {
        Usage {
            input_tokens: text_in + audio_in,
            output_tokens: text_out + audio_out,
            input_token_details: InputTokenDetails {
                text_tokens: text_in,
                audio_tokens: audio_in,
                cached_tokens: cached,
            },
            output_token_details: OutputTokenDetails {
                text_tokens: text_out,
                audio_tokens: audio_out,
            },
        }
    }

    #[test]
    fn a_spoken_turn_is_priced_at_list_prices() {
        // 1,000 instruction tokens (800 cached), 300 of the visitor's audio, 40 words of text
        // and 250 tokens of Donna's audio.
        let cost = Prices::default().of(&usage(1_000, 300, 800, 40, 250));
        let expected = (800.0 * 0.40 + 300.0 * 32.0 + 200.0 * 4.0 + 40.0 * 16.0 + 250.0 * 64.0) / 1e6;
        assert!((cost - expected).abs() < 1e-12, "{cost} vs {expected}");
    }

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(dollars(0.5), "$0.50");
        assert_eq!(dollars(12.0), "$12.00");
        assert_eq!(dollars(0.001), "$0.001");
    }

    #[test]
    fn an_undivided_report_is_priced_high() {
        let bare = Usage {
            input_tokens: 1_000,
            output_tokens: 1_000,
            ..Usage::default()
        };
        let cost = Prices::default().of(&bare);
        assert!(
            (cost - (1_000.0 * 4.0 + 1_000.0 * 64.0) / 1e6).abs() < 1e-12,
            "{cost}"
        );
    }

    #[test]
    fn the_budget_says_once_when_it_is_spent_and_a_new_visit_starts_afresh() {
        let budget = Budget::new(0.01);
        let turn = usage(500, 0, 0, 0, 100); // 0.002 + 0.0064
        assert!(!budget.charge(&turn));
        assert!(budget.charge(&turn), "the second turn spends it");
        assert!(!budget.charge(&turn), "said once");
        assert!(budget.spent_usd() > 0.01);
        budget.reset();
        assert_eq!(budget.spent_usd(), 0.0);
        assert!(!budget.charge(&turn));
    }
}
