// Statements (issue 14): one per BSP and period. The list; a statement's activation lines per
// ISP (UFTP FlexSettlement columns), its availability pay and netting, CSV and PDF downloads,
// and the BSP's answer as a whole (accept, or dispute with a reason). docs/statements.md.

import { facts, fill, formatDate, h, notice, onClock, pageHeader, section, shortHash, statusBadge, table } from "../ui.js";
import { answerForm, live } from "./shared.js";

function instant(start) {
  return new Date(Number(start) * 1000);
}

function kwh(wh) {
  return wh === null || wh === undefined ? "—" : (Number(wh) / 1000).toFixed(3);
}

/** Fetch the export with the token and offer it as a file. */
async function download(ctx, st, format) {
  const response = await ctx.api.request("GET", `/statements/${encodeURIComponent(st.id)}/export`, { query: { format }, raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: `statement-${st.bsp}-${st.period.start}.${format}`, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function linesOf(document) {
  return (document.activations || []).flatMap((a) => a.isps.map((line) => ({ ...line, activationId: a.activationId })));
}

async function renderDetail(ctx, statementId) {
  const body = h("div");
  fill(ctx.main, h("p", {}, h("a", { href: "#/statements" }, "‹ All statements")), body);
  await live(
    ctx,
    body,
    () => ctx.api.get(`/statements/${encodeURIComponent(statementId)}`),
    (container, st) => {
      const title = `Statement of ${st.bsp} · ${st.period.start} to ${st.period.end}`;
      ctx.setTitle?.(title);
      const doc = st.document || {};
      const totals = st.totals || {};
      const buttons = ["csv", "pdf"].map((format) => {
        const button = h("button", { type: "button" }, `Download ${format.toUpperCase()}`);
        button.addEventListener("click", () => download(ctx, st, format));
        return button;
      });
      fill(
        container,
        pageHeader(title, ...buttons),
        h("p", { class: "status-line" }, "Status: ", statusBadge(st.status)),
        facts([
          ["Energy remuneration (EUR)", totals.remunerationEur],
          ["Penalties (EUR)", totals.penaltyEur],
          ["Availability (EUR)", totals.availabilityEur],
          ["Net (EUR)", totals.netEur],
          ["Statement hash", shortHash(st.statementHash)],
          ["Transaction", shortHash(st.transactionHash)],
          ["Dispute reason", st.disputeReason || undefined],
        ]),
        section(
          "Activations per ISP",
          table({
            caption: "Statement lines",
            rows: linesOf(doc),
            empty: "No final settlement in this period.",
            columns: [
              { label: onClock("ISP", "platform"), cell: (l) => formatDate(instant(l.start)) },
              { label: "Baseline (kWh)", cell: (l) => kwh(l.baselineWh), class: "num" },
              { label: "Ordered (kWh)", cell: (l) => kwh(l.orderedWh), class: "num" },
              { label: "Actual (kWh)", cell: (l) => kwh(l.actualWh), class: "num" },
              { label: "Delivered (kWh)", cell: (l) => kwh(l.deliveredWh), class: "num" },
              { label: "Deficiency (kWh)", cell: (l) => kwh(l.deficiencyWh), class: "num" },
              { label: "Price (EUR/MWh)", cell: (l) => l.priceEurMwh, class: "num" },
              { label: "Penalty (EUR)", cell: (l) => l.penaltyEur, class: "num" },
              { label: "Net (EUR)", cell: (l) => l.netEur, class: "num" },
            ],
          }),
        ),
        section(
          "Availability",
          table({
            caption: "Availability pay",
            rows: (doc.availability || []).flatMap((a) => a.isps.map((line) => ({ ...line, price: a.priceEurKwIsp }))),
            empty: "No award in this period.",
            columns: [
              { label: onClock("ISP", "platform"), cell: (l) => formatDate(instant(l.start)) },
              { label: "Awarded (kW)", cell: (l) => l.awardedKw, class: "num" },
              { label: "Price (EUR/kW/ISP)", cell: (l) => l.price ?? "none agreed", class: "num" },
              { label: "Availability (EUR)", cell: (l) => l.availabilityEur, class: "num" },
            ],
          }),
        ),
        (doc.outstanding || []).length ? notice("info", `${doc.outstanding.length} activation(s) of the period had no final settlement when the statement was issued; they are not netted.`) : null,
        ctx.me.role === "BSP" && st.status === "recorded" ? section("Your answer", h("p", { class: "muted" }, "Accept the statement as a whole, or dispute it with a reason. You answer once."), answerForm(ctx, { noun: "statement", path: `/statements/${encodeURIComponent(st.id)}`, label: `statement ${st.period.start}` })) : null,
      );
    },
    { interval: 4000 },
  );
}

async function renderList(ctx) {
  const results = h("div", { class: "results" });
  fill(ctx.main, pageHeader("Statements"), h("p", { class: "muted" }, "One statement per BSP and month: every final settlement, the availability pay and the netting."), results);
  await live(
    ctx,
    results,
    () => ctx.api.get("/statements"),
    (container, page) =>
      fill(
        container,
        table({
          caption: "Statements",
          empty: "No statement yet.",
          rows: page.data,
          rowAttrs: (st) => ({ "data-statement": st.id }),
          columns: [
            { label: "BSP", cell: (st) => st.bsp },
            { label: "Period", cell: (st) => h("a", { href: `#/statements/${encodeURIComponent(st.id)}` }, `${st.period.start} to ${st.period.end}`) },
            { label: "Net (EUR)", cell: (st) => st.totals?.netEur, class: "num" },
            { label: "Status", cell: (st) => statusBadge(st.status) },
          ],
        }),
      ),
    { interval: 5000 },
  );
}

export default {
  path: "statements",
  title: "Statements",
  roles: ["BSP", "TSO", "AUDITOR"],
  requires: ["/statements", "/statements/{statement_id}"],
  async render(ctx) {
    if (ctx.params?.[0]) return renderDetail(ctx, ctx.params[0]);
    return renderList(ctx);
  },
};
