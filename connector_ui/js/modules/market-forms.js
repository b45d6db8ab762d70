// What the Market page's forms share (the TSO's in market-tso.js, the BSP's in market-bsp.js):
// the submit handler through the operation tracker, quantities typed as text, period defaults,
// and batch errors ("bids.0.price") brought back to the single item's fields ("price").

import { platformNow } from "../countdown.js";
import { busy, clear, clearErrors, h, showErrors } from "../ui.js";

export const PERIOD_SECONDS = 900;
export const PERIOD_HINT = "Start of a 15-minute period (:00, :15, :30 or :45), your local time.";
export const QUANTITIES_HINT = "One value per 15-minute period, separated by commas, e.g. 20, 20, 15.";

/** "20, 15 20" -> [20, 15, 20]; a part that is not a whole number goes as typed (the API names it). */
export function parseQuantities(text) {
  return String(text || "")
    .split(/[\s,;/]+/)
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** The start of the first 15-minute period at least `aheadMs` from now on the platform's clock. */
export function nextPeriod(aheadMs) {
  const quarter = PERIOD_SECONDS * 1000;
  return new Date(Math.ceil((platformNow() + aheadMs) / quarter) * quarter);
}

/** When the last period of a bid or need ends (ms since the epoch). */
export function deliveryEnd(item) {
  const periods = item.periods ?? item.quantitiesKw?.length ?? 0;
  return new Date(item.deliveryStart).getTime() + periods * PERIOD_SECONDS * 1000;
}

export function statusLine() {
  return h("p", { class: "form-status", role: "status" });
}

/**
 * A batch call about one item answers errors on "<list>.0.<field>": the form shows them on
 * "<field>". Other errors stay as they are.
 */
export function forOneItem(error, list) {
  const prefix = new RegExp(`^${list}\\.\\d+\\.?`);
  if (!error?.errors) return error;
  error.errors = error.errors.map((e) => ({ ...e, field: e.field ? e.field.replace(prefix, "") || list : e.field }));
  return error;
}

/** Submit handler: send() through the tracker, then a message or the errors on their fields. */
export function onSubmit(ctx, form, status, { label, send, done, list }) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clear(status);
      try {
        const { accepted } = await ctx.tracker.run(label(event), () => send(event));
        clearErrors(form);
        status.textContent = done(accepted, event);
      } catch (error) {
        showErrors(form, list ? forOneItem(error, list) : error);
      }
    });
  });
}
