// The staff desktop page: today's waiting visitors with an "On my way" button, and the live
// events. Everything comes from the Rust side (Tauri commands and events); no logic here.

import { STAFF } from "./strings.js";

const tauri = globalThis.__TAURI__;
const visits = document.getElementById("visits");
const events = document.getElementById("events");
const noVisits = document.getElementById("no-visits");
const problem = document.getElementById("visits-problem");
const status = document.getElementById("status");

// "Nobody is waiting" is only said when it is known: today's list has loaded and the link works.
let loaded = false;

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function refreshEmpty() {
  noVisits.hidden = !loaded || !problem.hidden || visits.children.length > 0;
}

// What went wrong and what to do, where the list would be: a refused token or an unreachable
// front desk must not look like a quiet morning.
const PROBLEMS = STAFF.problems;

function showProblem(kind, detail) {
  const { title, todo } = PROBLEMS[kind] ?? PROBLEMS.gateway;
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

function addVisit(id, summary, at) {
  if (visits.querySelector(`[data-visit-id="${id}"]`)) return;
  const card = document.createElement("li");
  card.className = "card visit";
  card.dataset.visitId = String(id);
  const text = document.createElement("p");
  text.className = "summary";
  text.textContent = summary;
  const when = document.createElement("time");
  when.textContent = time(at);
  const button = document.createElement("button");
  button.className = "ack";
  button.type = "button";
  button.textContent = STAFF.onMyWay;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await tauri.core.invoke("acknowledge", { visitId: id });
      card.classList.add("acknowledged");
      button.textContent = STAFF.onTheWay;
    } catch (err) {
      button.disabled = false;
      status.textContent = err?.message ?? String(err);
    }
  });
  card.append(text, when, button);
  visits.prepend(card);
  refreshEmpty();
}

function addEvent(summary, at) {
  const item = document.createElement("li");
  item.textContent = `${time(at)} — ${summary}`;
  events.prepend(item);
}

// Today's waiting visitors; on failure the list area says why.
async function loadToday() {
  try {
    const { visits: today } = await tauri.core.invoke("staff_snapshot");
    for (const v of today.slice().reverse()) {
      if (v.acknowledged_at == null && v.checked_out_at == null) {
        addVisit(v.id, STAFF.atReception(v.visitor_name, v.appointment_time), v.checked_in_at);
      }
    }
    loaded = true;
    clearProblem();
  } catch (err) {
    showProblem(err?.kind === "unauthorized" ? "refused" : err?.kind, err?.message ?? String(err));
  }
}

// The header and the list follow the event stream itself: connected only while it is.
function showLink(link) {
  const words = STAFF.link[link.state];
  const text = typeof words === "function" ? words(link.detail) : words;
  status.textContent = text ?? "";
  status.dataset.link = link.state;
  if (link.state === "refused") {
    showProblem("refused", link.detail);
  } else if (link.state === "unreachable") {
    showProblem("unreachable", link.detail);
  } else if (link.state === "connected") {
    if (loaded) clearProblem();
    else loadToday();
  }
}

async function start() {
  await loadToday();
  await tauri.event.listen("donna://staff-link", ({ payload }) => showLink(payload));
  showLink(await tauri.core.invoke("staff_link"));
  await tauri.event.listen("donna://staff-event", ({ payload }) => {
    addEvent(payload.summary, payload.at);
    if (payload.kind === "visitor.checked_in" && payload.data?.visit_id != null) {
      addVisit(payload.data.visit_id, payload.summary, payload.at);
    }
    if (payload.kind === "visitor.acknowledged" && payload.data?.visit_id != null) {
      visits.querySelector(`[data-visit-id="${payload.data.visit_id}"]`)?.classList.add("acknowledged");
    }
  });
  document.body.dataset.ready = "true";
}

start();
