// P2P trades (FLOW D5.5 §2, Figures 6-7): pending and confirmed trades with the source's
// columns; the window's operator confirms or rejects (with a reason); a BSP adds its buyers'
// matched trades of a window ("Add Batch").

import { countdown, tick } from "../countdown.js";
import {
  busy,
  clear,
  field,
  fill,
  formatDate,
  h,
  notice,
  onClock,
  pageHeader,
  section,
  shortHash,
  shortId,
  readForm,
  runBulk,
  showErrors,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";
import { keeper, listSource, live } from "./shared.js";

const PAGE_SIZE = 10;
/** Every pending trade of a window, for "Confirm all" (the API's page limit). */
const ALL_OF_A_WINDOW = 5000;

/** A window as people tell windows apart: its price and when it opened. */
function windowName(w) {
  return `window ${shortId(w.windowId)} at ${w.priceEurPerKwh} EUR/kWh`;
}

/** The operator opens a trading window: posted price and close time (platform clock). */
function openWindowForm(ctx) {
  const id = uniqueId("window");
  const specs = [
    { name: "priceEurPerKwh", label: "Posted price (EUR/kWh)", required: true, hint: "Every trade of the window is made at this price, e.g. 0.15." },
    { name: "closesAt", label: onClock("Closes at", "platform"), type: "datetime", hint: "No trade is added after this time; one hour after opening when left empty." },
    { name: "buyerThresholdPercent", label: "Buyer threshold (% SoC)", hint: "An EV below this state of charge buys; 75 when left empty." },
    { name: "sellerThresholdPercent", label: "Seller threshold (% SoC)", hint: "An EV above this state of charge sells; 80 when left empty." },
  ];
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Open a trading window" },
    h("div", { class: "grid" }, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Open window")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clear(status);
      try {
        const { accepted } = await ctx.tracker.run("Open trading window", () => ctx.api.post("/p2p/windows", readForm(form, specs)));
        status.textContent = `Window ${shortId(accepted.windowId)} is open: ${accepted.matchedTrades} trade(s) matched.`;
        form.reset();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

/** Close a window now, and confirm all its pending trades (each its own operation); the
 *  outcome goes to `status`. */
function windowButtons(ctx, w, status) {
  const pending = w.trades?.Pending || 0;
  const closeNow = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    clear(status);
    try {
      await ctx.tracker.run(`Close ${windowName(w)}`, () => ctx.api.post(`/p2p/windows/${encodeURIComponent(w.windowId)}/close`, {}));
      status.textContent = "Closed: it takes no more trades.";
    } catch (error) {
      fill(status, notice("error", error.message));
      button.disabled = false;
    }
  };
  const confirmAll = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const page = await ctx.api.get("/p2p/trades", { windowId: w.windowId, status: "Pending", limit: ALL_OF_A_WINDOW });
      await runBulk({
        ids: page.data.map((t) => t.tradeId),
        action: (tradeId) => ctx.tracker.run(`Confirm trade ${shortId(tradeId)}`, () => ctx.api.post(`/p2p/trades/${encodeURIComponent(tradeId)}/confirm`, {})),
        nameOf: (tradeId) => `Trade ${shortId(tradeId)}`,
        status,
        done: (count) => `${count} trade${count === 1 ? "" : "s"} confirmed on chain.`,
      });
    } catch (error) {
      fill(status, notice("error", error.message));
    } finally {
      button.disabled = false;
    }
  };
  return h(
    "div",
    { class: "button-row" },
    pending ? h("button", { type: "button", class: "primary", onclick: confirmAll, "aria-label": `Confirm all ${pending} pending trades of ${windowName(w)}` }, `Confirm all ${pending} pending`) : null,
    w.status === "Open" ? h("button", { type: "button", onclick: closeNow, "aria-label": `Close ${windowName(w)} now` }, "Close now") : null,
  );
}

/** The window's buttons (rebuilt when its counts change) and the outcome of the last action
 *  (kept for the window): a new cell on every draw holds both. */
function windowActions(ctx, kept, w) {
  const status = kept(`outcome:${w.windowId}`, () => h("div", { class: "form-status", role: "status" }));
  const buttons = kept(`win:${w.windowId}:${w.status}:${w.trades?.Pending || 0}`, () => windowButtons(ctx, w, status));
  return h("div", { class: "window-actions" }, buttons, status);
}

function tradeCounts(trades) {
  const parts = ["Pending", "Confirmed", "Rejected", "Matched"].filter((s) => trades?.[s]).map((s) => `${trades[s]} ${s.toLowerCase()}`);
  return parts.length ? parts.join(", ") : "none";
}

function windowsTable(ctx, kept, page, source) {
  return table({
    caption: "Trading windows",
    empty: "No trading window yet.",
    rows: page.data,
    source,
    rowAttrs: (w) => ({ "data-window": w.windowId }),
    columns: [
      { label: "Window", cell: (w) => h("code", { title: w.windowId }, shortId(w.windowId)) },
      { label: "Price (EUR/kWh)", cell: (w) => w.priceEurPerKwh, class: "num" },
      { label: onClock("Opened", "wall"), value: (w) => w.openedAt, filter: "date", cell: (w) => formatDate(w.openedAt) },
      { label: onClock("Closes at", "platform"), value: (w) => w.closesAt, cell: (w) => countdown(w.closesAt, w.status === "Open") },
      { label: "Status", cell: (w) => statusBadge(w.status) },
      { label: "Trades", cell: (w) => tradeCounts(w.trades) },
      { label: "Actions", cell: (w) => (w.mine ? windowActions(ctx, kept, w) : "—") },
    ],
  });
}


function columns(extra = []) {
  return [
    { label: "Sender hash", cell: (t) => shortHash(t.senderHash) },
    { label: "Receiver hash", cell: (t) => shortHash(t.receiverHash) },
    { label: "Energy (kWh)", cell: (t) => t.energyKwh, class: "num" },
    { label: "P2P cost (EUR)", cell: (t) => t.costEur, class: "num" },
    { label: "Timestamp", value: (t) => t.timestamp, filter: "date", cell: (t) => h("time", { datetime: t.timestamp }, formatDate(t.timestamp)) },
    { label: "Status", cell: (t) => statusBadge(t.status) },
    ...extra,
  ];
}

/** The operator's decision on one pending trade: confirm, or reject with a reason. */
function decisionCell(ctx, trade) {
  const id = uniqueId("trade");
  const status = h("p", { class: "form-status", role: "status" });
  const confirm = h("form", { class: "inline-form", novalidate: true, "aria-label": `Confirm trade ${shortId(trade.tradeId)}` },
    h("button", { type: "submit", class: "primary", "aria-label": `Confirm trade ${shortId(trade.tradeId)}` }, "Confirm"),
  );
  confirm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(confirm, async () => {
      try {
        await ctx.tracker.run(`Confirm trade ${shortId(trade.tradeId)}`, () =>
          ctx.api.post(`/p2p/trades/${encodeURIComponent(trade.tradeId)}/confirm`, {}),
        );
        status.textContent = "Confirmed on chain.";
      } catch (error) {
        showErrors(confirm, error);
      }
    });
  });
  const reject = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": `Reject trade ${shortId(trade.tradeId)}` },
    field({ name: "reasons", label: `Reason to reject trade ${shortId(trade.tradeId)}`, type: "text" }, id),
    h("button", { type: "submit", class: "danger" }, "Reject"),
  );
  reject.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(reject, async () => {
      const reason = reject.elements.namedItem("reasons").value.trim();
      try {
        await ctx.tracker.run(`Reject trade ${shortId(trade.tradeId)}`, () =>
          ctx.api.post(`/p2p/trades/${encodeURIComponent(trade.tradeId)}/reject`, { reasons: reason ? [reason] : [] }),
        );
        status.textContent = "Rejected on chain.";
      } catch (error) {
        showErrors(reject, error);
      }
    });
  });
  return h("div", { class: "trade-decision" }, confirm, h("details", {}, h("summary", {}, "Reject…"), reject), status);
}

