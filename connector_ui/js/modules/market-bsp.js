// The BSP's part of the Market page: place a bid for a qualified UVAM, update or withdraw it
// before its gate closes, and see which UVAMs the TSO has admitted to the market. As for the
// TSO's forms, every rule stays in the API: the forms send what is typed and show the API's
// refusals on their fields.

import { platformNow } from "../countdown.js";
import { field, h, kw, readForm, shortId, statusBadge, table, uniqueId } from "../ui.js";
import { PERIOD_HINT, QUANTITIES_HINT, nextPeriod, onSubmit, parseQuantities, statusLine } from "./market-forms.js";

/** Bids the BSP may still update or withdraw (before their gate closes). */
const CHANGEABLE = new Set(["Received", "Active", "Suspended"]);

export function uvamOption(uvam) {
  const admitted = uvam.admitted ? "admitted" : "not yet admitted";
  return [uvam.id, `${uvam.name} · up ${uvam.upKw} kW, down ${uvam.downKw} kW · ${admitted}`];
}

/** Place a bid: a qualified UVAM's flexibility on a product, per 15-minute period. */
export function bidForm(ctx, uvams, products) {
  const id = uniqueId("bid");
  const specs = [
    { name: "uvamId", label: "Resource group (UVAM)", type: "select", required: true, placeholder: "Choose a qualified UVAM", options: uvams.map(uvamOption), hint: "Only qualified UVAMs can bid; a UVAM not yet admitted is admitted by the TSO with its first bid, or earlier on request." },
    { name: "productId", label: "Product", type: "select", required: true, options: products.map((p) => [p.id, `${p.id} · ${p.name}`]), value: products[0]?.id },
    { name: "direction", label: "Direction", type: "select", required: true, options: [["up", "up (less consumption)"], ["down", "down (more consumption)"]], value: "up" },
    { name: "deliveryStart", label: "Delivery start", type: "datetime", required: true, step: 900, value: nextPeriod(2 * 3600 * 1000).toISOString(), hint: PERIOD_HINT },
    { name: "quantitiesKw", label: "Quantity per period (kW)", type: "text", required: true, hint: QUANTITIES_HINT, send: false },
    { name: "price", label: "Price (EUR/MWh)", type: "text", required: true, hint: "What the TSO pays per MWh delivered, e.g. 80 or 92.5." },
    { name: "divisible", label: "Partial acceptance", type: "select", required: true, options: [["true", "accept part of the quantity"], ["false", "all or nothing per period"]], value: "true", send: false },
  ];
  const status = statusLine();
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "Place a bid" },
    h("h3", {}, "Place a bid"),
    h("div", { class: "grid" }, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Place the bid")),
    status,
  );
  const value = (name) => form.elements.namedItem(name).value;
  onSubmit(ctx, form, status, {
    list: "bids",
    label: () => "Place a bid",
    send: () => {
      const bid = { ...readForm(form, specs), quantitiesKw: parseQuantities(value("quantitiesKw")), divisible: value("divisible") === "true" };
      return ctx.api.post("/market/bids", { bids: [bid] });
    },
    done: (accepted) => `Bid ${shortId(accepted.bidIds?.[0])} is on chain; the DSOs check it next.`,
  });
  return form;
}

/** Whether the BSP may still change the bid: a changeable state, its gate still open. */
export function changeable(bid) {
  return CHANGEABLE.has(bid.status) && new Date(bid.gateClosesAt).getTime() > platformNow();
}

/** For an open bid: new quantities and price (back to the DSO checks), or withdraw it. */
export function bidControls(ctx, bid) {
  const id = uniqueId("bid-control");
  const name = shortId(bid.id);
  const status = statusLine();
  const form = h(
    "form",
    { class: "activation-controls", novalidate: true, "aria-label": `Update or withdraw bid ${name}` },
    field({ name: "quantitiesKw", label: `Quantities of bid ${name} (kW)`, type: "text", value: bid.quantitiesKw.join(", "), send: false }, id),
    field({ name: "price", label: `Price of bid ${name} (EUR/MWh)`, type: "text", value: bid.price }, id),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", value: "update", "aria-label": `Update bid ${name}` }, "Update"),
      h("button", { type: "submit", class: "danger", value: "withdraw", "aria-label": `Withdraw bid ${name}` }, "Withdraw"),
    ),
    status,
  );
  const withdrawing = (event) => event.submitter?.value === "withdraw";
  onSubmit(ctx, form, status, {
    list: "bids",
    label: (event) => `${withdrawing(event) ? "Withdraw" : "Update"} bid ${name}`,
    send: (event) => {
      if (withdrawing(event)) return ctx.api.post("/market/bids/withdraw", { bidIds: [bid.id] });
      const change = { bidId: bid.id, quantitiesKw: parseQuantities(form.elements.namedItem("quantitiesKw").value), price: form.elements.namedItem("price").value.trim() };
      return ctx.api.patch("/market/bids", { bids: [change] });
    },
    done: (_, event) => (withdrawing(event) ? "Withdrawn on chain." : "Updated on chain; the DSOs check it again."),
  });
  // folded, so that the bids table stays readable; kept open across redraws
  return h("details", { class: "row-actions" }, h("summary", {}, `Change bid ${name}`), form);
}

/** "Request market admission" for a qualified UVAM not admitted yet: the platform has the TSO
 *  admit it on chain now rather than before its first bid; a refusal shows beside the button. */
function admissionButton(ctx, uvam) {
  const button = h("button", { type: "button", class: "small" }, `Request market admission of ${uvam.name}`);
  const message = h("span", { class: "form-status", role: "status" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    message.textContent = "";
    try {
      await ctx.tracker.run(`Market admission of ${uvam.name}`, () => ctx.api.post(`/market/admissions/${encodeURIComponent(uvam.id)}`, {}));
      message.textContent = "Admitted on chain.";
    } catch (error) {
      message.textContent = error.message;
      button.disabled = false;
    }
  });
  return h("div", { class: "button-row" }, statusBadge("Not admitted"), button, message);
}

/** The BSP's qualified UVAMs and their market admission. */
export function admissionsTable(ctx, uvams) {
  return table({
    caption: "Market admission of qualified UVAMs",
    empty: "No qualified UVAM yet: a UVAM can bid once the TSO has qualified it.",
    rows: uvams,
    rowAttrs: (u) => ({ "data-uvam": u.id }),
    columns: [
      { label: "UVAM", cell: (u) => h("a", { href: `#/resource-groups/${encodeURIComponent(u.id)}` }, u.name) },
      { label: "Qualified up", cell: (u) => kw(u.upKw), class: "num" },
      { label: "Qualified down", cell: (u) => kw(u.downKw), class: "num" },
      { label: "Market admission", cell: (u) => (u.admitted ? statusBadge("Admitted") : admissionButton(ctx, u)) },
    ],
  });
}
