// One visitor's visit at the screen: the business's welcome and the questions to tap, the
// attract screen of a kiosk between visitors, "Are you still there?" after a silence, then
// goodbye and a wiped screen, so the next visitor sees nothing of the one before. The timings
// come from the server (VISIT_IDLE_S, VISIT_GOODBYE_S, VISIT_MAX_S).

import { addMessage, clearConversation, sendMessage, setGreeting } from "./chat.js";
import { KIOSK } from "./strings.js";
import { endVisit, welcome } from "./transport.js";
import { clearCaptions } from "./voice.js";

const title = document.getElementById("title");
const suggestions = document.getElementById("suggestions");
const attract = document.getElementById("attract");
const attractName = document.getElementById("attract-name");
const attractStart = document.getElementById("attract-start");
const newVisit = document.getElementById("new-visit");
const input = document.getElementById("chat-input");

let screen = {
  name: "Donna",
  greeting: KIOSK.greeting,
  suggestions: [],
  mode: "window",
  visit: { idle_s: 60, goodbye_s: 20, max_s: 900 },
};
let inVisit = false;
let startedAt = 0;
let idleTimer = null;
let goodbyeTimer = null;
let maxTimer = null;
const resetListeners = [];

/** Call `listener` each time the screen is wiped for the next visitor. */
export function onReset(listener) {
  resetListeners.push(listener);
}

function clearTimers() {
  for (const timer of [idleTimer, goodbyeTimer, maxTimer]) clearTimeout(timer);
  idleTimer = goodbyeTimer = maxTimer = null;
}

function showSuggestions() {
  suggestions.replaceChildren(
    ...screen.suggestions.map((question) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.textContent = question;
      button.addEventListener("click", () => {
        activity("visitor");
        sendMessage(question);
      });
      return button;
    }),
  );
}

function showAttract(shown) {
  attract.hidden = !shown;
  document.body.dataset.attract = String(shown);
  if (shown) attractStart.focus();
  else input.focus();
}

/** True while a visitor is at the screen. */
export function visitActive() {
  return inVisit;
}

/** Something happened in the visit: the visitor spoke, typed or tapped, or Donna spoke. */
export function activity(who) {
  if (!inVisit) {
    if (who !== "visitor") return;
    inVisit = true;
    startedAt = Date.now();
    document.body.dataset.visit = "on";
    showAttract(false);
    maxTimer = setTimeout(() => windUp(KIOSK.visitTooLong), screen.visit.max_s * 1000);
  }
  clearTimeout(idleTimer);
  clearTimeout(goodbyeTimer);
  idleTimer = setTimeout(askStillThere, screen.visit.idle_s * 1000);
}

function askStillThere() {
  addMessage("donna still-there", KIOSK.stillThere);
  goodbyeTimer = setTimeout(() => windUp(KIOSK.goodbye), screen.visit.goodbye_s * 1000);
}

// Say goodbye, give the visitor a moment to read it, then wipe.
function windUp(words) {
  clearTimers();
  addMessage("donna goodbye", words);
  goodbyeTimer = setTimeout(reset, 3000);
}

/** The visit is over: Donna forgets it, the screen is wiped, a kiosk shows its attract screen. */
export async function reset() {
  clearTimers();
  inVisit = false;
  document.body.dataset.visit = "off";
  clearConversation(screen.greeting);
  clearCaptions();
  for (const listener of resetListeners) listener();
  try {
    await endVisit();
  } catch {
    // The screen is wiped whatever the server says; its conversations also expire on their own.
  }
  showAttract(screen.mode === "kiosk");
  document.body.dataset.resets = String(Number(document.body.dataset.resets ?? 0) + 1);
}

/** Show the business's welcome and follow the visitor's visit from now on; resolves to the
 * screen's settings. */
export async function startVisits() {
  try {
    screen = await welcome();
  } catch {
    // The built-in greeting and no suggestions: the page still works.
  }
  title.textContent = screen.name;
  attractName.textContent = screen.name;
  document.title = `${screen.name} — Donna`;
  document.body.dataset.mode = screen.mode;
  setGreeting(screen.greeting);
  showSuggestions();
  for (const type of ["keydown", "pointerdown"]) {
    document.addEventListener(type, (event) => {
      if (attract.contains(event.target)) return;
      if (inVisit || event.target === input || event.target.closest?.(".mic")) activity("visitor");
    });
  }
  attractStart.addEventListener("click", () => activity("visitor"));
  newVisit.addEventListener("click", reset);
  showAttract(screen.mode === "kiosk");
  document.body.dataset.welcome = "ready";
  return screen;
}
