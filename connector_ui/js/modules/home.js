// Home: what needs this organisation's attention (GET /ui/attention), per role, each item
// linking to the page where it is acted on. A BSP: activations to acknowledge, settlements to
// answer, bids near gate closure, resources to complete, refused or in review. A DSO: PODs to
// validate, activations in its grid, its constraints. The TSO: PODs and UVAMs to verify and
// qualify, disputes, open needs. Everyone: the latest operations.

import { syncClock, tick } from "../countdown.js";
import { kindLabel } from "../operations.js";
import { fill, formatDate, h, onClock, pageHeader, section, shortHash, statusBadge, table } from "../ui.js";
import { bspSections, bspTiles, dsoView, tile, tiles, tsoView } from "./home-attention.js";
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
    const role = ctx.me.role;
    const load = { BSP: loadBsp, TSO: loadAttention, DSO: loadAttention }[role] || loadOther;
    const draw = { BSP: drawBsp, TSO: tsoView, DSO: dsoView }[role] || drawOther;
    await live(
      ctx,
      box,
      () => load(ctx),
      (container, data) => {
        fill(container, ...draw(ctx, data), data.operations ? operationsSection(data.operations) : null);
        tick(container);
      },
      { interval: 4000 },
    );
    ctx.every(1000, () => tick(box));
  },
};

const pods = (ctx, status) => ctx.api.get("/pods", { status, limit: LIMIT });
const uvams = (ctx, status) => ctx.api.get("/uvams", { status, limit: LIMIT });

async function loadAttention(ctx) {
  const [attention, operations] = await Promise.all([ctx.api.get("/ui/attention"), ctx.api.get("/operations", { limit: 5 })]);
  syncClock(attention.now);
  delete attention.now; // changes every call: the page redraws only when an item changes
  return { ...attention, operations: operations.data };
}

async function loadBsp(ctx) {
  const [attention, registered, open, uvamRegistered, uvamOpen] = await Promise.all([
    loadAttention(ctx), pods(ctx, "Registered"), pods(ctx, "Open"), uvams(ctx, "Registered"), uvams(ctx, "Open"),
  ]);
  return {
    ...attention,
    toComplete: {
      items: [...registered.data, ...open.data].slice(0, LIMIT),
      count: registered.count + open.count,
      status: registered.count ? "Registered" : "Open",
    },
    uvamsToComplete: [...uvamRegistered.data, ...uvamOpen.data, ...attention.groups.uvamsRejected.items],
  };
}

function drawBsp(ctx, data) {
  const { toComplete } = data;
  const [activations, settlements, bids, ...resources] = bspSections(data);
  return [
    bspTiles(data.groups, toComplete),
    activations,
    settlements,
    bids,
    section(
      "PODs to complete and send for validation",
      table({
        caption: "PODs in Registered or Open",
        empty: "Nothing to complete.",
        rows: toComplete.items,
        columns: [
          { label: "POD", cell: podLink },
          { label: "Name", cell: (p) => p.resourceName },
          { label: "Status", cell: (p) => statusBadge(p.status) },
          { label: onClock("Updated", "wall"), value: (p) => p.updatedAt, cell: (p) => formatDate(p.updatedAt) },
        ],
      }),
      toComplete.count > toComplete.items.length
        ? h("p", {}, `Showing ${toComplete.items.length} of ${toComplete.count}: `, h("a", { href: "#/resources?status=Registered" }, "Registered"), " · ", h("a", { href: "#/resources?status=Open" }, "Open"))
        : null,
    ),
    ...resources,
    data.uvamsToComplete.length
      ? section(
          "Resource groups to complete",
          table({
            caption: "Resource groups in Registered, Open or Rejected",
            rows: data.uvamsToComplete,
            columns: [
              { label: "Name", cell: uvamLink },
              { label: "Status", cell: (u) => statusBadge(u.status) },
              { label: "Reasons", cell: (u) => (u.reasons?.length ? u.reasons.join("; ") : "—") },
            ],
          }),
        )
      : null,
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
    tiles(tile("PODs", data.all, "#/resources"), tile("Validated", data.validated, "#/resources?status=Validated"), tile("Under review", data.inReview, "#/resources?status=UnderReview")),
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
        { label: onClock("When", "wall"), value: (o) => o.createdAt, cell: (o) => formatDate(o.createdAt) },
      ],
    }),
    h("p", {}, h("a", { href: "#/operations" }, "All operations")),
  );
}
