// The one place that knows how the staff page reaches Donna: Tauri commands and events inside
// the staff desktop app, HTTP and the server-sent event stream in a plain browser. In a browser
// the staff token lives in this tab's session storage only: never in the URL (it would end up
// in the history and in server logs), never in local storage (it would outlive the tab).

const tauri = globalThis.__TAURI__;

/** Which path this page uses: "ipc" in the app, "http" in a browser. */
export const linkKind = tauri?.core ? "ipc" : "http";

const TOKEN_KEY = "donna.staff-token";

/** An error the page can show: `kind` is stable ("refused", "unreachable", ...). */
export class StaffError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Whether the page can talk to the gateway now: the app always, a browser once signed in. */
export function signedIn() {
  return linkKind === "ipc" || Boolean(token());
}

/**
 * Check `candidate` with the gateway and keep it for this tab. Resolves to the token's claims;
 * rejects with kind "refused" when it is not a staff or admin token the gateway accepts.
 */
export async function signIn(candidate) {
  const value = candidate.trim();
  if (!value) throw new StaffError("refused", "Paste your staff token.");
  const claims = await request("GET", "/api/auth/me", value);
  if (claims.role !== "staff" && claims.role !== "admin") {
    throw new StaffError("refused", `This is a ${claims.role} token, not a staff token.`);
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  return claims;
}

/** Forget this tab's token. */
export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function request(method, path, bearer = token()) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${bearer}`, accept: "application/json" },
      cache: "no-store",
    });
  } catch {
    throw new StaffError("unreachable", "The front desk can't be reached.");
  }
  const body = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 403) {
    throw new StaffError("refused", body?.error?.message ?? "The token was refused.");
  }
  if (!response.ok) {
    throw new StaffError("gateway", body?.error?.message ?? `HTTP ${response.status}`);
  }
  return body;
}

async function invoke(command, args) {
  try {
    return await tauri.core.invoke(command, args);
  } catch (err) {
    const kind = err?.kind === "unauthorized" ? "refused" : (err?.kind ?? "gateway");
    throw new StaffError(kind, err?.message ?? String(err));
  }
}

/**
 * Today's visits and messages, newest first, and the front desk's time zone (the page shows
 * times in it, wherever the computer is): `{visits, messages, time_zone}`.
 */
export async function today() {
  if (linkKind === "ipc") return invoke("staff_snapshot");
  const [visits, messages, clock] = await Promise.all([
    request("GET", "/api/visits"),
    request("GET", "/api/messages"),
    request("GET", "/api/clock"),
  ]);
  return { visits, messages, time_zone: clock.time_zone };
}

/** "On my way" for visit `id`. */
export async function acknowledge(id) {
  if (linkKind === "ipc") return invoke("acknowledge", { visitId: id });
  await request("POST", `/api/visits/${encodeURIComponent(id)}/ack`);
}

/** Visit `id` is over: the visitor has left. Resolves to the visit as stored. */
export async function checkOut(id) {
  if (linkKind === "ipc") return invoke("check_out", { visitId: id });
  const { visit } = await request("POST", `/api/visits/${encodeURIComponent(id)}/checkout`);
  return visit;
}

/**
 * Follow the staff events: `onEvent(event)` for each ({id, kind, at, staff_id, summary, data}),
 * `onLink({state, detail})` as the link changes (connecting, connected, reconnecting,
 * unreachable, refused). Resolves once following has started.
 */
export async function follow(onEvent, onLink) {
  if (linkKind === "ipc") {
    await tauri.event.listen("donna://staff-link", ({ payload }) => onLink(payload));
    await tauri.event.listen("donna://staff-event", ({ payload }) => onEvent(payload));
    onLink(await tauri.core.invoke("staff_link"));
    return;
  }
  followStream(onEvent, onLink);
}

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 15000;

// EventSource cannot send a bearer token, so the stream is read with fetch and parsed here.
// After a break it resumes from the last event seen (`Last-Event-ID`): nothing is missed.
async function followStream(onEvent, onLink) {
  let lastId = null;
  let retry = FIRST_RETRY_MS;
  onLink({ state: "connecting" });
  for (;;) {
    const bearer = token();
    if (!bearer) return;
    let outcome;
    try {
      const headers = { authorization: `Bearer ${bearer}`, accept: "text/event-stream" };
      if (lastId) headers["last-event-id"] = lastId;
      const response = await fetch("/api/voice/events", { headers, cache: "no-store" });
      if (response.status === 401 || response.status === 403) {
        onLink({ state: "refused", detail: `HTTP ${response.status}` });
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onLink({ state: "connected" });
      retry = FIRST_RETRY_MS;
      await readEvents(response.body, (event) => {
        lastId = event.id ?? lastId;
        onEvent(event);
      });
      outcome = { state: "reconnecting", detail: "the front desk closed the event stream" };
    } catch (err) {
      outcome = err instanceof TypeError
        ? { state: "unreachable", detail: "the front desk can't be reached" }
        : { state: "reconnecting", detail: err?.message ?? String(err) };
    }
    onLink(outcome);
    await new Promise((resolve) => setTimeout(resolve, retry));
    retry = Math.min(retry * 2, LAST_RETRY_MS);
  }
}

// Server-sent events: blocks separated by a blank line, `data:` lines holding the event's JSON.
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const lines = block.split("\n");
      const field = (name) => lines
        .filter((line) => line.startsWith(`${name}:`))
        .map((line) => line.slice(name.length + 1).replace(/^ /, ""));
      const data = field("data").join("\n");
      if (!data) continue; // a keep-alive comment
      let event;
      try {
        event = JSON.parse(data);
      } catch {
        continue; // not an event of ours
      }
      // A lag notice has no kind of its own: the page reloads today's lists on it.
      event.kind ??= field("event")[0];
      onEvent(event);
    }
  }
}
