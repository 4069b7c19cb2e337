// The voice panel: renders what the native voice path reports (state, level, captions, missing
// devices) and drives the mic button. A plain browser has no voice path and says so once.

import { DonnaError, pressMic, releaseMic, startVoice } from "./transport.js";
import { KIOSK } from "./strings.js";

const mic = document.getElementById("mic");
const micLabel = mic.querySelector(".mic-label");
const voiceState = document.getElementById("voice-state");
const level = document.getElementById("level");
const meter = level.parentElement;
const note = document.getElementById("voice-note");
const captions = document.getElementById("captions");
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
  voiceState.textContent = KIOSK.voiceState[state] ?? state;
}

function caption(speaker, itemId) {
  const line = document.createElement("p");
  line.className = `caption ${speaker}`;
  if (itemId) line.dataset.item = itemId;
  captions.append(line);
  while (captions.children.length > 6) captions.firstElementChild.remove();
  return line;
}

let activity = () => {};

function onVoiceEvent(e) {
  if (e.type === "visitor_turn" || (e.type === "caption" && e.speaker === "visitor")) activity("visitor");
  if (e.type === "state" && e.state !== "idle") activity("donna");
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
        missing[e.direction] = e.direction === "input" ? KIOSK.micMissing : KIOSK.speakerMissing;
        if (e.direction === "input") mic.disabled = true;
      } else if (e.state.state === "running") {
        missing[e.direction] = "";
        if (e.direction === "input") mic.disabled = false;
      }
      showNote();
      break;
    case "error":
      note.textContent = KIOSK.voiceFailed;
      break;
  }
}

async function micDown(event) {
  event.preventDefault();
  if (mic.disabled || talking) return;
  talking = true;
  mic.setAttribute("aria-pressed", "true");
  micLabel.textContent = KIOSK.micPressed;
  await pressMic().catch(() => {});
}

async function micUp() {
  if (!talking) return;
  talking = false;
  mic.setAttribute("aria-pressed", "false");
  micLabel.textContent = KIOSK.micIdle;
  await releaseMic().catch(() => {});
}

/** Wipe the captions for the next visitor. */
export function clearCaptions() {
  captions.replaceChildren();
}

/** Wire the mic button and start the voice path, showing what happens. `onActivity(kind)` is
 * told when the visitor talks ("visitor") or Donna does ("donna"), for the visit's clock. */
export function startVoicePanel(onActivity = () => {}) {
  activity = onActivity;
  mic.addEventListener("pointerdown", micDown);
  for (const type of ["pointerup", "pointerleave", "pointercancel"]) mic.addEventListener(type, micUp);
  mic.addEventListener("keydown", (e) => { if ((e.key === " " || e.key === "Enter") && !e.repeat) micDown(e); });
  mic.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") micUp(); });

  startVoice(onVoiceEvent)
    .then((info) => {
      if (!info) {
        // A plain browser has no voice path: say so once, for good.
        showState("off");
        hint = KIOSK.noVoiceInBrowser;
      } else {
        mic.disabled = Boolean(missing.input);
        hint = info.mode === "push_to_talk" ? KIOSK.pushToTalk : KIOSK.handsFree;
      }
      showNote();
    })
    .catch((err) => {
      showState("off");
      hint = err instanceof DonnaError ? err.message : KIOSK.voiceUnavailable;
      showNote();
    });
}
