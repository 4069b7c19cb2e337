// A browser's realtime session through the gateway's WebSocket proxy (`/realtime`), for sites
// that keep every realtime connection behind the gateway: the kiosk token goes as the
// subprotocol browsers use for keys, the microphone is captured by an AudioWorklet as PCM16
// 24 kHz and sent in `input_audio_buffer.append` events, and Donna's audio deltas are played
// here, so this side knows what was heard when the visitor talks over her.

import { VoiceError } from "./browser-voice.js";

const RATE = 24000;
const KEY_PROTOCOL = "openai-insecure-api-key.";

export class SocketLink {
  constructor(voice) {
    this.voice = voice;
    this.socket = null;
    this.context = null;
    this.capture = null;
    this.streaming = false;
    // Playback: the audio scheduled so far, and which item it belongs to.
    this.sources = [];
    this.playhead = 0;
    this.current = null; // { responseId, itemId, startedAt }
    this.done = new Set(); // responses whose audio has all arrived
    this.cancelled = new Set(); // responses stopped here: their deltas still on the way are dropped
  }

  async connect() {
    this.context = new AudioContext({ sampleRate: RATE });
    await this.context.audioWorklet.addModule("js/mic-worklet.js");
    const source = this.context.createMediaStreamSource(this.voice.stream);
    this.capture = new AudioWorkletNode(this.context, "pcm16-capture");
    this.capture.port.onmessage = (message) => {
      if (this.streaming) this.send({ type: "input_audio_buffer.append", audio: toBase64(message.data) });
    };
    source.connect(this.capture);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/realtime`, ["realtime", KEY_PROTOCOL + this.voice.token]);
    this.socket = socket;
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new VoiceError("unreachable", "The voice service cannot be reached."));
    });
    socket.onmessage = (message) => this.onEvent(JSON.parse(message.data));
    socket.onclose = () => this.voice.dropped(this);
  }

  send(event) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(event));
  }

  listen(on) {
    this.streaming = on;
  }

  /** Stop Donna's `responseId` here, and tell the session how much of her item was heard. */
  interrupt(responseId) {
    this.cancelled.add(responseId);
    const current = this.current;
    this.stopPlayback();
    this.send({ type: "response.cancel" });
    if (current) {
      const heard = Math.max(0, Math.round((this.context.currentTime - current.startedAt) * 1000));
      this.send({ type: "conversation.item.truncate", item_id: current.itemId, content_index: 0, audio_end_ms: heard });
      this.voice.cut(current.responseId);
    }
  }

  close() {
    this.socket?.close(1000);
    this.stopPlayback();
    this.context?.close();
  }

  onEvent(event) {
    switch (event.type) {
      case "response.output_audio.delta":
        this.schedule(event);
        break;
      case "response.output_audio.done":
        if (this.cancelled.has(event.response_id)) break;
        this.done.add(event.response_id);
        if (!this.sources.length) this.finished();
        break;
    }
    this.voice.heard(event);
  }

  /** Queue a delta after what is already playing. */
  schedule(event) {
    if (this.cancelled.has(event.response_id)) return;
    if (this.voice.pressed) {
      // The visitor holds the button: an answer that arrives now is not played over them.
      this.interrupt(event.response_id);
      return;
    }
    const bytes = Uint8Array.from(atob(event.delta), (c) => c.charCodeAt(0));
    const samples = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
    if (!samples.length) return;
    const buffer = this.context.createBuffer(1, samples.length, RATE);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 0x8000;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const at = Math.max(this.playhead, this.context.currentTime);
    if (!this.current || this.current.itemId !== event.item_id) {
      this.current = { responseId: event.response_id, itemId: event.item_id, startedAt: at };
      this.voice.playing(event.response_id);
    }
    source.start(at);
    this.playhead = at + buffer.duration;
    this.sources.push(source);
    source.onended = () => {
      this.sources = this.sources.filter((s) => s !== source);
      if (!this.sources.length) this.finished();
    };
  }

  /** Nothing is left to play: if the response's audio has all arrived, Donna has finished. */
  finished() {
    if (this.current && this.done.has(this.current.responseId)) {
      this.done.delete(this.current.responseId);
      this.current = null;
      this.voice.playing(null);
    }
  }

  stopPlayback() {
    for (const source of this.sources) {
      source.onended = null;
      source.stop();
    }
    this.sources = [];
    this.playhead = 0;
    this.current = null;
  }
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
