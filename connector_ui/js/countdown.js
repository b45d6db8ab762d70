// Deadlines shown with the time left, counting down each second (activation acknowledgements,
// gate closures, settlement answer windows). Pages call tick(root) from ctx.every(1000, ...).
// Time is the platform's clock (GET /ui/clock): on a local demo chain it may run ahead of the
// wall clock (ledger/core/clock.py), and deadlines are the platform's.

import { formatDate, h } from "./ui.js";

let skewMs = 0;

/** Follow the platform's clock, given its current time (ISO 8601). */
export function syncClock(platformNow) {
  const at = Date.parse(platformNow);
  if (!Number.isNaN(at)) skewMs = at - Date.now();
}

/** The platform's current time in milliseconds. */
export function platformNow() {
  return Date.now() + skewMs;
}

/** "4 min 05 s left" until an ISO instant; "2 d 03 h left" far ahead; "deadline passed" after. */
export function remaining(deadline, now = platformNow()) {
  const ms = new Date(deadline).getTime() - now;
  if (Number.isNaN(ms)) return "—";
  if (ms <= 0) return "deadline passed";
  const total = Math.floor(ms / 1000);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  if (days) return `${days} d ${String(hours).padStart(2, "0")} h left`;
  return hours ? `${hours} h ${String(minutes).padStart(2, "0")} min left` : `${minutes} min ${seconds} s left`;
}

/** The deadline's date, and while `live` the time left (kept current by tick()). */
export function countdown(deadline, live = true) {
  if (!deadline) return "—";
  return h(
    "span",
    { class: "countdown", "data-deadline": live ? deadline : null },
    h("time", { datetime: deadline }, formatDate(deadline)),
    live ? [" · ", h("span", { class: "countdown-left" }, remaining(deadline))] : null,
  );
}

/** Refresh every live countdown under `root`; the last minute is marked urgent. */
export function tick(root) {
  for (const element of root.querySelectorAll(".countdown[data-deadline]")) {
    const left = element.querySelector(".countdown-left");
    const text = remaining(element.dataset.deadline);
    if (left && left.textContent !== text) left.textContent = text;
    element.classList.toggle("countdown-urgent", new Date(element.dataset.deadline).getTime() - platformNow() < 60_000);
  }
}
