// The TSO's part of the Market page: state a need (cleared at its gate closure, or later with "Clear now"),
// send set points to a selected bid's UVAM, and change or stop a live activation. Every rule
// stays in the API: the forms send what is typed and show the API's refusals on their fields.

import { field, h, readForm, shortId, toLocalInput, uniqueId } from "../ui.js";
import { PERIOD_HINT, QUANTITIES_HINT, nextPeriod, onSubmit, parseQuantities, statusLine } from "./market-forms.js";

/** The TSO states a need: product, direction, kW per period, optional price limit. */
export function needForm(ctx, products) {
  const id = uniqueId("need");
  const specs = [
    { name: "productId", label: "Product", type: "select", required: true, options: products.map((p) => [p.id, `${p.id} · ${p.name}`]), value: products[0]?.id },
    { name: "direction", label: "Direction", type: "select", required: true, options: [["up", "up"], ["down", "down"]], value: "up" },
    { name: "deliveryStart", label: "Delivery start", type: "datetime", required: true, step: 900, value: nextPeriod(2 * 3600 * 1000).toISOString(), hint: PERIOD_HINT },
    { name: "quantitiesKw", label: "Quantity per period (kW)", type: "text", required: true, hint: QUANTITIES_HINT, send: false },
    { name: "priceLimit", label: "Price limit (EUR/MWh, optional)", type: "text", hint: "Bids above it are not selected." },
    { name: "pricing", label: "Pricing", type: "select", required: true, options: [["payAsBid", "pay as bid"], ["payAsClear", "pay as clear"]], value: "payAsBid" },
    { name: "clearing", label: "Clearing", type: "select", required: true, options: [["immediate", "at gate closure"], ["manual", "later (Clear now, after gate closure)"]], value: "immediate", hint: "A need is cleared once the gate of its first period has closed." },
  ];
  const status = statusLine();
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "State a need" },
    h("h3", {}, "State a need"),
    h("div", { class: "grid" }, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "State the need")),
    status,
  );
  onSubmit(ctx, form, status, {
    label: () => "State a need",
    send: () => ctx.api.post("/market/needs", { ...readForm(form, specs), quantitiesKw: parseQuantities(form.elements.namedItem("quantitiesKw").value) }),
    done: (accepted) => `Need ${shortId(accepted.needId)} is on chain.`,
  });
  return form;
}

/** "Clear now" for an open need (stated with clearing "later"); the API refuses it before the
 *  need's gate closes (bids may still come), and the refusal shows beside the button. */
export function clearNeedButton(ctx, need) {
  const name = shortId(need.id);
  const button = h("button", { type: "button", class: "small primary" }, `Clear need ${name}`);
  const message = h("span", { class: "form-status", role: "status" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    message.textContent = "";
    try {
      await ctx.tracker.run(`Clear need ${name}`, () => ctx.api.post(`/market/needs/${encodeURIComponent(need.id)}/clear`, {}));
      message.textContent = "Cleared on chain.";
    } catch (error) {
      message.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "button-row" }, button, message);
}

function bidOption(bid) {
  return [bid.id, `${shortId(bid.id)} · ${bid.productId} ${bid.direction} · ${new Date(bid.deliveryStart).toLocaleString()} · ${bid.quantitiesKw.join("/")} kW`];
}

/** The TSO sends set points to the UVAM of a selected (awarded) bid. */
export function activationForm(ctx, selectedBids) {
  const id = uniqueId("activation");
  const specs = [
    {
      name: "bidId",
      label: "Selected bid",
      type: "select",
      required: true,
      placeholder: "Choose a selected bid",
      options: selectedBids.map(bidOption),
      hint: "Bids a clearing selected whose delivery has not ended; set points stay within the award.",
    },
    { name: "firstPeriod", label: "First period", type: "datetime", required: true, step: 900, hint: PERIOD_HINT },
    { name: "setPointsKw", label: "Set points (kW per period)", type: "text", required: true, hint: QUANTITIES_HINT, send: false },
  ];
  const status = statusLine();
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "Send an activation" },
    h("h3", {}, "Send an activation"),
    h("div", { class: "grid" }, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Send set points")),
    status,
  );
  form.elements.namedItem("bidId").addEventListener("change", (event) => {
    const bid = selectedBids.find((b) => b.id === event.target.value);
    if (bid) form.elements.namedItem("firstPeriod").value = toLocalInput(bid.deliveryStart);
  });
  onSubmit(ctx, form, status, {
    label: () => "Send activation",
    send: () => ctx.api.post("/market/activations", { ...readForm(form, specs), setPointsKw: parseQuantities(form.elements.namedItem("setPointsKw").value) }),
    done: (accepted) => `Activation ${shortId(accepted.activationId)} sent; the BSP has to acknowledge it.`,
  });
  return form;
}

/** For a live activation: new set points (same periods; a new acknowledgement), or stop it. */
export function activationControls(ctx, activation) {
  const id = uniqueId("control");
  const name = shortId(activation.id);
  const status = statusLine();
  const form = h(
    "form",
    { class: "activation-controls", novalidate: true, "aria-label": `Change or stop activation ${name}` },
    field({ name: "setPointsKw", label: `New set points for activation ${name} (kW)`, type: "text", value: activation.setPointsKw.join(", "), send: false }, id),
    field({ name: "reasons", label: `Reason to stop activation ${name}`, type: "text" }, id),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", value: "change", "aria-label": `Change activation ${name}` }, "Change"),
      h("button", { type: "submit", class: "danger", value: "stop", "aria-label": `Stop activation ${name}` }, "Stop"),
    ),
    status,
  );
  const path = `/market/activations/${encodeURIComponent(activation.id)}`;
  const stopping = (event) => event.submitter?.value === "stop";
  onSubmit(ctx, form, status, {
    label: (event) => `${stopping(event) ? "Stop" : "Change"} activation ${name}`,
    send: (event) => {
      if (!stopping(event)) return ctx.api.patch(path, { setPointsKw: parseQuantities(form.elements.namedItem("setPointsKw").value) });
      const reason = form.elements.namedItem("reasons").value.trim();
      return ctx.api.post(`${path}/stop`, { reasons: reason ? [reason] : [] });
    },
    done: (_, event) => (stopping(event) ? "Stopped on chain." : "Changed on chain; waiting for the BSP's acknowledgement."),
  });
  return form;
}
