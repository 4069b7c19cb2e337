// The one place that knows how the UI reaches Donna: Tauri IPC inside the app window, HTTP to
// the gateway in a plain browser. Everything else in ui/ calls these functions only.

const tauri = globalThis.__TAURI__?.core;

/** Which path this page uses: "ipc" in the app, "http" in a browser. */
export const transportKind = tauri ? "ipc" : "http";

/** An error the UI can show: `kind` is stable, `message` is for people. */
export class DonnaError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** Send one message; resolves to Donna's reply text. */
export async function ask(message) {
  if (tauri) {
    try {
      const { reply } = await tauri.invoke("chat", { message });
      return reply;
    } catch (err) {
      // Commands fail with { kind, message }.
      throw new DonnaError(err?.kind ?? "internal", err?.message ?? String(err));
    }
  }
  let response;
  try {
    response = await fetch("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message }),
    });
  } catch {
    throw new DonnaError("unreachable", "Donna can't be reached right now. Please ask at the front desk.");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new DonnaError(body?.error?.code ?? "http_" + response.status, body?.error?.message ?? response.statusText);
  }
  return body.reply;
}

// Voice is native: the app's Rust side owns the microphone and the speaker. A plain browser
// has no voice path (it types instead).

/**
 * Turn voice on; `onEvent` receives each voice event ({type: "level" | "state" | "visitor_turn"
 * | "caption" | "barge_in" | "device" | "error", ...}). Resolves to `{mode}`, or null where voice
 * is not available (a browser).
 */
export async function startVoice(onEvent) {
  if (!tauri) return null;
  const channel = new tauri.Channel();
  channel.onmessage = onEvent;
  try {
    return await tauri.invoke("voice_start", { events: channel });
  } catch (err) {
    throw new DonnaError(err?.kind ?? "internal", err?.message ?? String(err));
  }
}

/** The mic button went down: the visitor talks. */
export async function pressMic() {
  if (tauri) await tauri.invoke("voice_press");
}

/** The mic button came up: Donna answers. */
export async function releaseMic() {
  if (tauri) await tauri.invoke("voice_release");
}
