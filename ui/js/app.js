// Wires the page: the chat panel sends through transport.js and renders replies; the voice panel
// shows its state. No business logic lives here.

import { ask, clockReading, DonnaError, onNotice, pressMic, releaseMic, startVoice, transportKind } from "./transport.js";

const messages = document.getElementById("messages");
const form = document.getElementById("chat-form");
const input = document.getElementById("chat-input");
const send = document.getElementById("chat-send");
const clock = document.getElementById("clock");

document.body.dataset.transport = transportKind;

function addMessage(kind, text) {
  const item = document.createElement("li");
  item.className = `msg ${kind}`;
  item.textContent = text; // never innerHTML: replies and errors are plain text
  messages.append(item);
  messages.scrollTop = messages.scrollHeight; // scroll the panel, never the page
  return item;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  addMessage("visitor", text);
  input.value = "";
  send.disabled = true;
  const pending = addMessage("donna pending", "…");
  try {
    const reply = await ask(text);
    pending.className = "msg donna";
    pending.textContent = reply;
    messages.scrollTop = messages.scrollHeight;
  } catch (err) {
    pending.className = "msg error";
    pending.textContent = err instanceof DonnaError ? err.message : "Something went wrong. Please ask at the front desk.";
  } finally {
    send.disabled = false;
    input.focus();
  }
});

// --- voice panel: renders what the native voice path reports ----------------------------------

const mic = document.getElementById("mic");
const micLabel = mic.querySelector(".mic-label");
const voiceState = document.getElementById("voice-state");
const level = document.getElementById("level");
const meter = level.parentElement;
const note = document.getElementById("voice-note");
const captions = document.getElementById("captions");
const STATE_TEXT = { idle: "Idle", listening: "Listening…", thinking: "Thinking…", speaking: "Speaking", off: "Voice off" };
let talking = false;

// The note under the mic: each missing device has its own line (a missing microphone and a
// missing speaker both show), and the hint on how to talk shows when nothing is wrong.
let hint = "";
const missing = { input: "", output: "" };

function showNote() {
  const problems = [missing.input, missing.output].filter(Boolean);
  note.textContent = problems.length ? problems.join(" ") : hint;
  note.classList.toggle("problem-note", problems.length > 0);
}

function showState(state) {
  voiceState.dataset.state = state;
  voiceState.textContent = STATE_TEXT[state] ?? state;
}

function caption(speaker, itemId) {
  const line = document.createElement("p");
  line.className = `caption ${speaker}`;
  if (itemId) line.dataset.item = itemId;
  captions.append(line);
  while (captions.children.length > 6) captions.firstElementChild.remove();
  return line;
}

function onVoiceEvent(e) {
  switch (e.type) {
    case "level": {
      const pct = Math.round(e.input * 100);
      level.style.width = `${pct}%`;
      meter.setAttribute("aria-valuenow", String(pct));
      break;
    }
    case "state":
      showState(e.state);
      break;
    case "visitor_turn":
      // The visitor's words go above Donna's answer even when their transcript comes later.
      caption("visitor", null).classList.add("pending");
      break;
    case "caption": {
      let line = captions.querySelector(`[data-item="${CSS.escape(e.item_id)}"]`);
      if (!line && e.speaker === "visitor") {
        line = captions.querySelector(".caption.visitor.pending");
        if (line) {
          line.classList.remove("pending");
          line.dataset.item = e.item_id;
        }
      }
      line ??= caption(e.speaker, e.item_id);
      line.textContent = e.done ? e.text : line.textContent + e.text;
      break;
    }
    case "barge_in": {
      const line = captions.querySelector(`[data-item="${CSS.escape(e.item_id)}"]`);
      line?.classList.add("interrupted");
      break;
    }
    case "device":
      if (e.state.state === "lost") {
        missing[e.direction] = e.direction === "input"
          ? "The microphone is not connected, so please type your question."
          : "The speaker is not connected: Donna's answers show here as text.";
        if (e.direction === "input") mic.disabled = true;
      } else if (e.state.state === "running") {
        missing[e.direction] = "";
        if (e.direction === "input") mic.disabled = false;
      }
      showNote();
      break;
    case "error":
      note.textContent = "Sorry, I couldn't answer that by voice. Please try again or type your question.";
      break;
  }
}

async function micDown(event) {
  event.preventDefault();
  if (mic.disabled || talking) return;
  talking = true;
  mic.setAttribute("aria-pressed", "true");
  micLabel.textContent = "Release to send";
  await pressMic().catch(() => {});
}

async function micUp() {
  if (!talking) return;
  talking = false;
  mic.setAttribute("aria-pressed", "false");
  micLabel.textContent = "Hold to talk";
  await releaseMic().catch(() => {});
}

mic.addEventListener("pointerdown", micDown);
for (const type of ["pointerup", "pointerleave", "pointercancel"]) mic.addEventListener(type, micUp);
mic.addEventListener("keydown", (e) => { if ((e.key === " " || e.key === "Enter") && !e.repeat) micDown(e); });
mic.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") micUp(); });

startVoice(onVoiceEvent)
  .then((info) => {
    if (!info) {
      // A plain browser has no voice path: say so once, for good.
      showState("off");
      hint = "Voice is not available in this browser. Please type your question.";
    } else {
      mic.disabled = Boolean(missing.input);
      hint = info.mode === "push_to_talk" ? "Hold the button and speak." : "Just speak: Donna is listening.";
    }
    showNote();
  })
  .catch((err) => {
    showState("off");
    hint = err instanceof DonnaError ? err.message : "Voice is not available right now. Please type your question.";
    showNote();
  });

// The business's time in its own zone; the device's clock only until the first reading.
async function tick() {
  const shown = { hour: "2-digit", minute: "2-digit" };
  try {
    const reading = await clockReading();
    shown.timeZone = reading.time_zone;
    clock.textContent = new Date(reading.now_ms).toLocaleTimeString([], shown);
  } catch {
    if (!clock.textContent) clock.textContent = new Date().toLocaleTimeString([], shown);
  }
}
tick();
setInterval(tick, 10_000);
input.focus();

// Things Donna says unasked: a staff member on their way.
onNotice((text) => addMessage("donna notice", text));
