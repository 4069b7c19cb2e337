// The staff page, in the staff desktop app and in any browser: today's visitors with "On my way"
// and "Checked out", today's messages, and the live events. How it reaches Donna is in
// staff-link.js; every sentence is in strings.js.

import { STAFF } from "./strings.js";
import * as link from "./staff-link.js";
import { startSettings } from "./staff-settings.js";

const signInView = document.getElementById("sign-in");
const signInForm = document.getElementById("sign-in-form");
const tokenInput = document.getElementById("token");
const signInButton = document.getElementById("sign-in-button");
const signInProblem = document.getElementById("sign-in-problem");
const signOut = document.getElementById("sign-out");
const desk = document.getElementById("desk");
const visits = document.getElementById("visits");
const messages = document.getElementById("messages");
const events = document.getElementById("events");
const noVisits = document.getElementById("no-visits");
const noMessages = document.getElementById("no-messages");
const problem = document.getElementById("visits-problem");
const status = document.getElementById("status");

// "Nobody is waiting" is only said when it is known: today's list has loaded and the link works.
let loaded = false;

// The front desk's time zone once known: a check-in at 10:00 in London reads 10:00 on a staff
// laptop in Auckland too. Until then, the computer's own.
let deskZone;

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: deskZone });
}

function refreshEmpty() {
  const waiting = visits.querySelector(".visit:not(.acknowledged):not(.left)");
  noVisits.hidden = !loaded || !problem.hidden || Boolean(waiting);
  noMessages.hidden = !loaded || messages.children.length > 0;
}

// What went wrong and what to do, where the list would be: a refused token or an unreachable
// front desk must not look like a quiet morning.
function showProblem(kind, detail) {
  const problems = STAFF.problems[link.linkKind];
  const { title, todo } = problems[kind] ?? problems.gateway;
  problem.replaceChildren();
  const heading = document.createElement("p");
  heading.className = "problem-title";
  heading.textContent = title;
  const advice = document.createElement("p");
  advice.textContent = todo;
  problem.append(heading, advice);
  if (detail) {
    const why = document.createElement("p");
    why.className = "problem-detail";
    why.textContent = detail;
    problem.append(why);
  }
  problem.dataset.kind = kind;
  problem.hidden = false;
  refreshEmpty();
}

function clearProblem() {
  problem.hidden = true;
  delete problem.dataset.kind;
  refreshEmpty();
}

function button(className, label, action) {
  const element = document.createElement("button");
  element.className = className;
  element.type = "button";
  element.textContent = label;
  element.addEventListener("click", async () => {
    element.disabled = true;
    try {
      await action();
    } catch (err) {
      element.disabled = false;
      status.textContent = err?.message ?? String(err);
    }
  });
  return element;
}

function markAcknowledged(card) {
  if (!card || card.classList.contains("acknowledged")) return;
  card.classList.add("acknowledged");
  const ack = card.querySelector(".ack");
  if (ack) {
    ack.textContent = STAFF.onTheWay;
    ack.disabled = true;
  }
  refreshEmpty();
}

function markLeft(card, at) {
  if (!card) return;
  card.classList.add("left");
  for (const action of card.querySelectorAll("button")) action.remove();
  card.querySelector("time").textContent = STAFF.leftAt(time(at));
  refreshEmpty();
}

function visitCard(id) {
  return visits.querySelector(`[data-visit-id="${CSS.escape(String(id))}"]`);
}

function addVisit({ id, summary, at, acknowledged, leftAt }) {
  if (visitCard(id)) return;
  const card = document.createElement("li");
  card.className = "card visit";
  card.dataset.visitId = String(id);
  const text = document.createElement("p");
  text.className = "summary";
  text.textContent = summary;
  const when = document.createElement("time");
  when.textContent = time(at);
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(
    button("ack", STAFF.onMyWay, async () => {
      await link.acknowledge(id);
      markAcknowledged(card);
    }),
    button("checkout", STAFF.checkedOut, async () => {
      const visit = await link.checkOut(id);
      markLeft(card, visit.checked_out_at);
    }),
  );
  card.append(text, when, actions);
  visits.prepend(card);
  if (acknowledged) markAcknowledged(card);
  if (leftAt != null) markLeft(card, leftAt);
  refreshEmpty();
}

