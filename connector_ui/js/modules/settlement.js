// Settlement: per activation its settlement versions; a settlement's chart of baseline, target
// (baseline less the set point) and measured power per period (chart.js), the per-period table, and the
// BSP's answer (accept, or dispute with a reason).

import {
  activationName,
  busy,
  clear,
  facts,
  field,
  fill,
  formatDate,
  h,
  notice,
  onClock,
  pageHeader,
  periodSpan,
  section,
  shortHash,
  shortId,
  showErrors,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";
import { stepChart } from "../chart.js";
import { answerForm, auditLink, listSource, live } from "./shared.js";

const PAGE_SIZE = 10;

function instant(start) {
  return typeof start === "number" ? new Date(start * 1000) : new Date(start);
}

/** Average power in kW over a period from its energy in Wh (null stays null). */
function kwOf(wh, seconds) {
  if (wh === null || wh === undefined) return null;
  return (Number(wh) * 3600) / (seconds || 900) / 1000;
}

/**
 * The chart's lines: the baseline, the power the set point asks for (the baseline reduced by
 * it for an "up" activation, raised by it for "down"), and the measured power.
 */
export function settlementSeries(periods, direction) {
  const sign = direction === "down" ? 1 : -1;
  const baseline = periods.map((p) => kwOf(p.baselineWh, p.durationS));
  const ordered = periods.map((p) => kwOf(p.orderedWh, p.durationS));
  return [
    { key: "baseline", label: "Baseline (without activation)", values: baseline },
    {
      key: "setpoint",
      label: `Target: baseline ${sign < 0 ? "minus" : "plus"} the set point`,
      values: baseline.map((b, i) => (b === null || ordered[i] === null ? null : b + sign * ordered[i])),
      dash: true,
    },
    { key: "measured", label: "Measured", values: periods.map((p) => kwOf(p.measuredWh, p.durationS)) },
  ];
}

/** The TSO resolves a dispute: confirm the version as it is, or resettle (a new version, computed
 *  again with the previous version's baseline method and the activation's fixed terms: price,
 *  sanction, tolerance) for the BSP to answer. */
function resolveForm(ctx, settlement) {
  const id = uniqueId("resolve");
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Resolve the dispute" },
    field({ name: "reply", label: "Reply to the BSP (with Confirm)", type: "textarea", rows: 3, hint: "Why the version stands; the BSP reads it on this settlement. At most 2000 characters." }, id),
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
      const reply = form.elements.namedItem("reply").value.trim();
      const body = decision === "confirm" && reply ? { decision, reply } : { decision };
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

/** The DSO's POD meter (authoritative) beside the BSP's device readings, per POD and period:
 *  what a dispute is about. Flags come from the settlement record (docs/settlement.md). */
function meterSection(st) {
  const pods = st.pods || {};
  const other = pods.otherSourceWh;
  const rows = (pods.podIds || []).flatMap((podId, i) =>
    (st.periods || []).map((period, j) => ({
      pod: podId,
      start: period.start,
      meter: pods.measuredWh?.[i]?.[j],
      devices: other ? other[i]?.[j] : null,
      disagree: pods.disagreement?.[i]?.[j] === true,
    })),
  );
  const kwh = (wh) => (wh === null || wh === undefined ? "no reading" : num(wh / 1000, 3));
  return section(
    "DSO meter and BSP device readings",
    h("p", { class: "muted" }, "The DSO's POD meter settles; the BSP's device readings, summed per POD, are checked against it in every period."),
    other ? null : notice("info", "The BSP sent no device readings for this activation."),
    table({
      caption: "DSO meter and BSP device readings",
      rows,
      rowAttrs: (r) => ({ "data-pod": r.pod, class: r.disagree ? "highlight" : null }),
      columns: [
        { label: "POD", cell: (r) => h("code", { title: r.pod }, shortId(r.pod)) },
        { label: onClock("Period", "platform"), cell: (r) => formatDate(instant(r.start)) },
        { label: "DSO meter (kWh)", cell: (r) => kwh(r.meter), class: "num" },
        { label: "BSP devices (kWh)", cell: (r) => kwh(r.devices), class: "num" },
        { label: "Difference (kWh)", cell: (r) => (r.meter === null || r.meter === undefined || r.devices === null || r.devices === undefined ? "—" : num((r.devices - r.meter) / 1000, 3)), class: "num" },
        { label: "Check", cell: (r) => (r.disagree ? "disagree" : r.devices === null || r.devices === undefined ? "not compared" : "agree") },
      ],
    }),
  );
}

function num(value, digits = 1) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
}

/** The names a settlement is known by, from its activation: UVAM name, periods, direction. */
async function activationAbout(ctx, activationId) {
  try {
    const activation = await ctx.api.get(`/market/activations/${encodeURIComponent(activationId)}`);
    const [bid, uvam] = await Promise.all([
      ctx.api.get(`/market/bids/${encodeURIComponent(activation.bidId)}`),
      ctx.api.get(`/uvams/${encodeURIComponent(activation.uvamId)}`).catch(() => ({})),
    ]);
    return { direction: bid.direction, uvamName: uvam.name, firstPeriod: activation.firstPeriod, periodCount: activation.setPointsKw.length };
  } catch {
    return { direction: "up" };
  }
}

async function renderDetail(ctx, settlementId) {
  const body = h("div");
  let about = null;
  fill(ctx.main, h("p", {}, h("a", { href: "#/settlement" }, "‹ All settlements")), body);
  await live(
    ctx,
    body,
    async () => {
      const st = await ctx.api.get(`/settlements/${encodeURIComponent(settlementId)}`);
      // once: the activation's UVAM and periods (its name), and the bid's direction (a set
      // point lowers or raises the baseline)
      about ||= await activationAbout(ctx, st.activationId);
      return { ...st, ...about };
    },
    (container, st) => {
      ctx.setTitle?.(`Settlement of ${activationName(st)} v${st.version}`);
      const periods = st.periods || [];
      const series = settlementSeries(periods, st.direction);
      const title = `Settlement chart of ${activationName(st)}: baseline, target and measured power`;
      const totals = st.totals || {};
      fill(
        container,
        pageHeader(`Settlement of ${activationName(st)} · version ${st.version}`, auditLink(ctx, st.activationId, `settlement of ${activationName(st)}`)),
        h("p", { class: "status-line" }, "Status: ", statusBadge(st.status)),
        facts([
          ["Activation", h("code", {}, st.activationId)],
          ["Method", st.method?.name],
          ["Sanction (EUR/MWh)", st.record?.terms?.sanctionEurMwh],
          ["Meter tolerance", st.rules?.tolerance ? `${st.rules.tolerance.relative} + ${st.rules.tolerance.absoluteWh} Wh` : undefined],
          [onClock("Answer by", "platform"), formatDate(st.answerDeadline)],
          ["Net (EUR)", totals.netEur ?? "—"],
          ["Settlement hash", shortHash(st.settlementHash)],
          ["Transaction", shortHash(st.transactionHash)],
          ["Dispute reason", st.disputeReason || undefined],
          ["TSO's reply", st.resolutionReply || undefined],
        ]),
        section(
          "Power over time",
          periods.length
            ? stepChart({ periods, series, title, caption: `Average power per 15-minute period (kW), activation direction ${st.direction}. The table below has the same figures.` })
            : notice("info", "No period in this settlement."),
        ),
        section(
          "Per-period table",
          table({
            caption: "Settlement periods",
            rows: periods,
            columns: [
              { label: onClock("Period", "platform"), cell: (p) => formatDate(instant(p.start)) },
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
        st.status === "disputed" || st.disputeReason ? meterSection(st) : null,
        ctx.me.role === "BSP" && st.status === "recorded"
          ? section("Your answer", h("p", { class: "muted" }, "Accept to make it final, or dispute it with a reason before the deadline."), answerForm(ctx, { noun: "settlement", path: `/settlements/${encodeURIComponent(st.id)}`, label: `settlement v${st.version}` }))
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
  // activations with their UVAM's name and their settlement versions
  const withSettlements = async (activations) => {
    const uvams = new Map((await ctx.api.get("/ui/market/uvams")).data.map((u) => [u.id, u]));
    return Promise.all(
      activations.map(async (a) => {
        const versions = await ctx.api.get(`/market/activations/${encodeURIComponent(a.id)}/settlements`).catch(() => ({ data: [] }));
        const uvam = uvams.get(a.uvamId);
        return { activation: { ...a, uvamName: uvam?.name, bspName: uvam?.bspName }, settlements: versions.data || [] };
      }),
    );
  };
  const results = h("div", { class: "results" });
  fill(ctx.main, pageHeader("Settlement"), h("p", { class: "muted" }, "Each settled activation with its versions; open one for its chart and per-period table."), results);
  await live(
    ctx,
    results,
    async () => {
      const page = await ctx.api.get("/market/activations", { limit: PAGE_SIZE, offset });
      return { rows: await withSettlements(page.data), count: page.count };
    },
    (container, { rows, count }) =>
      fill(
        container,
        table({
          caption: "Settlements by activation",
          empty: "No activation yet.",
          rows,
          source: listSource(ctx, { base: "settlement", page: { count }, offset, limit: PAGE_SIZE, label: "Activation pages", all: async () => withSettlements(await ctx.api.all("/market/activations")) }),
          rowAttrs: (r) => ({ "data-activation": r.activation.id }),
          columns: [
            ctx.me.role === "BSP" ? null : { label: "BSP", filter: "bsp", cell: (r) => r.activation.bspName || "—" },
            { label: "UVAM", cell: (r) => r.activation.uvamName || h("code", { title: r.activation.uvamId }, shortId(r.activation.uvamId)) },
            { label: onClock("Periods", "platform"), value: (r) => r.activation.firstPeriod, filter: "date", cell: (r) => periodSpan(r.activation.firstPeriod, r.activation.setPointsKw?.length) },
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
                        h("li", {}, h("a", { href: `#/settlement/${encodeURIComponent(st.id)}` }, `Settlement of ${activationName(r.activation)}, version ${st.version}`), " ", statusBadge(st.status)),
                      ),
                    )
                  : "not settled",
            },
          ].filter(Boolean),
        }),
      ),
    { interval: 5000 },
  );
}

export default {
  path: "settlement",
  title: "Settlement",
  roles: ["BSP", "TSO", "AUDITOR"],
  requires: ["/settlements/{settlement_id}", "/market/activations", "/market/activations/{activation_id}/settlements"],
  async render(ctx) {
    if (ctx.params?.[0]) return renderDetail(ctx, ctx.params[0]);
    return renderList(ctx);
  },
};
