// How the screen reads: larger text and high contrast for visitors who need them (kept for
// the visit only), and, on a kiosk, no context menu and none of the webview's shortcuts that
// reload the page, open tools or navigate away.

const largeText = document.getElementById("large-text");
const highContrast = document.getElementById("high-contrast");

function toggle(button, attribute) {
  button.addEventListener("click", () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(on));
    document.documentElement.toggleAttribute(attribute, on);
  });
}

/** Back to the standard display (a new visitor). */
export function resetDisplay() {
  for (const [button, attribute] of [[largeText, "data-large-text"], [highContrast, "data-high-contrast"]]) {
    button.setAttribute("aria-pressed", "false");
    document.documentElement.removeAttribute(attribute);
  }
}

// Reload, devtools, print, open, save, address bar, new window or tab, close, back and forward.
function isEscapeShortcut(event) {
  const key = event.key.toLowerCase();
  const mod = event.ctrlKey || event.metaKey;
  if (["f5", "f11", "f12", "browserback", "browserforward"].includes(key)) return true;
  if (event.altKey && (key === "arrowleft" || key === "arrowright" || key === "home")) return true;
  if (mod && ["r", "p", "o", "s", "l", "n", "t", "w", "q", "u", "+", "-", "=", "0"].includes(key)) return true;
  return mod && event.shiftKey && ["i", "j", "c"].includes(key);
}

/** Wire the display toggles; on a kiosk (`mode` "kiosk") lock the page down too. */
export function startDisplay(mode) {
  toggle(largeText, "data-large-text");
  toggle(highContrast, "data-high-contrast");
  if (mode !== "kiosk") return;
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  document.addEventListener("keydown", (event) => {
    if (isEscapeShortcut(event)) event.preventDefault();
  }, true);
  document.addEventListener("dragstart", (event) => event.preventDefault());
}
