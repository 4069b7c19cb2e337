// The kiosk's clock: the business's time in its own zone (and the stopped clock of a
// demonstration); the device's clock only until the first reading.

import { clockReading } from "./transport.js";

const clock = document.getElementById("clock");

async function tick() {
  const shown = { hour: "2-digit", minute: "2-digit" };
  try {
    const reading = await clockReading();
    shown.timeZone = reading.time_zone;
    clock.textContent = new Date(reading.now_ms).toLocaleTimeString([], shown);
  } catch {
    if (!clock.textContent) clock.textContent = new Date().toLocaleTimeString([], shown);
  }
}

/** Show the time now and every ten seconds. */
export function startClock() {
  tick();
  setInterval(tick, 10_000);
}
