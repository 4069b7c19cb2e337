// The conversation panel: the visitor's typed messages and Donna's replies, and the notices
// Donna adds unasked. Sends through transport.js; renders plain text only.

import { ask, DonnaError } from "./transport.js";
import { KIOSK } from "./strings.js";

const messages = document.getElementById("messages");
const form = document.getElementById("chat-form");
const input = document.getElementById("chat-input");
const send = document.getElementById("chat-send");

/** Add a line to the conversation; `kind` is its CSS classes (visitor, donna, notice, error). */
export function addMessage(kind, text) {
  const item = document.createElement("li");
  item.className = `msg ${kind}`;
  item.textContent = text; // never innerHTML: replies and errors are plain text
  messages.append(item);
  messages.scrollTop = messages.scrollHeight; // scroll the panel, never the page
  return item;
}

/** Send `text` as the visitor's message and show Donna's answer (typed or tapped). */
export async function sendMessage(text) {
  addMessage("visitor", text);
  send.disabled = true;
  const pending = addMessage("donna pending", "…");
  try {
    const reply = await ask(text);
    pending.className = "msg donna";
    pending.textContent = reply;
    messages.scrollTop = messages.scrollHeight;
  } catch (err) {
    pending.className = "msg error";
    pending.textContent = err instanceof DonnaError ? err.message : KIOSK.somethingWrong;
  } finally {
    send.disabled = false;
  }
}

async function submit(event) {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await sendMessage(text);
  input.focus();
}

/** Donna's first words, in the business's own greeting (the conversation is left as it is). */
export function setGreeting(greeting) {
  const first = messages.querySelector(".msg.greeting");
  if (first) first.textContent = greeting;
}

/** Wipe the conversation for the next visitor: only Donna's greeting stays. */
export function clearConversation(greeting) {
  const first = document.createElement("li");
  first.className = "msg donna greeting";
  first.textContent = greeting;
  messages.replaceChildren(first);
  input.value = "";
}

/** Take typed messages from now on, with the cursor in the box. */
export function startChat() {
  form.addEventListener("submit", submit);
  input.focus();
}
