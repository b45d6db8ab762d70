// Portfolio: the organisation's figures over time (GET /ui/portfolio), each chart beside a
// table of the same figures: PODs and UVAMs registered per day; kW offered in bids, awarded and
// activated per 15-minute period; flexibility delivered as settled per period; and for grid
// operators and auditors the view by grid zone (PODs, flexible kW, constraints).

import { stepChart } from "../chart.js";
import { fill, formatDate, h, notice, onClock, pageHeader, section, table } from "../ui.js";
import { live } from "./shared.js";

const DAY = 86_400;
const kwh = (wh) => Number((wh / 1000).toFixed(3));

function registrationsSection(rows) {
  if (!rows.length) return section("Registered over time", notice("info", "Nothing registered yet."));
  const periods = rows.map((r) => ({ start: `${r.day}T00:00:00Z`, durationS: DAY }));
  return section(
    "Registered over time",
    stepChart({
      periods,
      by: "day",
      unit: "count",
      title: "Chart of PODs and UVAMs registered, in total, per day",
      caption: "PODs and UVAMs registered, in total, at the end of each day (UTC). The table below has the same figures.",
      series: [
        { key: "pods", label: "PODs", values: rows.map((r) => r.pods) },
        { key: "uvams", label: "UVAMs", values: rows.map((r) => r.uvams), dash: true },
      ],
    }),
    table({
      caption: "Registered per day",
      rows,
      columns: [
        { label: "Day (UTC)", value: (r) => r.day, filter: "date", cell: (r) => r.day },
        { label: "PODs", cell: (r) => String(r.pods), class: "num" },
        { label: "UVAMs", cell: (r) => String(r.uvams), class: "num" },
      ],
    }),
  );
}

function marketSections(rows) {
  if (!rows.length) return [section("Market per period", notice("info", "No bid, award or activation yet."))];
  const periods = rows.map((r) => ({ start: r.start, durationS: 900 }));
  return [
    section(
      "Market per period",
      stepChart({
        periods,
        title: "Chart of kW offered in bids, awarded and activated per 15-minute period",
        caption: "kW per 15-minute period (platform clock). The table below has the same figures.",
        series: [
          { key: "offered", label: "Offered in bids", values: rows.map((r) => r.offeredKw) },
          { key: "awarded", label: "Awarded", values: rows.map((r) => r.awardedKw), dash: true },
          { key: "activated", label: "Activated", values: rows.map((r) => r.activatedKw) },
        ],
      }),
      stepChart({
        periods,
        unit: "kWh",
        title: "Chart of flexibility delivered per 15-minute period, as settled",
        caption: "Flexibility delivered (kWh) per period, from the latest version of each settlement.",
        series: [{ key: "delivered", label: "Delivered (settled)", values: rows.map((r) => kwh(r.deliveredWh)) }],
      }),
      table({
        caption: "Market per period",
        rows,
        columns: [
          { label: onClock("Period", "platform"), value: (r) => r.start, filter: "date", cell: (r) => formatDate(r.start) },
          { label: "Offered (kW)", cell: (r) => String(r.offeredKw), class: "num" },
          { label: "Awarded (kW)", cell: (r) => String(r.awardedKw), class: "num" },
          { label: "Activated (kW)", cell: (r) => String(r.activatedKw), class: "num" },
          { label: "Delivered (kWh)", value: (r) => kwh(r.deliveredWh), cell: (r) => kwh(r.deliveredWh).toFixed(3), class: "num" },
        ],
      }),
    ),
  ];
}

function zonesSection(zones) {
  return section(
    "By grid zone",
    h("p", { class: "muted" }, "PODs per grid zone (their location), their flexibility, and the grid constraints in force or to come."),
    table({
      caption: "Grid zones",
      empty: "No POD in any zone yet.",
      rows: zones,
      rowAttrs: (z) => ({ "data-zone": z.zone }),
      columns: [
        { label: "Zone", cell: (z) => z.zone },
        { label: "PODs", cell: (z) => String(z.pods), class: "num" },
        { label: "Flex up (kW)", cell: (z) => String(z.flexUpKw), class: "num" },
        { label: "Flex down (kW)", cell: (z) => String(z.flexDownKw), class: "num" },
        { label: "Constraints in force or to come", cell: (z) => String(z.constraints), class: "num" },
      ],
    }),
  );
}

export default {
  path: "portfolio",
  title: "Portfolio",
  roles: ["BSP", "DSO", "TSO", "AUDITOR"],
  requires: ["/ui/portfolio"],
  async render(ctx) {
    const box = h("div");
    const grid = ["DSO", "TSO", "AUDITOR"].includes(ctx.me.role);
    fill(ctx.main, pageHeader("Portfolio"), h("p", { class: "muted" }, "Your figures over time, each chart with a table of the same figures."), box);
    await live(
      ctx,
      box,
      () => ctx.api.get("/ui/portfolio"),
      (container, data) => fill(container, grid ? zonesSection(data.zones) : null, registrationsSection(data.registrations), ...marketSections(data.periods)),
      { interval: 10_000 },
    );
  },
};
