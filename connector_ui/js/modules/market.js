// Market (FLOW D5.5 §3): bids and their states, the TSO's needs, and activations with a
// countdown to their acknowledgement deadline; the BSP accepts or refuses (Cancelled). The TSO
// states needs, clears them, and sends, changes or stops activations (market-tso.js).

import {
  busy,
  clear,
  field,
  fill,
  formatDate,
  h,
  onClock,
  pageHeader,
  section,
  shortId,
  showErrors,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";
import { countdown, platformNow, tick } from "../countdown.js";
import { dsoChecksText } from "./bid-checks.js";
import { admissionsTable, bidControls, bidForm, changeable } from "./market-bsp.js";
import { deliveryEnd } from "./market-forms.js";
import { meritOrderButton } from "./market-merit.js";
import { activationControls, activationForm, clearNeedButton, needForm } from "./market-tso.js";
import { keeper, listSource, live, withQuery } from "./shared.js";

const PAGE_SIZE = 10;
/** Activations the TSO may still change or stop. */
const LIVE = new Set(["Sent", "Accepted"]);
/** Needs whose clearing ran: their merit order can be read. */
const CLEARED = new Set(["Cleared", "Unfilled"]);

function periods(values) {
  return (values || []).join(" / ");
}

/** The BSP's answer to a Sent activation: accept, or refuse with a reason (Cancelled). */
function acknowledgeForm(ctx, activation) {
  const id = uniqueId("ack");
  const name = shortId(activation.id);
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "inline-form acknowledge", novalidate: true, "aria-label": `Acknowledge activation ${name}` },
    field({ name: "reasons", label: `Reason (to refuse activation ${name})`, type: "text" }, id),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "primary", value: "accept", "aria-label": `Accept activation ${name}` }, "Accept"),
      h("button", { type: "submit", class: "danger", value: "refuse", "aria-label": `Refuse activation ${name}` }, "Refuse"),
    ),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const accept = event.submitter?.value !== "refuse";
    busy(form, async () => {
      clear(status);
      const reason = form.elements.namedItem("reasons").value.trim();
      const body = { accept, reasons: reason ? [reason] : [] };
      try {
        await ctx.tracker.run(`${accept ? "Accept" : "Refuse"} activation ${name}`, () =>
          ctx.api.post(`/market/activations/${encodeURIComponent(activation.id)}/acknowledgement`, body),
        );
        status.textContent = accept ? "Accepted on chain." : "Refused: Cancelled on chain.";
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

export default {
  path: "market",
  title: "Market",
  roles: ["BSP", "TSO", "DSO", "AUDITOR"],
  requires: ["/market/bids", "/market/activations", "/market/activations/{activation_id}/acknowledgement"],
  async render(ctx) {
    const bidOffset = Number(ctx.query.get("bids") || 0);
    const actOffset = Number(ctx.query.get("activations") || 0);
    const needOffset = Number(ctx.query.get("needs") || 0);
    const bidStatus = ctx.query.get("status") || "";
    const bsp = ctx.me.role === "BSP";
    const tso = ctx.me.role === "TSO";
    const auditor = ctx.me.role === "AUDITOR";
    const focus = ctx.query.get("activation") || "";
    const kept = keeper();
    const activations = h("div", { class: "results" });
    const bids = h("div", { class: "results" });
    const needs = h("div", { class: "results" });
    const merit = h("div", { class: "merit-order" });
    const sendArea = h("div");
    const products = tso || bsp ? (await ctx.api.get("/market/products")).data.filter((p) => p.open) : [];
    // qualified UVAMs by id: their names in the tables, the BSP's choices in the bid form
    const uvamList = tso || bsp || auditor ? (await ctx.api.get("/ui/market/uvams")).data : [];
    const uvams = new Map(uvamList.map((u) => [u.id, u]));
    const bspNames = uvamList.map((u) => u.bspName);
    const uvamName = (id) => (uvams.has(id) ? uvams.get(id).name : h("code", { title: id }, shortId(id)));
    const admissions = h("div", { class: "results" });
    const filterId = uniqueId("bids");
    const filter = h(
      "form",
      { class: "filters", novalidate: true, "aria-label": "Filter bids" },
      field(
        {
          name: "status",
          label: "Bid status",
          type: "select",
          placeholder: "Any status",
          value: bidStatus,
          options: ["Received", "Active", "Selected", "Rejected", "Suspended", "Withdrawn", "Blocked", "Expired"].map((s) => [s, s]),
        },
        filterId,
      ),
      h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Apply")),
    );
    filter.addEventListener("submit", (event) => {
      event.preventDefault();
      ctx.navigate(withQuery(ctx, "market", { status: filter.elements.namedItem("status").value, bids: 0 }));
    });
    fill(
      ctx.main,
      pageHeader("Market"),
      h("p", { class: "muted" }, "Bids go through the DSOs' checks to Active, are Selected or Rejected by a clearing, and Selected bids can be activated by the TSO."),
      tso ? section("Needs", needForm(ctx, products), needs, merit) : null,
      bsp ? section("Offer flexibility", bidForm(ctx, uvamList, products), admissions) : null,
      section(
        "Activations",
        bsp ? h("p", { class: "muted" }, "Accept or refuse each activation before its deadline; without an answer it lapses.") : null,
        tso ? sendArea : null,
        activations,
      ),
      section("Bids", filter, bids),
      ctx.me.role === "DSO" || auditor ? section("Needs", needs, auditor ? merit : null) : null,
    );
    const source = (page, offset, key, label, path, query = {}) => listSource(ctx, { base: "market", key, page, offset, limit: PAGE_SIZE, label, path, query });

    let scrolled = false;
    const loads = [
      live(
        ctx,
        activations,
        () => ctx.api.get("/market/activations", { limit: PAGE_SIZE, offset: actOffset }),
        (container, page) => {
          fill(
            container,
            table({
              caption: "Activations",
              empty: "No activation.",
              rows: page.data,
              source: source(page, actOffset, "activations", "Activation pages", "/market/activations"),
              rowAttrs: (a) => ({ "data-activation": a.id, class: a.id === focus ? "highlight" : null }),
              columns: [
                { label: "Activation", cell: (a) => h("code", { title: a.id }, shortId(a.id)) },
                { label: "UVAM", cell: (a) => uvamName(a.uvamId) },
                { label: "Bid", cell: (a) => h("code", { title: a.bidId }, shortId(a.bidId)) },
                { label: onClock("First period", "platform"), value: (a) => a.firstPeriod, filter: "date", cell: (a) => formatDate(a.firstPeriod) },
                { label: "Set points (kW)", cell: (a) => periods(a.setPointsKw) },
                { label: "Status", cell: (a) => statusBadge(a.status) },
                { label: onClock("Deadline", "platform"), value: (a) => a.ackDeadline, cell: (a) => countdown(a.ackDeadline, a.status === "Sent") },
                {
                  label: "Acknowledge",
                  cell: (a) =>
                    bsp && a.status === "Sent"
                      ? kept(`${a.id}:${a.updatedAt}`, () => acknowledgeForm(ctx, a))
                      : a.reasons?.length
                        ? a.reasons.join("; ")
                        : "—",
                },
                tso ? { label: "Change or stop", cell: (a) => (LIVE.has(a.status) ? kept(`ctl:${a.id}:${a.updatedAt}`, () => activationControls(ctx, a)) : "—") } : null,
              ].filter(Boolean),
            }),
          );
          tick(container);
          const focused = focus && !scrolled ? container.querySelector("tr.highlight") : null;
          if (focused) {
            focused.scrollIntoView({ block: "center" });
            scrolled = true;
          }
        },
        { interval: 2000 },
      ),
      live(
        ctx,
        bids,
        () => ctx.api.get("/market/bids", { status: bidStatus, limit: PAGE_SIZE, offset: bidOffset }),
        (container, page) =>
          fill(
            container,
            table({
              caption: "Bids",
              empty: "No bid.",
              rows: page.data,
              source: source(page, bidOffset, "bids", "Bid pages", "/market/bids", { status: bidStatus }),
              rowAttrs: (b) => ({ "data-bid": b.id }),
              columns: [
                { label: "Bid", cell: (b) => h("code", { title: b.id }, shortId(b.id)) },
                tso || auditor ? { label: "BSP", filter: "bsp", options: bspNames, cell: (b) => uvams.get(b.uvamId)?.bspName || b.bsp } : null,
                { label: "UVAM", cell: (b) => uvamName(b.uvamId) },
                { label: "Product", cell: (b) => b.productId },
                { label: "Direction", cell: (b) => b.direction },
                { label: onClock("Delivery start", "platform"), value: (b) => b.deliveryStart, filter: "date", cell: (b) => formatDate(b.deliveryStart) },
                { label: "Quantities (kW)", cell: (b) => periods(b.quantitiesKw) },
                { label: "Price (EUR/MWh)", cell: (b) => b.price, class: "num" },
                { label: onClock("Gate closes", "platform"), cell: (b) => countdown(b.gateClosesAt, ["Received", "Active"].includes(b.status)) },
                { label: "Status", cell: (b) => statusBadge(b.status) },
                { label: "DSO checks", cell: (b) => dsoChecksText(b, (eic) => ctx.directory.dsos?.find((d) => d.eic === eic)?.name || eic) },
                bsp ? { label: "Update or withdraw", cell: (b) => (changeable(b) ? kept(`bid:${b.id}:${b.updatedAt}`, () => bidControls(ctx, b)) : "—") } : null,
              ].filter(Boolean),
            }),
          ),
        { interval: 3000 },
      ),
    ];
    if (ctx.me.role !== "BSP") {
      loads.push(
        live(
          ctx,
          needs,
          () => ctx.api.get("/market/needs", { limit: PAGE_SIZE, offset: needOffset }),
          (container, page) =>
            fill(
              container,
              table({
                caption: "Needs",
                empty: "No need.",
                rows: page.data || [],
                source: source(page, needOffset, "needs", "Need pages", "/market/needs"),
                rowAttrs: (n) => ({ "data-need": n.id }),
                columns: [
                  { label: "Need", cell: (n) => h("code", { title: n.id }, shortId(n.id)) },
                  { label: "Product", cell: (n) => n.productId },
                  { label: "Direction", cell: (n) => n.direction },
                  { label: onClock("Delivery start", "platform"), value: (n) => n.deliveryStart, filter: "date", cell: (n) => formatDate(n.deliveryStart) },
                  { label: "Quantities (kW)", cell: (n) => periods(n.quantitiesKw) },
                  { label: "Price limit", cell: (n) => n.priceLimit ?? "—", class: "num" },
                  { label: "Pricing", cell: (n) => n.pricing },
                  { label: "Gate closes", value: (n) => n.gateClosesAt, cell: (n) => formatDate(n.gateClosesAt) },
                  {
                    label: "Status",
                    // an Unfilled need says why nothing was awarded (no bids, all above the limit...)
                    cell: (n) => [statusBadge(n.status), n.unfilledReason ? h("span", { class: "muted need-reason" }, ` ${n.unfilledReason.message}`) : null],
                  },
                  { label: "Awarded (kW)", cell: (n) => (n.periods ? periods(n.periods.map((p) => p.awardedKw)) : "—") },
                  tso ? { label: "Clearing", cell: (n) => (n.status === "Open" ? kept(`clear:${n.id}`, () => clearNeedButton(ctx, n)) : "—") } : null,
                  tso || auditor ? { label: "Merit order", cell: (n) => (CLEARED.has(n.status) ? meritOrderButton(ctx, n, merit) : "—") } : null,
                ].filter(Boolean),
              }),
            ),
          { interval: 5000 },
        ),
      );
    }
    if (tso) {
      // the bids a clearing selected, offered to the activation form (rebuilt only when they change)
      loads.push(
        live(
          ctx,
          sendArea,
          () => ctx.api.get("/market/bids", { status: "Selected", limit: 100 }),
          (container, page) => {
            // a selected bid whose delivery has ended can no longer be activated
            const open = page.data.filter((b) => deliveryEnd(b) > platformNow());
            fill(
              container,
              open.length
                ? kept(`send:${open.map((b) => b.id).join(",")}`, () => activationForm(ctx, open))
                : h("p", { class: "muted" }, "No selected bid to activate: state a need and clear it first."),
            );
          },
          { interval: 5000 },
        ),
      );
    }
    if (bsp) {
      loads.push(
        live(ctx, admissions, () => ctx.api.get("/ui/market/uvams"), (container, page) => fill(container, h("h3", {}, "Market admission"), admissionsTable(ctx, page.data)), {
          interval: 5000,
        }),
      );
    }
    await Promise.all(loads);
    ctx.every(1000, () => tick(ctx.main));
  },
};
