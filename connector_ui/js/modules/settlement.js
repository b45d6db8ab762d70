// Settlement: per activation its settlement versions; a settlement's chart of baseline, set
// point and measured power per period (inline SVG, drawn here), the per-period table, and the
// BSP's answer (accept, or dispute with a reason).

import {
  busy,
  clear,
  facts,
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
import { live, withQuery } from "./shared.js";

const PAGE_SIZE = 10;
const SVG = "http://www.w3.org/2000/svg";


function instant(start) {
  return typeof start === "number" ? new Date(start * 1000) : new Date(start);
}

/** Average power in kW over a period from its energy in Wh (null stays null). */
function kwOf(wh, seconds) {
  if (wh === null || wh === undefined) return null;
  return (Number(wh) * 3600) / (seconds || 900) / 1000;
}

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) element.setAttribute(key, String(value));
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function hhmm(date) {
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** Step lines of the series over the periods; series: [{key, label, values: [kW|null]}]. */
export function powerChart(periods, series, title) {
  const width = 720;
  const height = 300;
  const margin = { left: 56, right: 40, top: 16, bottom: 40 };
  const innerW = width - margin.left - margin.right;
  const innerH = height - margin.top - margin.bottom;
  const starts = periods.map((p) => instant(p.start).getTime());
  const t0 = Math.min(...starts);
  const t1 = Math.max(...periods.map((p, i) => starts[i] + (p.durationS || 900) * 1000));
  const all = series.flatMap((line) => line.values).filter((v) => v !== null && Number.isFinite(v));
  const top = Math.max(1, ...all) * 1.15;
  const bottom = Math.min(0, ...all);
  const x = (t) => margin.left + ((t - t0) / Math.max(1, t1 - t0)) * innerW;
  const y = (v) => margin.top + innerH - ((v - bottom) / (top - bottom)) * innerH;
  const ticks = 5;
  const grid = [];
  for (let i = 0; i <= ticks; i += 1) {
    const value = bottom + ((top - bottom) * i) / ticks;
    grid.push(
      s("line", { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value), class: "chart-grid" }),
      s("text", { x: margin.left - 6, y: y(value) + 4, "text-anchor": "end", class: "chart-tick" }, value.toFixed(1)),
    );
  }
  const times = [...starts, t1].map((t) => s("text", { x: x(t), y: height - margin.bottom + 18, "text-anchor": "middle", class: "chart-tick" }, hhmm(new Date(t))));
  const lines = series.map((line) => {
    const parts = [];
    line.values.forEach((value, i) => {
      if (value === null || !Number.isFinite(value)) return;
      const a = x(starts[i]);
      const b = x(starts[i] + (periods[i].durationS || 900) * 1000);
      parts.push(`M${a.toFixed(1)},${y(value).toFixed(1)}H${b.toFixed(1)}`);
    });
    return s(
      "path",
      { d: parts.join(" ") || "M0,0", class: `chart-line series-${line.key}`, "data-series": line.key },
      s("title", {}, `${line.label}: ${line.values.map((v) => (v === null ? "no data" : `${v.toFixed(1)} kW`)).join(", ")}`),
    );
  });
  const svg = s(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, class: "power-chart", role: "img", "aria-label": title },
    s("title", {}, title),
    grid,
    s("line", { x1: margin.left, x2: margin.left, y1: margin.top, y2: margin.top + innerH, class: "chart-axis" }),
    s("line", { x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0), class: "chart-axis" }),
    times,
    s("text", { x: 12, y: margin.top + innerH / 2, transform: `rotate(-90 12 ${margin.top + innerH / 2})`, "text-anchor": "middle", class: "chart-tick" }, "kW"),
    lines,
  );
  const legend = h(
    "ul",
    { class: "chart-legend" },
    series.map((line) => h("li", {}, h("span", { class: `swatch series-${line.key}`, "aria-hidden": "true" }), line.label)),
  );
  return h("figure", { class: "chart" }, svg, legend, h("figcaption", { class: "muted" }, "Average power per period, kW. The table below has the same figures."));
}

