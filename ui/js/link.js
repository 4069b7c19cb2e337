// How Donna is connected, said plainly: a quiet line in the header while she answers from a
// fallback (the kiosk's own engine when the cloud is out) or is reconnecting, and once, in the
// conversation, when a visitor is mid-visit as she falls back.

import { addMessage } from "./chat.js";
import { KIOSK } from "./strings.js";
import { onLink } from "./transport.js";
import { visitActive } from "./visit.js";

const note = document.getElementById("link-note");

function describe(link) {
  if (link.state === "live") return link.fallback ? KIOSK.linkOffline : "";
  if (link.state === "reconnecting" || link.state === "down") return KIOSK.linkReconnecting;
  return "";
}

/** Follow the app's session and show what the visitor should know of it. */
export function startLink() {
  let wasFallback = false;
  onLink((link) => {
    const text = describe(link);
    note.textContent = text;
    note.hidden = text === "";
    document.body.dataset.link = link.state === "live" && link.fallback ? "fallback" : link.state;
    const fallback = link.state === "live" && link.fallback;
    if (fallback && !wasFallback && visitActive()) addMessage("donna notice", KIOSK.offlineNotice);
    wasFallback = fallback;
  });
}
