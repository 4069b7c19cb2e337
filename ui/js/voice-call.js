// A browser's realtime session over WebRTC, as the service takes it: the microphone on the
// call's audio track, Donna's voice on the remote track into an <audio> element, and the
// protocol's events on the "oai-events" data channel. The offer goes to the backend the gateway
// names with the client secret it issued: the local engine's /v1/realtime/calls on the same
// origin, or the cloud's.

import { VoiceError } from "./browser-voice.js";

const EVENTS_CHANNEL = "oai-events";
const CLOUD_CALLS = "https://api.openai.com/v1/realtime/calls";
/** A host-only network gathers its candidates in milliseconds; this bounds a broken one. */
const GATHER_MS = 3000;

export class CallLink {
  constructor(voice) {
    this.voice = voice;
    this.pc = null;
    this.channel = null;
    this.track = voice.stream.getAudioTracks()[0];
    this.speaker = null;
  }

  async connect() {
    const { client_secret: secret, backend } = await this.voice.clientSecret();
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTrack(this.track, this.voice.stream);
    pc.ontrack = (event) => this.play(event.streams[0] ?? new MediaStream([event.track]));
    const channel = pc.createDataChannel(EVENTS_CHANNEL);
    this.channel = channel;
    const opened = new Promise((resolve, reject) => {
      channel.onopen = resolve;
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === "failed") reject(new VoiceError("unreachable", "The call did not connect."));
      };
    });
    channel.onmessage = (message) => this.onEvent(JSON.parse(message.data));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const response = await fetch(backend === "openai" ? CLOUD_CALLS : "/v1/realtime/calls", {
      method: "POST",
      headers: { authorization: `Bearer ${secret.value}`, "content-type": "application/sdp" },
      body: pc.localDescription.sdp,
    }).catch(() => null);
    if (!response?.ok) {
      const body = await response?.json().catch(() => null);
      pc.close();
      throw new VoiceError(body?.error?.code ?? "unreachable", body?.error?.message ?? "The call was not answered.");
    }
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    await opened;
    pc.onconnectionstatechange = () => {
      if (["failed", "closed", "disconnected"].includes(pc.connectionState)) this.voice.dropped(this);
    };
    channel.onclose = () => this.voice.dropped(this);
  }

  send(event) {
    if (this.channel?.readyState === "open") this.channel.send(JSON.stringify(event));
  }

  /** Send the microphone, or silence. */
  listen(on) {
    this.track.enabled = on;
  }

  /** Stop Donna: the engine holds her audio, and keeps only what was played of it. */
  interrupt() {
    this.send({ type: "response.cancel" });
    this.send({ type: "output_audio_buffer.clear" });
  }

  close() {
    this.pc?.close();
  }

  onEvent(event) {
    switch (event.type) {
      case "output_audio_buffer.started":
        this.voice.playing(event.response_id);
        break;
      case "output_audio_buffer.stopped":
        this.voice.playing(null);
        break;
      case "output_audio_buffer.cleared":
        this.voice.cut(event.response_id);
        break;
    }
    this.voice.heard(event);
  }

  /** Donna's voice from the call's remote track. */
  play(stream) {
    if (!this.speaker) {
      this.speaker = document.createElement("audio");
      this.speaker.autoplay = true;
      this.speaker.hidden = true;
      document.body.append(this.speaker);
    }
    this.speaker.srcObject = stream;
    this.speaker.play().catch(() => {});
  }
}

/** Until ICE gathering is complete (the engine takes no trickled candidates), or a bound. */
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
    setTimeout(resolve, GATHER_MS);
  });
}