function answerForm(ctx, settlement) {
  const id = uniqueId("answer");
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Answer the settlement" },
    field({ name: "reason", label: "Reason (required to dispute)", type: "textarea", rows: 2 }, id),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "primary", value: "accept" }, "Accept settlement"),
      h("button", { type: "submit", class: "danger", value: "dispute" }, "Dispute settlement"),
    ),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const dispute = event.submitter?.value === "dispute";
    busy(form, async () => {
      clear(status);
      const reason = form.elements.namedItem("reason").value.trim();
      const path = `/settlements/${encodeURIComponent(settlement.id)}/${dispute ? "dispute" : "accept"}`;
      try {
        await ctx.tracker.run(`${dispute ? "Dispute" : "Accept"} settlement v${settlement.version}`, () =>
          ctx.api.post(path, dispute ? { reason } : {}),
        );
        status.textContent = dispute ? "Disputed on chain." : "Accepted on chain.";
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

/** The TSO resolves a dispute: confirm the version as it is, or resettle (a new version, computed
 *  again with the previous version's baseline method and the activation's fixed terms: price,
 *  sanction, tolerance) for the BSP to answer. */
function resolveForm(ctx, settlement) {
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Resolve the dispute" },
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "primary", value: "confirm" }, "Confirm settlement"),
      h("button", { type: "submit", value: "resettle" }, "Resettle as a new version"),
    ),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const decision = event.submitter?.value === "resettle" ? "resettle" : "confirm";
    busy(form, async () => {
      clear(status);
      // No method: the platform keeps the previous version's (the record's {name, version,
      // params} is not a method spec) and the terms fixed with the first version.
      const body = { decision };
      try {
        await ctx.tracker.run(`${decision === "confirm" ? "Confirm" : "Resettle"} settlement v${settlement.version}`, () =>
          ctx.api.post(`/settlements/${encodeURIComponent(settlement.id)}/resolve`, body),
        );
        status.textContent = decision === "confirm" ? "Confirmed: final on chain." : "Resettled: a new version is recorded.";
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

function num(value, digits = 1) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
}

async function renderDetail(ctx, settlementId) {
  const body = h("div");
  fill(ctx.main, h("p", {}, h("a", { href: "#/settlement" }, "‹ All settlements")), body);
  await live(
    ctx,
    body,
    () => ctx.api.get(`/settlements/${encodeURIComponent(settlementId)}`),
    (container, st) => {
      ctx.setTitle?.(`Settlement ${shortId(st.activationId)} v${st.version}`);
      const periods = st.periods || [];
      const series = [
        { key: "baseline", label: "Baseline", values: periods.map((p) => kwOf(p.baselineWh, p.durationS)) },
        { key: "setpoint", label: "Set point (ordered flexibility)", values: periods.map((p) => kwOf(p.orderedWh, p.durationS)) },
        { key: "measured", label: "Measured", values: periods.map((p) => kwOf(p.measuredWh, p.durationS)) },
      ];
      const title = `Settlement chart of activation ${shortId(st.activationId)}: baseline, set point and measured power`;
      const totals = st.totals || {};
      fill(
        container,
        pageHeader(`Settlement of activation ${shortId(st.activationId)} · version ${st.version}`),
        h("p", { class: "status-line" }, "Status: ", statusBadge(st.status)),
        facts([
          ["Activation", h("code", {}, st.activationId)],
          ["Method", st.method?.name],
          ["Sanction (EUR/MWh)", st.record?.terms?.sanctionEurMwh],
          ["Meter tolerance", st.rules?.tolerance ? `${st.rules.tolerance.relative} + ${st.rules.tolerance.absoluteWh} Wh` : undefined],
          ["Answer by", formatDate(st.answerDeadline)],
          ["Net (EUR)", totals.netEur ?? "—"],
          ["Settlement hash", shortHash(st.settlementHash)],
          ["Transaction", shortHash(st.transactionHash)],
          ["Dispute reason", st.disputeReason || undefined],
        ]),
        section("Power over time", periods.length ? powerChart(periods, series, title) : notice("info", "No period in this settlement.")),
        section(
          "Per-period table",
          table({
            caption: "Settlement periods",
            rows: periods,
            columns: [
              { label: "Period", cell: (p) => formatDate(instant(p.start)) },
              { label: "Baseline (kWh)", cell: (p) => num(p.baselineWh / 1000, 3), class: "num" },
              { label: "Measured (kWh)", cell: (p) => (p.measuredWh === null || p.measuredWh === undefined ? "no data" : num(p.measuredWh / 1000, 3)), class: "num" },
              { label: "Ordered (kWh)", cell: (p) => num(p.orderedWh / 1000, 3), class: "num" },
              { label: "Delivered (kWh)", cell: (p) => num((p.deliveredWh ?? 0) / 1000, 3), class: "num" },
              { label: "Price (EUR/MWh)", cell: (p) => p.priceEurMwh ?? "—", class: "num" },
              { label: "Sanction (EUR/MWh)", cell: (p) => p.sanctionEurMwh ?? "—", class: "num" },
              { label: "Remuneration (EUR)", cell: (p) => p.remunerationEur ?? "—", class: "num" },
              { label: "Penalty (EUR)", cell: (p) => p.penaltyEur ?? "—", class: "num" },
              { label: "Net (EUR)", cell: (p) => p.netEur ?? "—", class: "num" },
              { label: "Result", cell: (p) => (p.met === true ? "met" : p.met === false ? "not met" : p.status || "—") },
            ],
          }),
        ),
        ctx.me.role === "BSP" && st.status === "recorded"
          ? section("Your answer", h("p", { class: "muted" }, "Accept to make it final, or dispute it with a reason before the deadline."), answerForm(ctx, st))
          : null,
        ctx.me.role === "TSO" && st.status === "disputed"
          ? section("Resolve the dispute", h("p", { class: "muted" }, `The BSP disputes this version: ${st.disputeReason || "no reason given"}.`), resolveForm(ctx, st))
          : null,
      );
    },
    { interval: 4000 },
  );
}

async function renderList(ctx) {
  const offset = Number(ctx.query.get("offset") || 0);
  const results = h("div", { class: "results" });
  fill(ctx.main, pageHeader("Settlement"), h("p", { class: "muted" }, "Each settled activation with its versions; open one for its chart and per-period table."), results);
  await live(
    ctx,
    results,
    async () => {
      const page = await ctx.api.get("/market/activations", { limit: PAGE_SIZE, offset });
      const rows = await Promise.all(
        page.data.map(async (a) => {
          const versions = await ctx.api.get(`/market/activations/${encodeURIComponent(a.id)}/settlements`).catch(() => ({ data: [] }));
          return { activation: a, settlements: versions.data || [] };
        }),
      );
      return { rows, count: page.count };
    },
    (container, { rows, count }) =>
      fill(
        container,
        table({
          caption: "Settlements by activation",
          empty: "No activation yet.",
          rows,
          rowAttrs: (r) => ({ "data-activation": r.activation.id }),
          columns: [
            { label: "Activation", cell: (r) => h("code", { title: r.activation.id }, shortId(r.activation.id)) },
            { label: "First period", cell: (r) => formatDate(r.activation.firstPeriod) },
            { label: "Set points (kW)", cell: (r) => (r.activation.setPointsKw || []).join(" / ") },
            { label: "Activation status", cell: (r) => statusBadge(r.activation.status) },
            {
              label: "Settlement",
              cell: (r) =>
                r.settlements.length
                  ? h(
                      "ul",
                      { class: "plain" },
                      r.settlements.map((st) =>
                        h("li", {}, h("a", { href: `#/settlement/${encodeURIComponent(st.id)}` }, `Version ${st.version} of ${shortId(r.activation.id)}`), " ", statusBadge(st.status)),
                      ),
                    )
                  : "not settled",
            },
          ],
        }),
        count > PAGE_SIZE || offset > 0 ? pager({ count, limit: PAGE_SIZE, offset, label: "Activation pages", onPage: (next) => ctx.navigate(withQuery(ctx, "settlement", { offset: next })) }) : null,
      ),
    { interval: 5000 },
  );
}

export default {
  path: "settlement",
  title: "Settlement",
  roles: ["BSP", "TSO"],
  requires: ["/settlements/{settlement_id}", "/market/activations", "/market/activations/{activation_id}/settlements"],
  async render(ctx) {
    if (ctx.params?.[0]) return renderDetail(ctx, ctx.params[0]);
    return renderList(ctx);
  },
};
