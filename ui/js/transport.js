// The one place that knows how the UI reaches Donna: Tauri IPC inside the app window, HTTP to
// the gateway in a plain browser. Everything else in ui/ calls these functions only.

import { BrowserVoice, kioskToken } from "./browser-voice.js";
import { KIOSK } from "./strings.js";

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

// A browser holds one conversation with the gateway: the id `/api/chat` gave it goes with every
// later message, so a visit spans several turns ("Who are you here to see?" ... "Ann Lee").
let conversationId = null;
const noticeListeners = [];
let notices = null; // the EventSource of the conversation's notices

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
  // One key per turn, the same on every attempt: a turn the gateway stored before it died is
  // not stored twice when it is sent again.
  const key = turnKey();
  let body;
  try {
    body = await postChat(message, conversationId, key);
  } catch (err) {
    if (!(err instanceof DonnaError)) throw err;
    if (err.kind === "unreachable") {
      // The gateway may be restarting: one more try after a breath.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      body = await postChat(message, conversationId, key).catch((again) => {
        if (again instanceof DonnaError && again.kind === "conversation_not_found") return postChat(message, null, key);
        throw again;
      });
    } else if (err.kind === "conversation_not_found") {
      // The conversation expired (a long pause, or the gateway restarted): start a new one.
      body = await postChat(message, null, key);
    } else {
      throw err;
    }
  }
  if (body.conversation_id && body.conversation_id !== conversationId) {
    conversationId = body.conversation_id;
    followNotices();
  }
  return body.reply;
}

/** 32 random hex digits (crypto.randomUUID needs a secure context; a LAN page may not be one). */
function turnKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "turn-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function postChat(message, id, key) {
  let response;
  try {
    response = await fetch("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(id ? { message, conversation_id: id } : { message }),
    });
  } catch {
    throw new DonnaError("unreachable", KIOSK.unreachable);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new DonnaError(body?.error?.code ?? "http_" + response.status, body?.error?.message ?? response.statusText);
  }
  return body;
}

/**
 * Call `listener(text)` with each notice for the visitor at this screen, such as "Maria is on
 * their way." once their host acknowledges them.
 */
export function onNotice(listener) {
  noticeListeners.push(listener);
  if (tauri) {
    globalThis.__TAURI__?.event?.listen("donna://notice", (event) => listener(event.payload.text));
  }
}

// In a browser, the notices of the current conversation arrive as server-sent events.
function followNotices() {
  notices?.close();
  notices = new EventSource(`/api/chat/${encodeURIComponent(conversationId)}/events`);
  notices.addEventListener("visitor.acknowledged", (event) => {
    const summary = JSON.parse(event.data)?.summary;
    if (summary) for (const listener of noticeListeners) listener(summary);
  });
}

/**
 * Call `listener(link)` with how Donna is connected now and at each change:
 * `{state: "connecting"|"live"|"reconnecting"|"down", backend, fallback, reasons}`. Only the
 * app's window has its own session to follow; a browser's conversations go through the gateway.
 */
export function onLink(listener) {
  if (!tauri) return;
  globalThis.__TAURI__?.event?.listen("donna://link", (event) => listener(event.payload));
  tauri.invoke("link").then(listener, () => {});
}

/**
 * Tell the app's watchdog, every second, that this page is alive; a page that stops is
 * reloaded (and the app restarted if that does not help). Nothing to do in a browser.
 */
export function startHeartbeat() {
  if (!tauri) return;
  const beat = () => tauri.invoke("heartbeat").catch(() => {});
  beat();
  setInterval(beat, 1000);
}

/**
 * The first screen: `{name, greeting, suggestions, mode, visit: {idle_s, goodbye_s, max_s}}`.
 */
export async function welcome() {
  if (tauri) return tauri.invoke("welcome");
  const response = await fetch("/api/welcome");
  if (!response.ok) throw new DonnaError("http_" + response.status, response.statusText);
  return response.json();
}

/**
 * The visit is over: Donna forgets the conversation (and a browser's notices stop), so the
 * next visitor starts afresh.
 */
export async function endVisit() {
  if (tauri) {
    await tauri.invoke("end_visit");
    return;
  }
  notices?.close();
  notices = null;
  browserVoice?.newConversation().catch(() => {});
  const id = conversationId;
  conversationId = null;
  if (id) {
    // Best effort: a conversation the gateway already expired is just as ended.
    await fetch(`/api/chat/${encodeURIComponent(id)}`, { method: "DELETE" }).catch(() => {});
  }
}

/**
 * The business's clock: `{now_ms, time_zone, stopped}`, so the page shows the front desk's time
 * (and a stopped demonstration clock) whatever the device's zone.
 */
export async function clockReading() {
  if (tauri) return tauri.invoke("clock");
  const response = await fetch("/api/clock");
  if (!response.ok) throw new DonnaError("http_" + response.status, response.statusText);
  return response.json();
}

// In the app, voice is native: its Rust side owns the microphone and the speaker. A browser
// holds its own realtime call (browser-voice.js) once it has been made a kiosk.
let browserVoice = null;

/**
 * Turn voice on; `onEvent` receives each voice event ({type: "level" | "state" | "visitor_turn"
 * | "caption" | "barge_in" | "device" | "error", ...}). Resolves to `{mode}`, or null where voice
 * is not available (a browser that is no kiosk).
 */
export async function startVoice(onEvent) {
  if (!tauri) {
    const token = kioskToken();
    if (!token || !globalThis.RTCPeerConnection || !navigator.mediaDevices) return null;
    const screen = await welcome();
    const voice = { vad: Boolean(screen.voice?.vad), wsProxy: Boolean(screen.voice?.ws_proxy) };
    browserVoice = new BrowserVoice(token, voice, onEvent);
    try {
      return await browserVoice.start();
    } catch (err) {
      browserVoice = null;
      throw new DonnaError(err?.kind ?? "internal", err?.message ?? String(err));
    }
  }
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
  else await browserVoice?.press();
}

/** The mic button came up: Donna answers. */
export async function releaseMic() {
  if (tauri) await tauri.invoke("voice_release");
  else await browserVoice?.release();
}
