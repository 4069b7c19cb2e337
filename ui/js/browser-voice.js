// Voice in a plain browser: the page's own realtime session with the browser's microphone and
// speaker, reporting the same voice events as the app window's native path, so the voice panel
// cannot tell them apart. The session runs over WebRTC to the backend the gateway names
// (voice-call.js), or over the gateway's WebSocket proxy when it is configured so
// (voice-socket.js); this module owns what both share: the microphone, the meter, the button,
// and what the session's events mean for the panel.
//
// A browser becomes a kiosk once, by opening the page as `/#kiosk-token=<token>`: the fragment
// never leaves the browser (not in requests, not in the gateway's logs). The page keeps the
// token in local storage, so the screen stays a kiosk across reloads, and takes it out of the
// address bar at once.

import { CallLink } from "./voice-call.js";
import { SocketLink } from "./voice-socket.js";

const TOKEN_KEY = "donna.kiosk-token";
/** The last syllable is still on its way when the button comes up. */
const RELEASE_TAIL_MS = 200;
/** After a dropped session, the next try. */
const RETRY_MS = 2000;
/**
 * Errors that report a harmless race (a cancel that found the answer already finished, a tap
 * too short to hold a word): the conversation goes on and the visitor is told nothing.
 */
const BENIGN_ERRORS = new Set([
  "response_cancel_not_active",
  "item_truncate_invalid_item_id",
  "input_audio_buffer_commit_empty",
  "conversation_already_has_active_response",
]);

