// The staff desktop page: today's waiting visitors with an "On my way" button, and the live
// events. Everything comes from the Rust side (Tauri commands and events); no logic here.

const tauri = globalThis.__TAURI__;
const visits = document.getElementById("visits");
const events = document.getElementById("events");
const noVisits = document.getElementById("no-visits");
const status = document.getElementById("status");

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function refreshEmpty() {
  noVisits.hidden = visits.children.length > 0;
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
  button.textContent = "On my way";
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await tauri.core.invoke("acknowledge", { visitId: id });
      card.classList.add("acknowledged");
      button.textContent = "On the way";
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

async function start() {
  try {
    const { visits: today } = await tauri.core.invoke("staff_snapshot");
    for (const v of today.slice().reverse()) {
      if (v.acknowledged_at == null && v.checked_out_at == null) {
        addVisit(v.id, `${v.visitor_name} is at reception${v.appointment_time ? ` (appointment ${v.appointment_time})` : ""}.`, v.checked_in_at);
      }
    }
  } catch (err) {
    status.textContent = err?.message ?? String(err);
  }
  refreshEmpty();
  // The header follows the event stream itself: connected only while it is.
  const showLink = (link) => {
    const text = {
      connecting: "Connecting…",
      connected: "Connected",
      reconnecting: `Reconnecting: ${link.detail}`,
      refused: link.detail,
    }[link.state];
    status.textContent = text ?? "";
    status.dataset.link = link.state;
  };
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
