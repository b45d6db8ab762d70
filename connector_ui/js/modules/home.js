// Home: what needs this organisation's attention. A BSP sees its resources to complete and
// send, and the rejected ones with their reasons; the TSO and DSOs their review queue.

import { kindLabel } from "../operations.js";
import {
  fill,
  formatDate,
  h,
  kw,
  pageHeader,
  section,
  shortHash,
  statusBadge,
  table,
} from "../ui.js";
import { podLink } from "./resources.js";
import { uvamLink } from "./resource-groups.js";
import { live } from "./shared.js";

const LIMIT = 10;

export default {
  path: "home",
  title: "Home",
  async render(ctx) {
    const box = h("div", { class: "home" });
    fill(ctx.main, pageHeader(`Welcome, ${ctx.me.name}`), box);
    const load = { BSP: loadBsp, TSO: loadReviewer, DSO: loadReviewer }[ctx.me.role] || loadOther;
    const draw = { BSP: drawBsp, TSO: drawReviewer, DSO: drawReviewer }[ctx.me.role] || drawOther;
    await live(ctx, box, () => load(ctx), (container, data) => fill(container, ...draw(ctx, data)), { interval: 4000 });
  },
};

const pods = (ctx, status) => ctx.api.get("/pods", { status, limit: LIMIT });
const uvams = (ctx, status) => ctx.api.get("/uvams", { status, limit: LIMIT });
const recentOperations = (ctx) => ctx.api.get("/operations", { limit: 5 });

async function loadBsp(ctx) {
  const [registered, open, underReview, verified, validated, rejected, uvamRegistered, uvamOpen, uvamRejected, operations] =
    await Promise.all([
      pods(ctx, "Registered"), pods(ctx, "Open"), pods(ctx, "UnderReview"), pods(ctx, "Verified"),
      pods(ctx, "Validated"), pods(ctx, "Rejected"), uvams(ctx, "Registered"), uvams(ctx, "Open"),
      uvams(ctx, "Rejected"), recentOperations(ctx),
    ]);
  return {
    toComplete: [...registered.data, ...open.data].slice(0, LIMIT),
    toCompleteStatus: registered.count ? "Registered" : "Open",
    toCompleteCount: registered.count + open.count,
    inReview: underReview.count + verified.count,
    validated: validated.count,
    rejected,
    uvamsToComplete: [...uvamRegistered.data, ...uvamOpen.data],
    uvamsRejected: uvamRejected.data,
    operations: operations.data,
  };
}

function tile(label, value, href) {
  return h("a", { class: "tile", href }, h("span", { class: "tile-value" }, String(value)), h("span", { class: "tile-label" }, label));
}

function drawBsp(ctx, data) {
  return [
    h(
      "div",
      { class: "tiles", role: "list" },
      [
        tile("PODs to complete", data.toCompleteCount, `#/resources?status=${data.toCompleteStatus}`),
        tile("PODs in review", data.inReview, "#/resources?status=UnderReview"),
        tile("PODs validated", data.validated, "#/resources?status=Validated"),
        tile("PODs rejected", data.rejected.count, "#/resources?status=Rejected"),
      ].map((t) => (t.setAttribute("role", "listitem"), t)),
    ),
    section(
      "PODs to complete and send for validation",
      table({
        caption: "PODs in Registered or Open",
        empty: "Nothing to complete.",
        rows: data.toComplete,
        columns: [
          { label: "POD", cell: podLink },
          { label: "Name", cell: (p) => p.resourceName },
          { label: "Status", cell: (p) => statusBadge(p.status) },
          { label: "Updated", cell: (p) => formatDate(p.updatedAt) },
        ],
      }),
      data.toCompleteCount > data.toComplete.length ? h("p", {}, `Showing ${data.toComplete.length} of ${data.toCompleteCount}: `, h("a", { href: "#/resources?status=Registered" }, "Registered"), " · ", h("a", { href: "#/resources?status=Open" }, "Open")) : null,
    ),
    section(
      "Rejected PODs",
      table({
        caption: "Rejected PODs with reasons",
        empty: "No rejected POD.",
        rows: data.rejected.data,
        columns: [
          { label: "POD", cell: podLink },
          { label: "Name", cell: (p) => p.resourceName },
          { label: "Reasons", cell: (p) => (p.reasons?.length ? h("ul", { class: "reasons" }, p.reasons.map((r) => h("li", {}, r))) : "—") },
          { label: "Updated", cell: (p) => formatDate(p.updatedAt) },
        ],
      }),
      data.rejected.count > data.rejected.data.length ? h("p", {}, h("a", { href: "#/resources?status=Rejected" }, `All ${data.rejected.count} rejected PODs`)) : null,
    ),
    data.uvamsToComplete.length || data.uvamsRejected.length
      ? section(
          "Resource groups to complete",
          table({
            caption: "Resource groups in Registered, Open or Rejected",
            rows: [...data.uvamsToComplete, ...data.uvamsRejected],
            columns: [
              { label: "Name", cell: uvamLink },
              { label: "Status", cell: (u) => statusBadge(u.status) },
              { label: "Reasons", cell: (u) => (u.reasons?.length ? u.reasons.join("; ") : "—") },
            ],
          }),
        )
      : null,
    operationsSection(data.operations),
  ];
}

