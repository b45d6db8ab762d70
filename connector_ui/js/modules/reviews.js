// The TSO's and DSOs' validation queue: approve or reject each POD (and, for the TSO, UVAM)
// with reasons; a DSO may record static constraints when it validates.

import { facts, fill, formatDate, h, kw, notice, pageHeader } from "../ui.js";
import { dsoName, podLink } from "./resources.js";
import { uvamLink } from "./resource-groups.js";
import { decisionForm } from "./shared.js";

export default {
  path: "reviews",
  title: "Validation queue",
  roles: ["TSO", "DSO"],
  requires: ["/reviews", "/pods/{pod_id}/review"],
  async render(ctx) {
    const list = h("div", { class: "queue", "aria-live": "polite" });
    const counter = h("p", { class: "muted" });
    const step =
      ctx.me.role === "TSO"
        ? "As the TSO you verify PODs under review (then their DSO validates them) and qualify resource groups for the market."
        : "As a DSO you validate the PODs on your grid that the TSO has verified, and may record static constraints.";
    fill(ctx.main, 
      pageHeader("Validation queue", h("button", { type: "button", onclick: () => refresh() }, "Refresh")),
      h("p", {}, step),
      counter,
      list,
    );
    // one card per item, built once: what a reviewer types survives the queue's refreshes
    const cards = new Map();
    const refresh = async () => {
      let queue;
      try {
        queue = await ctx.api.get("/reviews");
      } catch (error) {
        fill(list, notice("error", error.message));
        return;
      }
      if (!ctx.view.alive) return;
      const items = [...queue.pods.map((r) => ({ kind: "pod", resource: r })), ...queue.uvams.map((r) => ({ kind: "uvam", resource: r }))];
      const keys = new Set(items.map(({ resource }) => `${resource.id}:${resource.status}`));
      for (const key of cards.keys()) if (!keys.has(key)) cards.delete(key);
      const elements = items.map((item) => {
        const key = `${item.resource.id}:${item.resource.status}`;
        if (!cards.has(key)) cards.set(key, card(ctx, item, refresh));
        return cards.get(key);
      });
      counter.textContent = items.length ? `${items.length} waiting for your decision.` : "";
      fill(list, ...(elements.length ? elements : [h("p", { class: "muted empty" }, "Nothing waits for your decision.")]));
    };
    await refresh();
    ctx.every(3000, refresh);
    ctx.onOperation(refresh);
  },
};

function card(ctx, { kind, resource }, refresh) {
  const headingId = `review-${resource.id}`;
  const pod = kind === "pod";
  return h(
    "article",
    { class: "card review", "aria-labelledby": headingId, "data-review": resource.id },
    h(
      "h2",
      { id: headingId },
      pod ? "POD " : "Resource group ",
      pod ? podLink(resource) : uvamLink(resource),
      " ",
      h("small", { class: "muted" }, pod ? resource.resourceName : resource.type),
    ),
    facts(
      pod
        ? [
            ["Type", resource.direction],
            ["Voltage level", resource.gridVoltageLevel],
            ["Contracted power", kw(resource.contractedPower)],
            ["Flex up / down", `${kw(resource.maximumFlexUp)} / ${kw(resource.maximumFlexDown)}`],
            ["DSO", dsoName(ctx, resource.distributionGridOperatorName)],
            ["BSP", resource.flexibilityServiceProviderId],
            ["Waiting since", formatDate(resource.updatedAt)],
          ]
        : [
            ["Market", resource.marketType],
            ["Perimeter", resource.perimeter],
            ["Qualified up / down", `${kw(resource.maximumQualifiedPower)} / ${kw(resource.minimumQualifiedPower)}`],
            ["BSP", resource.flexibilityServiceProviderId],
            ["Waiting since", formatDate(resource.updatedAt)],
          ],
    ),
    decisionForm(ctx, { kind, resource, onDone: refresh }),
  );
}