function addMessage({ id, from, body, contact, at }) {
  if (messages.querySelector(`[data-message-id="${CSS.escape(String(id))}"]`)) return;
  const card = document.createElement("li");
  card.className = "card message";
  card.dataset.messageId = String(id);
  const who = document.createElement("p");
  who.className = "summary";
  who.textContent = STAFF.messageFrom(from, contact);
  const text = document.createElement("p");
  text.className = "body";
  text.textContent = body;
  const when = document.createElement("time");
  when.textContent = time(at);
  card.append(who, text, when);
  messages.prepend(card);
  refreshEmpty();
}

function addEvent(summary, at) {
  const item = document.createElement("li");
  item.textContent = `${time(at)} — ${summary}`;
  events.prepend(item);
}

// Today's visitors and messages; on failure the list area says why.
async function loadToday() {
  try {
    const today = await link.today();
    deskZone = today.time_zone || undefined;
    for (const v of today.visits.slice().reverse()) {
      addVisit({
        id: v.id,
        summary: STAFF.atReception(v.visitor_name, v.appointment_time),
        at: v.checked_in_at,
        acknowledged: v.acknowledged_at != null,
        leftAt: v.checked_out_at,
      });
    }
    for (const m of today.messages.slice().reverse()) {
      addMessage({ id: m.id, from: m.from_name, body: m.body, contact: m.contact, at: m.created_at });
    }
    loaded = true;
    clearProblem();
  } catch (err) {
    showProblem(err?.kind, err?.message ?? String(err));
  }
}

// The header and the list follow the event stream itself: connected only while it is.
function showLink(state) {
  const words = STAFF.link[state.state];
  status.textContent = (typeof words === "function" ? words(state.detail) : words) ?? "";
  status.dataset.link = state.state;
  if (state.state === "refused") {
    showProblem("refused", state.detail);
  } else if (state.state === "unreachable") {
    showProblem("unreachable", state.detail);
  } else if (state.state === "connected") {
    if (loaded) clearProblem();
    else loadToday();
  }
}

function onEvent(event) {
  if (event.kind === "events.lagged") {
    loadToday(); // the stream dropped some: the lists are read again
    return;
  }
  if (!event.summary) return;
  addEvent(event.summary, event.at);
  const visitId = event.data?.visit_id;
  if (event.kind === "visitor.checked_in" && visitId != null) {
    addVisit({ id: visitId, summary: event.summary, at: event.at });
  } else if (event.kind === "visitor.acknowledged" && visitId != null) {
    markAcknowledged(visitCard(visitId));
  } else if (event.kind === "visitor.checked_out" && visitId != null) {
    markLeft(visitCard(visitId), event.at);
  } else if (event.kind === "message.left" && event.data?.message_id != null) {
    addMessage({
      id: event.data.message_id,
      from: event.data.from_name,
      body: event.data.message,
      contact: event.data.contact,
      at: event.at,
    });
  }
}

async function openDesk() {
  signInView.hidden = true;
  desk.hidden = false;
  signOut.hidden = link.linkKind === "ipc";
  await loadToday();
  await link.follow(onEvent, showLink);
  document.body.dataset.ready = "true";
}

function askToSignIn(problemText) {
  desk.hidden = true;
  signInView.hidden = false;
  status.textContent = STAFF.signedOut;
  signInProblem.textContent = problemText ?? "";
  signInProblem.hidden = !problemText;
  tokenInput.focus();
  document.body.dataset.ready = "true";
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  signInButton.disabled = true;
  try {
    await link.signIn(tokenInput.value);
    tokenInput.value = "";
    await openDesk();
  } catch (err) {
    signInProblem.textContent = err?.message ?? String(err);
    signInProblem.hidden = false;
  } finally {
    signInButton.disabled = false;
  }
});

// Signing out forgets the token and everything shown with it.
signOut.addEventListener("click", () => {
  link.signOut();
  location.reload();
});

document.body.dataset.link = link.linkKind;
startSettings();
if (link.signedIn()) openDesk();
else askToSignIn();
