// The "DSO checks" of a bid as its status makes them read: only a Received bid waits for the
// DSOs; a bid withdrawn, suspended or expired before every DSO answered says so, a blocked bid
// says by whom, and every other bid sums up the verdicts it has.

const PLURAL = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "1 cleared, 1 capped" (the DSOs' verdicts on the bid, by outcome). */
function verdicts(checks) {
  const counts = new Map();
  for (const check of checks) counts.set(check.outcome, (counts.get(check.outcome) || 0) + 1);
  return [...counts].map(([outcome, n]) => `${n} ${String(outcome).toLowerCase()}`).join(", ");
}

/** The DSO checks of a bid, in words, for its status. */
export function dsoChecksText(bid, dsoName = (eic) => eic) {
  const pending = bid.dsoPending?.length || 0;
  const checks = bid.dsoChecks || [];
  const done = checks.length ? verdicts(checks) : null;
  if (bid.status === "Received") return pending ? `waiting for ${PLURAL(pending, "DSO")}${done ? ` (${done})` : ""}` : done || "checked";
  if (bid.status === "Blocked") {
    const by = checks.filter((c) => c.outcome === "Blocked").map((c) => dsoName(c.dsoEic));
    return by.length ? `blocked by ${by.join(", ")}` : "blocked";
  }
  if (pending) return `${bid.status.toLowerCase()} before ${PLURAL(pending, "DSO check")}${done ? ` (${done})` : ""}`;
  return done || "no DSO check needed";
}
