// The home page's "needs your attention" sections, one set per role, drawn from
// GET /ui/attention (ledger/dashboard/attention.py). Every item links to the page where it is
// acted on; deadlines count down (countdown.js).

import { countdown } from "../countdown.js";
import { activationName, formatDate, h, kw, onClock, section, shortId, statusBadge, table } from "../ui.js";
import { podLink } from "./resources.js";
import { uvamLink } from "./resource-groups.js";


function periods(values) {
  return (values || []).join(" / ");
}

/** A count that links to where its items are acted on (a link inside a list item). */
export function tile(label, value, href) {
  return h(
    "li",
    {},
    h("a", { class: "tile", href }, h("span", { class: "tile-value" }, String(value)), h("span", { class: "tile-label" }, label)),
  );
}

export function tiles(...items) {
  return h("ul", { class: "tiles" }, items);
}

/** "Showing 10 of 14 · all on <page>" under a capped group. */
function more(group, href, page) {
  return group.count > group.items.length
    ? h("p", {}, `Showing ${group.items.length} of ${group.count} · `, h("a", { href }, `all on ${page}`))
    : null;
}

const activationHref = (a) => `#/market?activation=${encodeURIComponent(a.id)}`;
const settlementHref = (s) => `#/settlement/${encodeURIComponent(s.id)}`;

// ------------------------------------------------------------------ BSP

function activationsToAcknowledge(group) {
  return section(
    "Activations to acknowledge",
    table({
      caption: "Activations to acknowledge",
      empty: "No activation waits for your acknowledgement.",
      rows: group.items,
      rowAttrs: (a) => ({ "data-activation": a.id }),
      columns: [
        { label: "Activation", cell: (a) => h("a", { href: activationHref(a) }, `Acknowledge ${activationName(a)}`) },
        { label: onClock("First period", "platform"), value: (a) => a.firstPeriod, cell: (a) => formatDate(a.firstPeriod) },
        { label: "Set points (kW)", cell: (a) => periods(a.setPointsKw) },
        { label: onClock("Acknowledge by", "platform"), value: (a) => a.ackDeadline, cell: (a) => countdown(a.ackDeadline) },
      ],
    }),
    more(group, "#/market", "the Market page"),
  );
}

function settlementsToAnswer(group) {
  return section(
    "Settlements to accept or dispute",
    table({
      caption: "Settlements to answer",
      empty: "No settlement waits for your answer.",
      rows: group.items,
      rowAttrs: (s) => ({ "data-settlement": s.id }),
      columns: [
        { label: "Settlement", cell: (s) => h("a", { href: settlementHref(s) }, `Answer the settlement of ${activationName(s)} (version ${s.version})`) },
        { label: "Net (EUR)", cell: (s) => s.totals?.netEur ?? "—", class: "num" },
        { label: onClock("Answer by", "platform"), value: (s) => s.answerDeadline, cell: (s) => countdown(s.answerDeadline) },
      ],
    }),
    more(group, "#/settlement", "the Settlement page"),
  );
}

function bidsClosingSoon(group, horizonSeconds) {
  const minutes = Math.round(horizonSeconds / 60);
  return section(
    "Bids near gate closure",
    h("p", { class: "muted" }, `Received or Active bids whose gate closes within ${minutes} minutes: update or withdraw them before it does.`),
    table({
      caption: "Bids near gate closure",
      empty: "No bid closes its gate soon.",
      rows: group.items,
      rowAttrs: (b) => ({ "data-bid": b.id }),
      columns: [
        { label: "Bid", cell: (b) => h("a", { href: `#/market?status=${encodeURIComponent(b.status)}` }, `Bid of ${b.uvamName || shortId(b.uvamId)}`) },
        { label: "Product", cell: (b) => `${b.productId} ${b.direction}` },
        { label: onClock("Delivery start", "platform"), value: (b) => b.deliveryStart, cell: (b) => formatDate(b.deliveryStart) },
        { label: "Quantities (kW)", cell: (b) => periods(b.quantitiesKw) },
        { label: "Status", cell: (b) => statusBadge(b.status) },
        { label: onClock("Gate closes", "platform"), value: (b) => b.gateClosesAt, cell: (b) => countdown(b.gateClosesAt) },
      ],
    }),
    more(group, "#/market", "the Market page"),
  );
}

