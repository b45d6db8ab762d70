// P2P trades (FLOW D5.5 §2, Figures 6-7): pending and confirmed trades with the source's
// columns; the window's operator confirms or rejects (with a reason); a BSP adds its buyers'
// matched trades of a window ("Add Batch").

import {
  busy,
  clear,
  field,
  fill,
  formatDate,
  h,
  notice,
  pageHeader,
  pager,
  section,
  shortHash,
  shortId,
  showErrors,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";
import { keeper, live, withQuery } from "./shared.js";

const PAGE_SIZE = 10;


function columns(extra = []) {
  return [
    { label: "Sender hash", cell: (t) => shortHash(t.senderHash) },
    { label: "Receiver hash", cell: (t) => shortHash(t.receiverHash) },
    { label: "Energy (kWh)", cell: (t) => t.energyKwh, class: "num" },
    { label: "P2P cost (EUR)", cell: (t) => t.costEur, class: "num" },
    { label: "Timestamp", cell: (t) => h("time", { datetime: t.timestamp }, formatDate(t.timestamp)) },
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
  requires: ["/p2p/trades", "/p2p/trades/{trade_id}/confirm", "/p2p/trades/{trade_id}/reject"],
  async render(ctx) {
    const pendingOffset = Number(ctx.query.get("pending") || 0);
    const confirmedOffset = Number(ctx.query.get("confirmed") || 0);
    const operator = ctx.me.role === "OPERATOR";
    const kept = keeper();
    const pending = h("div", { class: "results" });
    const confirmed = h("div", { class: "results" });
    const rejected = h("div", { class: "results" });
    fill(
      ctx.main,
      pageHeader("P2P trades"),
      h("p", { class: "muted" }, "Energy traded between electric vehicles at the window's posted price. EVs appear only by their pseudonymous hashes."),
      ctx.me.role === "BSP" ? section("Add Batch", addBatchForm(ctx)) : null,
      section("Pending trades", operator ? h("p", { class: "muted" }, "As the window's operator you confirm each trade, or reject it with a reason.") : null, pending),
      section("Confirmed trades", confirmed),
      section("Rejected trades", rejected),
    );
    const decision = operator ? [{ label: "Decision", cell: (t) => kept(t.tradeId, () => decisionCell(ctx, t)) }] : [];
    const pages = (count, offset, key, label) =>
      count > PAGE_SIZE || offset > 0
        ? pager({ count, limit: PAGE_SIZE, offset, label, onPage: (next) => ctx.navigate(withQuery(ctx, "p2p", { [key]: next })) })
        : null;
    await Promise.all([
      live(
        ctx,
        pending,
        () => ctx.api.get("/p2p/trades", { status: "Pending", limit: PAGE_SIZE, offset: pendingOffset }),
        (container, page) =>
          fill(container, table({ caption: "Pending trades", empty: "No pending trade.", rows: page.data, rowAttrs: (t) => ({ "data-trade": t.tradeId }), columns: columns(decision) }), pages(page.count, pendingOffset, "pending", "Pending trade pages")),
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
              rowAttrs: (t) => ({ "data-trade": t.tradeId }),
              columns: columns([{ label: "Settlement tx", cell: (t) => shortHash(t.settledTransaction) }]),
            }),
            pages(page.count, confirmedOffset, "confirmed", "Confirmed trade pages"),
          ),
        { interval: 3000 },
      ),
      live(
        ctx,
        rejected,
        () => ctx.api.get("/p2p/trades", { status: "Rejected", limit: PAGE_SIZE }),
        (container, page) =>
          fill(
            container,
            table({
              caption: "Rejected trades",
              empty: "No rejected trade.",
              rows: page.data,
              rowAttrs: (t) => ({ "data-trade": t.tradeId }),
              columns: columns([{ label: "Reasons", cell: (t) => (t.reasons?.length ? t.reasons.join("; ") : "—") }]),
            }),
            page.count > PAGE_SIZE ? notice("info", `Showing the first ${PAGE_SIZE} of ${page.count}.`) : null,
          ),
        { interval: 3000 },
      ),
    ]);
  },
};