/** The kiosk token this browser holds, taking a new one from the address first. */
export function kioskToken() {
  const match = /(?:^#|&)kiosk-token=([^&]+)/.exec(location.hash);
  if (match) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem(TOKEN_KEY);
}

/** An error with a stable `kind` and a message for people. */
export class VoiceError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/**
 * One browser's voice: `start()` connects, `press()`/`release()` are the mic button.
 * `emit(event)` receives `{type: "level" | "state" | "visitor_turn" | "caption" | "barge_in" |
 * "device" | "error", ...}`.
 */
export class BrowserVoice {
  constructor(token, { vad, wsProxy }, emit) {
    this.token = token;
    this.vad = vad;
    this.wsProxy = wsProxy;
    this.emit = emit;
    this.stream = null;
    this.link = null;
    this.pressed = false;
    this.speaking = null; // the response whose audio is playing
    this.responding = null; // the response being made, from response.created to response.done
    this.items = new Map(); // response id -> its audio item id
    this.closed = false;
  }

  /** Open the microphone and connect; resolves to `{mode}` once the session is up. */
  async start() {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        // Hands free, echo cancellation keeps Donna out of the open microphone. Held to talk,
        // the microphone is only open while she is silent (the button stops her), and the
        // recognisers hear speech better untouched: the browser's echo canceller, noise
        // suppressor and gain control each cost words at the start and end of a sentence.
        audio: { echoCancellation: this.vad, noiseSuppression: false, autoGainControl: false },
      });
    } catch (err) {
      this.emit({ type: "device", direction: "input", state: { state: "lost", reason: String(err?.name ?? err) } });
      throw new VoiceError("no_microphone", "The microphone is not available.");
    }
    this.meter();
    await this.connect();
    return { mode: this.vad ? "hands_free" : "push_to_talk" };
  }

  async connect() {
    const link = this.wsProxy ? new SocketLink(this) : new CallLink(this);
    this.link = link;
    await link.connect();
    // Hold to talk: nothing from the microphone leaves the page until the button is down.
    link.listen(this.vad || this.pressed);
    this.send({
      type: "session.update",
      session: {
        type: "realtime",
        audio: {
          input: {
            transcription: { model: "whisper-1" },
            turn_detection: this.vad ? { type: "server_vad", silence_duration_ms: 500 } : null,
          },
        },
      },
    });
    this.state("idle");
  }

  /** A client secret for a call, from the gateway, with this kiosk's token. */
  async clientSecret() {
    const response = await fetch("/api/realtime/token", {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: "{}",
    }).catch(() => null);
    const body = await response?.json().catch(() => null);
    if (!response?.ok) {
      throw new VoiceError(body?.error?.code ?? "unreachable", body?.error?.message ?? "Voice is not available right now.");
    }
    return body;
  }

  /** The session went away (told by `link`): call again after a breath. */
  dropped(link) {
    if (this.closed || link !== this.link) return;
    this.link = null;
    this.speaking = null;
    this.responding = null;
    this.state("idle");
    setTimeout(() => {
      if (!this.closed && !this.link) this.connect().catch(() => this.dropped(this.link));
    }, RETRY_MS);
  }

  /** A new visitor: a new session, so nothing of the last conversation carries over. */
  async newConversation() {
    if (this.closed || !this.stream) return;
    const old = this.link;
    this.link = null;
    old?.close();
    this.speaking = null;
    this.responding = null;
    this.items.clear();
    await this.connect();
  }

  send(event) {
    this.link?.send(event);
  }

  async press() {
    if (this.pressed || !this.link) return;
    this.pressed = true;
    // A held button gives the visitor the floor: it stops Donna mid-sentence (the session keeps
    // only what was heard), and an answer still being made is dropped before she says it.
    const answer = this.speaking ?? this.responding;
    if (answer) this.link.interrupt(answer);
    this.send({ type: "input_audio_buffer.clear" });
    this.link.listen(true);
    this.state("listening");
  }

  async release() {
    if (!this.pressed) return;
    this.pressed = false;
    await new Promise((resolve) => setTimeout(resolve, RELEASE_TAIL_MS));
    if (!this.vad) this.link?.listen(false);
    this.send({ type: "input_audio_buffer.commit" });
    this.send({ type: "response.create" });
    this.state("thinking");
  }

  state(state) {
    this.emit({ type: "state", state });
  }

  /** Donna's audio for `responseId` started (or, with null, stopped) playing. */
  playing(responseId) {
    if (responseId && this.pressed) {
      // Her audio began as the visitor took the floor: it stops before it is heard.
      this.link?.interrupt(responseId);
      return;
    }
    this.speaking = responseId;
    if (responseId) this.state("speaking");
    else if (!this.pressed) this.state("idle");
  }

  /** Donna's audio for `responseId` was cut short. */
  cut(responseId) {
    this.speaking = null;
    this.emit({ type: "barge_in", item_id: this.items.get(responseId) ?? "" });
  }

  /** What a server event means for the panel. */
  heard(event) {
    switch (event.type) {
      case "input_audio_buffer.speech_started":
        this.state("listening");
        break;
      case "input_audio_buffer.speech_stopped":
        this.state("thinking");
        break;
      case "input_audio_buffer.committed":
        this.emit({ type: "visitor_turn" });
        break;
      case "conversation.item.input_audio_transcription.completed":
        this.emit({ type: "caption", speaker: "visitor", item_id: event.item_id, text: event.transcript, done: true });
        break;
      case "response.created":
        this.responding = event.response?.id ?? null;
        break;
      case "response.output_item.added":
        this.items.set(event.response_id, event.item?.id);
        break;
      case "response.output_audio_transcript.delta":
        this.emit({ type: "caption", speaker: "donna", item_id: event.item_id, text: event.delta, done: false });
        break;
      case "response.output_audio_transcript.done":
        this.emit({ type: "caption", speaker: "donna", item_id: event.item_id, text: event.transcript, done: true });
        break;
      case "response.done":
        if (this.responding === event.response?.id) this.responding = null;
        // A response with nothing to say aloud ends here; a spoken one when its audio stops.
        if (!this.speaking && !this.pressed) this.state("idle");
        break;
      case "error":
        if (!BENIGN_ERRORS.has(event.error?.code)) this.emit({ type: "error", error: event.error });
        if (!this.pressed && !this.speaking) this.state("idle");
        break;
    }
  }

  /** The microphone's level, ten times a second, for the meter. */
  meter() {
    try {
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 512;
      context.createMediaStreamSource(this.stream).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      setInterval(() => {
        analyser.getFloatTimeDomainData(samples);
        const rms = Math.sqrt(samples.reduce((sum, s) => sum + s * s, 0) / samples.length);
        const live = this.vad || this.pressed;
        this.emit({ type: "level", input: live ? Math.min(1, rms * 4) : 0 });
      }, 100);
    } catch {
      // No meter is no reason to have no voice.
    }
  }
}