function resourcesWaiting(pods, uvams) {
  const rows = [...pods.items.map((p) => ({ ...p, kind: "POD" })), ...uvams.items.map((u) => ({ ...u, kind: "UVAM" }))];
  return section(
    "Waiting for the TSO or the DSO",
    table({
      caption: "Resources waiting for a decision",
      empty: "Nothing of yours is in review.",
      rows,
      columns: [
        { label: "Kind", cell: (r) => r.kind },
        { label: "Resource", cell: (r) => (r.kind === "POD" ? podLink(r) : uvamLink(r)) },
        { label: "Status", cell: (r) => statusBadge(r.status) },
        { label: "Waiting for", cell: (r) => (r.status === "Verified" ? "the DSO's validation" : r.kind === "POD" ? "the TSO's verification" : "the TSO's qualification") },
        { label: onClock("Since", "wall"), value: (r) => r.updatedAt, cell: (r) => formatDate(r.updatedAt) },
      ],
    }),
    more({ count: pods.count + uvams.count, items: rows }, "#/resources?status=UnderReview", "the Resources page"),
  );
}

export function rejectedPods(group) {
  return section(
    "Rejected PODs",
    table({
      caption: "Rejected PODs with reasons",
      empty: "No rejected POD.",
      rows: group.items,
      columns: [
        { label: "POD", cell: podLink },
        { label: "Name", cell: (p) => p.resourceName },
        { label: "Reasons", cell: (p) => (p.reasons?.length ? h("ul", { class: "reasons" }, p.reasons.map((r) => h("li", {}, r))) : "—") },
        { label: onClock("Updated", "wall"), value: (p) => p.updatedAt, cell: (p) => formatDate(p.updatedAt) },
      ],
    }),
    more(group, "#/resources?status=Rejected", "the Resources page"),
  );
}

export function bspTiles(groups, toComplete) {
  return tiles(
    tile("Activations to acknowledge", groups.activationsToAcknowledge.count, "#/market"),
    tile("Settlements to answer", groups.settlementsToAnswer.count, "#/settlement"),
    tile("Bids near gate closure", groups.bidsClosingSoon.count, "#/market?status=Active"),
    tile("PODs to complete", toComplete.count, `#/resources?status=${toComplete.status}`),
    tile("In review", groups.podsWaiting.count + groups.uvamsWaiting.count, "#/resources?status=UnderReview"),
    tile("PODs rejected", groups.podsRejected.count, "#/resources?status=Rejected"),
  );
}

export function bspSections(attention) {
  const g = attention.groups;
  return [
    activationsToAcknowledge(g.activationsToAcknowledge),
    settlementsToAnswer(g.settlementsToAnswer),
    bidsClosingSoon(g.bidsClosingSoon, attention.gateHorizonSeconds),
    rejectedPods(g.podsRejected),
    resourcesWaiting(g.podsWaiting, g.uvamsWaiting),
  ];
}

// ------------------------------------------------------------------ DSO and TSO

function reviewQueue(ctx, pods, uvams) {
  const step = ctx.me.role === "TSO" ? "verification (PODs under review) and qualification (UVAMs)" : "validation (PODs the TSO verified on your grid)";
  const rows = [...pods.items.map((p) => ({ ...p, kind: "POD" })), ...uvams.items.map((u) => ({ ...u, kind: "UVAM" }))];
  return section(
    "Waiting for your decision",
    h("p", { class: "muted" }, `Your step: ${step}.`),
    table({
      caption: "Review queue",
      empty: "Nothing waits for your decision.",
      rows,
      columns: [
        { label: "Kind", cell: (r) => r.kind },
        { label: "Resource", cell: (r) => (r.kind === "POD" ? podLink(r) : uvamLink(r)) },
        { label: "Name", cell: (r) => r.resourceName || r.name },
        { label: "Status", cell: (r) => statusBadge(r.status) },
        { label: "Flex up / down", cell: (r) => (r.kind === "POD" ? `${kw(r.maximumFlexUp)} / ${kw(r.maximumFlexDown)}` : `${kw(r.maximumQualifiedPower)} / ${kw(r.minimumQualifiedPower)}`) },
        { label: onClock("Since", "wall"), value: (r) => r.updatedAt, cell: (r) => formatDate(r.updatedAt) },
      ],
    }),
    rows.length ? h("p", {}, h("a", { href: "#/reviews", class: "button primary" }, "Open the validation queue")) : null,
  );
}

