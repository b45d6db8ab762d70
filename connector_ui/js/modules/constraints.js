// Grid constraints (docs/market.md, "DSO check"): a DSO declares traffic lights per POD of its
// grid or per grid zone (the PODs' locationId), for a time window and optionally one direction:
// green (no limit), amber (limitKw per POD), red (nothing). Later DSO checks of bids apply them.
// The TSO reads every DSO's constraints. API: POST and GET /market/grid-constraints.

import { platformNow } from "../countdown.js";
import {
  busy,
  clear,
  clearErrors,
  field,
  fill,
  formatDate,
  h,
  kw,
  onClock,
  pageHeader,
  readForm,
  section,
  showErrors,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";
import { live } from "./shared.js";

const PREFIX = "constraints.0.";
const REASON_CODES = [["1", "congestion"], ["2", "voltage"], ["3", "maintenance"], ["4", "other"]];
const LIGHTS = [["green", "green: no limit"], ["amber", "amber: at most the limit per POD"], ["red", "red: no flexibility"]];

function nextQuarter(aheadMs) {
  const quarter = 15 * 60 * 1000;
  return new Date(Math.ceil((platformNow() + aheadMs) / quarter) * quarter);
}

/** The target control for a scope: the DSO's PODs, or a zone (free text, known zones offered). */
function targetField(scope, pods, formId) {
  if (scope === "pod") {
    const options = pods.map((p) => [p.id, `${p.meteringPointId} · ${p.resourceName || ""}`.trim()]);
    return field({ name: "target", label: "POD", type: "select", required: true, options, hint: "A POD on your grid." }, formId);
  }
  const listId = `${formId}-zones`;
  const wrapper = field({ name: "target", label: "Grid zone", required: true, hint: "As the PODs' location (locationId), e.g. Milano Nord." }, formId);
  wrapper.querySelector("input").setAttribute("list", listId);
  const zones = [...new Set(pods.map((p) => p.locationId).filter(Boolean))].sort();
  wrapper.append(h("datalist", { id: listId }, zones.map((zone) => h("option", { value: zone }))));
  return wrapper;
}

/** API field names come as constraints.0.<name>; the form's controls carry <name>. An error
 *  on the whole constraint (constraints.0) goes to the form's summary. */
function unprefixed(error) {
  const local = (name) => (name?.startsWith(PREFIX) ? name.slice(PREFIX.length) : name === "constraints.0" ? null : name);
  error.errors = error.errors.map((e) => ({ ...e, field: local(e.field) }));
  return error;
}

function constraintForm(ctx, pods, onDeclared) {
  const id = uniqueId("constraint");
  const specs = [
    { name: "start", label: "From", type: "datetime", required: true, step: 900, value: nextQuarter(0).toISOString() },
    { name: "end", label: "Until", type: "datetime", required: true, step: 900, value: nextQuarter(3600 * 1000).toISOString() },
    { name: "light", label: "Traffic light", type: "select", required: true, options: LIGHTS, value: "amber" },
    { name: "limitKw", label: "Limit per POD (kW, amber)", type: "number", min: 0 },
    { name: "direction", label: "Direction", type: "select", placeholder: "Both directions", options: [["up", "up"], ["down", "down"]] },
    { name: "reasonCode", label: "Reason code", type: "select", required: true, options: REASON_CODES, value: "1", send: false },
    { name: "reason", label: "Reason (kept off chain)", type: "text" },
  ];
  const scope = field({ name: "scope", label: "Applies to", type: "select", required: true, options: [["pod", "one POD"], ["zone", "a grid zone"]], value: "pod" }, id);
  const target = h("div", { class: "target-slot" }, targetField("pod", pods, id));
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Declare a grid constraint" },
    h("div", { class: "grid" }, scope, target, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Declare")),
    status,
  );
  form.elements.namedItem("scope").addEventListener("change", (event) => fill(target, targetField(event.target.value, pods, id)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clear(status);
      const constraint = {
        ...readForm(form, [{ name: "scope" }, { name: "target" }, ...specs]),
        reasonCode: Number(form.elements.namedItem("reasonCode").value),
      };
      try {
        const answer = await ctx.api.post("/market/grid-constraints", { constraints: [constraint] });
        clearErrors(form);
        status.textContent = `Declared: ${answer.count} constraint(s); later DSO checks apply it.`;
        onDeclared();
      } catch (error) {
        showErrors(form, unprefixed(error));
      }
    });
  });
  return form;
}

/** Expired, In force or Upcoming, on the platform's clock. */
export function constraintState(constraint, now = platformNow()) {
  if (new Date(constraint.end).getTime() <= now) return "Expired";
  return new Date(constraint.start).getTime() <= now ? "In force" : "Upcoming";
}

function stateBadge(state) {
  return h("span", { class: `badge status-${state.replace(/ /g, "").toLowerCase()}`, "data-state": state }, state);
}

function constraintsTable(rows, podCodes) {
  return table({
    caption: "Grid constraints",
    empty: "No grid constraint declared.",
    rows,
    rowAttrs: (c) => ({ "data-constraint": c.id }),
    columns: [
      { label: "Applies to", cell: (c) => (c.scope === "pod" ? `POD ${podCodes.get(c.target) || c.target}` : `zone ${c.target}`) },
      { label: "In force", cell: (c) => stateBadge(constraintState(c)) },
      { label: "Light", cell: (c) => statusBadge(c.light) },
      { label: "Limit", cell: (c) => (c.limitKw === null || c.limitKw === undefined ? "—" : kw(c.limitKw)) },
      { label: "Direction", cell: (c) => c.direction || "both" },
      { label: onClock("From", "platform"), value: (c) => c.start, filter: "date", cell: (c) => formatDate(c.start) },
      { label: onClock("Until", "platform"), value: (c) => c.end, cell: (c) => formatDate(c.end) },
      { label: "Reason", cell: (c) => [c.reasonCode, c.reason].filter(Boolean).join(": ") },
    ],
  });
}

export default {
  path: "constraints",
  title: "Grid constraints",
  roles: ["DSO", "TSO"],
  requires: ["/market/grid-constraints"],
  async render(ctx) {
    const dso = ctx.me.role === "DSO";
    // the PODs the reader sees (a DSO its own, the TSO every one): POD codes in the list rather
    // than ids, and the DSO's choices in the form
    const pods = await ctx.api.all("/pods");
    const podCodes = new Map(pods.map((p) => [p.id, p.meteringPointId]));
    const results = h("div", { class: "results" });
    let refresh = null;
    fill(
      ctx.main,
      pageHeader("Grid constraints"),
      h(
        "p",
        { class: "muted" },
        dso
          ? "Traffic lights for PODs or zones of your grid: the DSO check of each bid caps or blocks what they may provide."
          : "Traffic lights the DSOs declared: the DSO check of each bid caps or blocks what the PODs concerned may provide.",
      ),
      dso ? section("Declare a grid constraint", constraintForm(ctx, pods, () => refresh?.())) : null,
      section(dso ? "Your constraints" : "Constraints of every DSO", results),
    );
    refresh = await live(
      ctx,
      results,
      () => ctx.api.get("/market/grid-constraints"),
      (container, all) => {
        // the API lists every constraint by start; the table shows the latest first, a page at
        // a time, and sorts, filters and exports all of them
        fill(container, constraintsTable([...all.data].reverse(), podCodes));
      },
      { interval: 5000 },
    );
  },
};
