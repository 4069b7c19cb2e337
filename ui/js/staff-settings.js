// The staff app's settings for the kiosk on this computer: which backend it uses and why, the
// OpenAI key saved to the OS keyring (the field is cleared at once; the key is never shown
// again), and the doctor's checks. Only in the desktop app: a browser has no keyring to use.

import { STAFF } from "./strings.js";

const tauri = globalThis.__TAURI__?.core;
const S = STAFF.settings;

const panel = document.getElementById("settings");
const open = document.getElementById("settings-open");
const backend = document.getElementById("settings-backend");
const keyState = document.getElementById("settings-key-state");
const form = document.getElementById("key-form");
const keyInput = document.getElementById("api-key");
const remove = document.getElementById("key-remove");
const note = document.getElementById("key-note");
const runChecks = document.getElementById("run-checks");
const checks = document.getElementById("checks");

function show(status) {
  backend.textContent = S.backend[status.backend] ?? status.backend;
  keyState.textContent = status.keyring_available
    ? S.key[status.api_key]
    : `${S.key[status.api_key]} ${S.noKeyring} (${status.keyring_problem})`;
  remove.disabled = status.api_key !== "keyring";
  form.querySelector("#key-save").disabled = !status.keyring_available;
}

async function call(command, args) {
  try {
    return { ok: await tauri.invoke(command, args) };
  } catch (error) {
    return { error: error?.message ?? String(error) };
  }
}

async function refresh() {
  const { ok, error } = await call("settings_status");
  if (ok) show(ok);
  else note.textContent = error;
}

async function save(event) {
  event.preventDefault();
  const key = keyInput.value;
  // The key leaves the page now: it is not kept in the field, the page or its history.
  keyInput.value = "";
  const { ok, error } = await call("save_api_key", { key });
  if (ok) {
    show(ok);
    note.textContent = S.saved;
  } else {
    note.textContent = error;
  }
}

async function removeKey() {
  const { ok, error } = await call("remove_api_key");
  if (ok) {
    show(ok);
    note.textContent = S.removed;
  } else {
    note.textContent = error;
  }
}

async function check() {
  runChecks.disabled = true;
  checks.replaceChildren();
  checks.dataset.state = "running";
  const { ok, error } = await call("run_checks");
  runChecks.disabled = false;
  if (!ok) {
    checks.dataset.state = "failed";
    note.textContent = error;
    return;
  }
  for (const c of ok.checks) {
    const item = document.createElement("li");
    item.className = `check ${c.status}`;
    item.dataset.name = c.name;
    const head = document.createElement("strong");
    head.textContent = `${S.status[c.status] ?? c.status} — ${c.name}: `;
    item.append(head, c.detail);
    if (c.hint) {
      const hint = document.createElement("p");
      hint.className = "voice-note";
      hint.textContent = c.hint;
      item.append(hint);
    }
    checks.append(item);
  }
  checks.dataset.state = ok.ok ? "ok" : "broken";
}

/** Offer the settings in the desktop app. */
export function startSettings() {
  if (!tauri) return;
  open.hidden = false;
  open.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    open.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) refresh();
  });
  form.addEventListener("submit", save);
  remove.addEventListener("click", removeKey);
  runChecks.addEventListener("click", check);
}