async function loadReviewer(ctx) {
  const [queue, operations] = await Promise.all([ctx.api.get("/reviews"), recentOperations(ctx)]);
  return { queue, operations: operations.data };
}

function drawReviewer(ctx, { queue, operations }) {
  const waiting = queue.pods.length + queue.uvams.length;
  const step = ctx.me.role === "TSO" ? "verification (PODs under review) and qualification (UVAMs)" : "validation (PODs the TSO verified on your grid)";
  return [
    h(
      "div",
      { class: "tiles", role: "list" },
      h("a", { class: "tile", href: "#/reviews", role: "listitem" }, h("span", { class: "tile-value" }, String(waiting)), h("span", { class: "tile-label" }, "waiting for your decision")),
    ),
    section(
      "Waiting for your decision",
      h("p", { class: "muted" }, `Your step: ${step}.`),
      table({
        caption: "Review queue",
        empty: "Nothing waits for your decision.",
        rows: [...queue.pods.map((p) => ({ ...p, kind: "POD" })), ...queue.uvams.map((u) => ({ ...u, kind: "UVAM" }))],
        columns: [
          { label: "Kind", cell: (r) => r.kind },
          { label: "Resource", cell: (r) => (r.kind === "POD" ? podLink(r) : uvamLink(r)) },
          { label: "Name", cell: (r) => r.resourceName || r.name },
          { label: "Status", cell: (r) => statusBadge(r.status) },
          { label: "Flex up / down", cell: (r) => (r.kind === "POD" ? `${kw(r.maximumFlexUp)} / ${kw(r.maximumFlexDown)}` : `${kw(r.maximumQualifiedPower)} / ${kw(r.minimumQualifiedPower)}`) },
          { label: "Since", cell: (r) => formatDate(r.updatedAt) },
        ],
      }),
      waiting ? h("p", {}, h("a", { href: "#/reviews", class: "button primary" }, "Open the validation queue")) : null,
    ),
    operationsSection(operations),
  ];
}

async function loadOther(ctx) {
  const [all, validated, inReview] = await Promise.all([
    ctx.api.get("/pods", { limit: 1 }), ctx.api.get("/pods", { status: "Validated", limit: 1 }), ctx.api.get("/pods", { status: "UnderReview", limit: 1 }),
  ]);
  return { all: all.count, validated: validated.count, inReview: inReview.count };
}

function drawOther(ctx, data) {
  return [
    h("p", { class: "muted" }, "Read-only access: browse the resources and their history."),
    h(
      "div",
      { class: "tiles", role: "list" },
      [tile("PODs", data.all, "#/resources"), tile("Validated", data.validated, "#/resources?status=Validated"), tile("Under review", data.inReview, "#/resources?status=UnderReview")].map(
        (t) => (t.setAttribute("role", "listitem"), t),
      ),
    ),
  ];
}

function operationsSection(operations) {
  return section(
    "Your latest operations",
    table({
      caption: "Latest operations",
      empty: "No operation yet.",
      rows: operations,
      columns: [
        { label: "Operation", cell: (o) => kindLabel(o.kind) },
        { label: "Status", cell: (o) => statusBadge(o.status) },
        { label: "Transaction", cell: (o) => shortHash(o.transactionHashes?.[0]) },
        { label: "When", cell: (o) => formatDate(o.createdAt) },
      ],
    }),
    h("p", {}, h("a", { href: "#/operations" }, "All operations")),
  );
}
