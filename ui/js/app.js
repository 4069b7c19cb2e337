// Wires the page: the chat panel sends through transport.js and renders replies; the voice panel
// shows its state. No business logic lives here.

import { ask, DonnaError, transportKind } from "./transport.js";

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
  item.scrollIntoView({ block: "end", behavior: "smooth" });
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
  } catch (err) {
    pending.className = "msg error";
    pending.textContent = err instanceof DonnaError ? err.message : "Something went wrong. Please ask at the front desk.";
  } finally {
    send.disabled = false;
    input.focus();
  }
});

function tick() {
  clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
tick();
setInterval(tick, 10_000);
input.focus();

// Things Donna says unasked (a staff member on their way); only the app window has them.
globalThis.__TAURI__?.event?.listen("donna://notice", (event) => {
  addMessage("donna notice", event.payload.text);
});