const NONE = { count: 0, items: [] };

function activationsInGrid(group) {
  return section(
    "Activations in your grid",
    h("p", { class: "muted" }, "Sent or accepted activations of UVAMs with PODs on your grid, not yet delivered."),
    table({
      caption: "Activations in your grid",
      empty: "No live activation in your grid.",
      rows: group.items,
      rowAttrs: (a) => ({ "data-activation": a.id }),
      columns: [
        { label: "Activation", cell: (a) => h("a", { href: activationHref(a) }, `Activation of ${activationName(a)}`) },
        { label: onClock("First period", "platform"), value: (a) => a.firstPeriod, cell: (a) => formatDate(a.firstPeriod) },
        { label: "Set points (kW)", cell: (a) => periods(a.setPointsKw) },
        { label: "Status", cell: (a) => statusBadge(a.status) },
      ],
    }),
    more(group, "#/market", "the Market page"),
  );
}

function gridConstraints(group) {
  return section(
    "Your grid constraints",
    table({
      caption: "Grid constraints in force or to come",
      empty: "No constraint in force or to come.",
      rows: group.items,
      columns: [
        { label: "Where", cell: (c) => c.scope === "pod" ? `POD ${c.targetName || shortId(c.target)}` : `zone ${c.target}` },
        { label: "Light", cell: (c) => statusBadge(c.light) },
        { label: "Limit", cell: (c) => (c.limitKw === null ? "—" : kw(c.limitKw)) },
        { label: onClock("From", "platform"), value: (c) => c.start, cell: (c) => formatDate(c.start) },
        { label: onClock("Until", "platform"), value: (c) => c.end, cell: (c) => formatDate(c.end) },
      ],
    }),
    h("p", {}, h("a", { href: "#/constraints" }, "Declare or review grid constraints")),
  );
}

function disputes(group) {
  return section(
    "Disputes to resolve",
    table({
      caption: "Disputed settlements",
      empty: "No dispute to resolve.",
      rows: group.items,
      rowAttrs: (s) => ({ "data-settlement": s.id }),
      columns: [
        { label: "Settlement", cell: (s) => h("a", { href: settlementHref(s) }, `Resolve the settlement of ${activationName(s)} (version ${s.version})`) },
        { label: "Reason", cell: (s) => s.disputeReason || "—" },
        { label: onClock("Since", "wall"), value: (s) => s.updatedAt, cell: (s) => formatDate(s.updatedAt) },
      ],
    }),
    more(group, "#/settlement", "the Settlement page"),
  );
}

function openNeeds(group) {
  return section(
    "Open needs",
    table({
      caption: "Open needs",
      empty: "No open need.",
      rows: group.items,
      columns: [
        { label: "Need", cell: (n) => h("a", { href: "#/market" }, `Need ${shortId(n.id)}`) },
        { label: "Product", cell: (n) => `${n.productId} ${n.direction}` },
        { label: onClock("Delivery start", "platform"), value: (n) => n.deliveryStart, cell: (n) => formatDate(n.deliveryStart) },
        { label: "Quantities (kW)", cell: (n) => periods(n.quantitiesKw) },
      ],
    }),
    more(group, "#/market", "the Market page"),
  );
}

export function dsoView(ctx, attention) {
  const g = attention.groups;
  return [
    tiles(
      tile("PODs to validate", g.podsToValidate.count, "#/reviews"),
      tile("Live activations in your grid", g.activationsInGrid.count, "#/market"),
      tile("Grid constraints in force or to come", g.constraints.count, "#/constraints"),
    ),
    reviewQueue(ctx, g.podsToValidate, NONE),
    activationsInGrid(g.activationsInGrid),
    gridConstraints(g.constraints),
  ];
}

export function tsoView(ctx, attention) {
  const g = attention.groups;
  return [
    tiles(
      tile("PODs to verify", g.podsToVerify.count, "#/reviews"),
      tile("UVAMs to qualify", g.uvamsToQualify.count, "#/reviews"),
      tile("Disputes to resolve", g.disputes.count, "#/settlement"),
      tile("Open needs", g.needsOpen.count, "#/market"),
    ),
    reviewQueue(ctx, g.podsToVerify, g.uvamsToQualify),
    disputes(g.disputes),
    openNeeds(g.needsOpen),
  ];
}