function addBatchForm(ctx) {
  const id = uniqueId("batch");
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Add Batch" },
    h("div", { class: "grid" },
      field({ name: "windowId", label: "Trading window id", required: true, hint: "Your buyers' trades matched in this window are created Pending." }, id),
    ),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Add Batch")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clear(status);
      const windowId = form.elements.namedItem("windowId").value.trim();
      try {
        let remaining = 1;
        let added = 0;
        while (remaining > 0) {
          const { accepted } = await ctx.tracker.run("Add Batch", () =>
            ctx.api.post(`/p2p/windows/${encodeURIComponent(windowId || "-")}/trades`, {}),
          );
          added += accepted.tradeIds?.length || 0;
          remaining = accepted.remainingMatched || 0;
        }
        status.textContent = `${added} trade(s) added, Pending.`;
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

export default {
  path: "p2p",
  title: "P2P trades",
  requires: ["/p2p/trades", "/p2p/trades/{trade_id}/confirm", "/p2p/trades/{trade_id}/reject", "/ui/p2p/windows"],
  async render(ctx) {
    const pendingOffset = Number(ctx.query.get("pending") || 0);
    const confirmedOffset = Number(ctx.query.get("confirmed") || 0);
    const rejectedOffset = Number(ctx.query.get("rejected") || 0);
    const operator = ctx.me.role === "OPERATOR";
    const kept = keeper();
    const pending = h("div", { class: "results" });
    const confirmed = h("div", { class: "results" });
    const rejected = h("div", { class: "results" });
    const windows = h("div", { class: "results" });
    const windowOffset = Number(ctx.query.get("windows") || 0);
    fill(
      ctx.main,
      pageHeader("P2P trades"),
      h("p", { class: "muted" }, "Energy traded between electric vehicles at the window's posted price. EVs appear only by their pseudonymous hashes."),
      ctx.me.role === "BSP" ? section("Add Batch", addBatchForm(ctx)) : null,
      section(
        "Trading windows",
        operator ? h("details", { class: "open-window", open: ctx.query.get("open") === "1" }, h("summary", {}, "Open a trading window"), openWindowForm(ctx)) : null,
        operator ? h("p", { class: "muted" }, "Close a window early, or confirm all its pending trades at once; each trade's outcome is listed.") : null,
        windows,
      ),
      section("Pending trades", operator ? h("p", { class: "muted" }, "As the window's operator you confirm each trade, or reject it with a reason.") : null, pending),
      section("Confirmed trades", confirmed),
      section("Rejected trades", rejected),
    );
    const decision = operator ? [{ label: "Decision", cell: (t) => kept(t.tradeId, () => decisionCell(ctx, t)) }] : [];
    const source = (page, offset, key, label, path, query = {}) => listSource(ctx, { base: "p2p", key, page, offset, limit: PAGE_SIZE, label, path, query });
    ctx.every(1000, () => tick(windows));
    await Promise.all([
      live(
        ctx,
        windows,
        () => ctx.api.get("/ui/p2p/windows", { limit: PAGE_SIZE, offset: windowOffset }),
        (container, page) => {
          fill(container, windowsTable(ctx, kept, page, source(page, windowOffset, "windows", "Window pages", "/ui/p2p/windows")));
          tick(container);
        },
        { interval: 3000 },
      ),
      live(
        ctx,
        pending,
        () => ctx.api.get("/p2p/trades", { status: "Pending", limit: PAGE_SIZE, offset: pendingOffset }),
        (container, page) =>
          fill(
            container,
            table({
              caption: "Pending trades",
              empty: "No pending trade.",
              rows: [...page.data].sort((a, b) => a.windowId.localeCompare(b.windowId)),
              source: source(page, pendingOffset, "pending", "Pending trade pages", "/p2p/trades", { status: "Pending" }),
              rowAttrs: (t) => ({ "data-trade": t.tradeId }),
              groupBy: { key: (t) => t.windowId, label: (key, rows) => `Window ${shortId(key)} · ${rows.length} pending trade${rows.length === 1 ? "" : "s"}` },
              columns: columns(decision),
            }),
          ),
        { interval: 3000 },
      ),
      live(
        ctx,
        confirmed,
        () => ctx.api.get("/p2p/trades", { status: "Confirmed", limit: PAGE_SIZE, offset: confirmedOffset }),
        (container, page) =>
          fill(
            container,
            table({
              caption: "Confirmed trades",
              empty: "No confirmed trade.",
              rows: page.data,
              source: source(page, confirmedOffset, "confirmed", "Confirmed trade pages", "/p2p/trades", { status: "Confirmed" }),
              rowAttrs: (t) => ({ "data-trade": t.tradeId }),
              columns: columns([{ label: "Settlement tx", cell: (t) => shortHash(t.settledTransaction) }]),
            }),
          ),
        { interval: 3000 },
      ),
      live(
        ctx,
        rejected,
        () => ctx.api.get("/p2p/trades", { status: "Rejected", limit: PAGE_SIZE, offset: rejectedOffset }),
        (container, page) =>
          fill(
            container,
            table({
              caption: "Rejected trades",
              empty: "No rejected trade.",
              rows: page.data,
              source: source(page, rejectedOffset, "rejected", "Rejected trade pages", "/p2p/trades", { status: "Rejected" }),
              rowAttrs: (t) => ({ "data-trade": t.tradeId }),
              columns: columns([{ label: "Reasons", cell: (t) => (t.reasons?.length ? t.reasons.join("; ") : "—") }]),
            }),
          ),
        { interval: 3000 },
      ),
    ]);
  },
};
