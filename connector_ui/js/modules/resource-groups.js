// Resource groups: the UVAM dashboard (FLOW D5.5 Figures 18-26). Create, associate validated
// PODs (only those are offered), attachments, the connection, sending for validation.

import {
  busy,
  facts,
  field,
  fieldsets,
  fileToBase64,
  fill,
  formatDate,
  h,
  kw,
  notice,
  onClock,
  pageHeader,
  readForm,
  section,
  shortHash,
  showErrors,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";
import { ApiError } from "../api.js";
import { podLink } from "./resources.js";
import {
  auditLink,
  bspColumn,
  EDITABLE,
  MAX_ATTACHMENT_BYTES,
  UVAM_STATUSES,
  attachmentUploadForm,
  attachmentViewer,
  attachmentsSection,
  decidesNow,
  decisionForm,
  filterForm,
  historySection,
  keeper,
  listSource,
  live,
  reasonsNotice,
  statusActions,
} from "./shared.js";

const PAGE_SIZE = 10;
const CONNECTION_TYPES = ["IEC104", "IEC61850", "ModbusTCP", "HTTPS"];

export default {
  path: "resource-groups",
  title: "Resource groups",
  requires: ["/uvams", "/uvams/{uvam_id}"],
  async render(ctx) {
    const [first] = ctx.params;
    if (first === "new") return renderCreate(ctx);
    if (first) return renderDetail(ctx, first);
    return renderList(ctx);
  },
};

export function uvamLink(uvam) {
  return h("a", { href: `#/resource-groups/${encodeURIComponent(uvam.id)}` }, uvam.name || uvam.id);
}

async function renderList(ctx) {
  const offset = Number(ctx.query.get("offset") || 0);
  const isBsp = ctx.me.role === "BSP";
  const results = h("div", { class: "results" });
  fill(ctx.main, 
    pageHeader("Resource groups (UVAMs)", isBsp ? h("a", { href: "#/resource-groups/new", class: "button primary" }, "Create a resource group") : null),
    filterForm(ctx, { base: "resource-groups", statuses: UVAM_STATUSES, searchLabel: "Name" }),
    results,
  );
  await live(
    ctx,
    results,
    () => ctx.api.get("/uvams", { q: ctx.query.get("q"), status: ctx.query.get("status"), limit: PAGE_SIZE, offset }),
    (container, page) => {
      fill(container, 
        table({
          caption: "Resource groups",
          empty: isBsp ? "No resource group yet." : "No resource group to show.",
          rows: page.data,
          source: listSource(ctx, { base: "resource-groups", page, offset, limit: PAGE_SIZE, label: "Resource group pages", path: "/uvams", query: { q: ctx.query.get("q"), status: ctx.query.get("status") } }),
          rowAttrs: (uvam) => ({ "data-uvam": uvam.id }),
          columns: [
            { label: "Name", cell: uvamLink },
            { label: "Status", cell: (u) => statusBadge(u.status) },
            bspColumn(ctx, (u) => u.flexibilityServiceProviderId),
            { label: "Type", cell: (u) => u.type },
            { label: "Market", cell: (u) => u.marketType },
            { label: "Perimeter", cell: (u) => u.perimeter },
            { label: "Qualified up / down", cell: (u) => `${kw(u.maximumQualifiedPower)} / ${kw(u.minimumQualifiedPower)}` },
            { label: onClock("Updated", "wall"), value: (u) => u.updatedAt, filter: "date", cell: (u) => formatDate(u.updatedAt) },
          ].filter(Boolean),
        }),
        page.count > PAGE_SIZE || offset > 0 ? null : h("p", { class: "muted count" }, `${page.count} resource group${page.count === 1 ? "" : "s"}`),
      );
    },
    { interval: 5000 },
  );
}

function uvamGroups(ctx) {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  return [
    {
      legend: "1. The group",
      fields: [
        { name: "name", label: "Name", required: true, hint: "e.g. UVAM Milano Nord." },
        { name: "type", label: "Type", type: "select", required: true, value: "UVAM", options: [["UVAM", "UVAM (mixed)"], ["UVAC", "UVAC (consumption)"], ["UVAP", "UVAP (production)"]] },
        { name: "perimeter", label: "Perimeter", required: true, hint: "The zone the group lies in, e.g. NORD." },
        { name: "marketType", label: "Market", type: "select", required: true, value: "MSD", options: [["MSD", "MSD (ancillary services)"], ["MB", "MB (balancing)"]] },
      ],
    },
    {
      legend: "2. Qualified power",
      intro: "Whole kilowatts; the TSO checks them against the flexibility of the member PODs.",
      fields: [
        { name: "maximumQualifiedPower", label: "Maximum qualified power, up (kW)", type: "number", required: true, min: 0 },
        { name: "minimumQualifiedPower", label: "Minimum qualified power, down (kW)", type: "number", required: true, min: 0 },
      ],
    },
    {
      legend: "3. Parties and validity",
      fields: [
        { name: "receiverId", label: "Receiver (TSO EIC)", required: true, value: ctx.directory.tso?.eic || "" },
        { name: "flexibilityServiceProviderId", label: "Your EIC (BSP)", required: true, value: ctx.me.eic, readonly: true },
        { name: "technicalFlexibilityServiceProviderId", label: "Technical operator EIC", hint: "Optional: the operator of the telecontrol system." },
        { name: "period", label: "Period", hint: "Optional, e.g. 2025." },
        { name: "startDateTime", label: "Start", type: "datetime", required: true, value: start },
        { name: "endDateTime", label: "End", type: "datetime" },
      ],
    },
  ];
}

function renderCreate(ctx) {
  if (ctx.me.role !== "BSP") {
    fill(ctx.main, pageHeader("Create a resource group"), notice("info", "Only a BSP creates resource groups."));
    return;
  }
  const id = "uvam-create";
  const groups = uvamGroups(ctx);
  const specs = groups.flatMap((g) => g.fields);
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "card guided", id, novalidate: true, "aria-label": "Create a resource group" },
    fieldsets(groups, id),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Create resource group"), h("a", { href: "#/resource-groups", class: "button" }, "Cancel")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const body = readForm(form, specs);
      try {
        status.textContent = "Sending…";
        const { accepted } = await ctx.tracker.run(`Register UVAM ${body.name || ""}`, () => ctx.api.post("/uvams", body));
        ctx.navigate(`#/resource-groups/${encodeURIComponent(accepted.uvamId)}`);
      } catch (error) {
        status.textContent = "";
        showErrors(form, error);
      }
    });
  });
  fill(ctx.main, 
    pageHeader("Create a resource group", h("a", { href: "#/resource-groups", class: "button" }, "Back to the list")),
    h("p", { class: "muted" }, "Fields marked * are required. Once registered, associate validated PODs, register the connection and send the group for validation."),
    form,
  );
  form.elements.namedItem("name").focus();
}

// ------------------------------------------------------------------ detail

async function renderDetail(ctx, uvamId) {
  const container = h("div", { class: "detail" });
  const kept = keeper();
  fill(ctx.main, container);
  const path = `/uvams/${encodeURIComponent(uvamId)}`;
  await live(
    ctx,
    container,
    async () => {
      const uvam = await ctx.api.get(path);
      const owner = ctx.me.role === "BSP" && uvam.flexibilityServiceProviderId === ctx.me.eic;
      const members = await ctx.api.get("/pods", { uvam: uvam.id, limit: 500 });
      const candidates = owner && EDITABLE.has(uvam.status) ? await ctx.api.get("/pods", { status: "Validated", limit: 500 }) : null;
      return { uvam, owner, members: members.data, candidates: candidates?.data || null };
    },
    (box, { uvam, owner, members, candidates }) => {
      ctx.setTitle(`Resource group ${uvam.name}`);
      const editable = owner && EDITABLE.has(uvam.status);
      const memberIds = new Set(members.map((pod) => pod.id));
      const relations = new Map((uvam.members || []).filter((m) => m.active).map((m) => [m.resource, m]));
      fill(box, 
        pageHeader(
          h("span", {}, uvam.name, " ", h("small", { class: "muted" }, uvam.type)),
          auditLink(ctx, uvam.id, `UVAM ${uvam.name}`),
          h("a", { href: "#/resource-groups", class: "button" }, "All resource groups"),
        ),
        h("p", { class: "status-line" }, "Status: ", statusBadge(uvam.status)),
        reasonsNotice(uvam),
        owner ? statusActions(ctx, { kind: "uvam", resource: uvam, messages: kept("messages", () => h("div")) }) : null,
        decidesNow(ctx, "uvam", uvam) ? section("Your decision", kept(`decide-${uvam.status}`, () => decisionForm(ctx, { kind: "uvam", resource: uvam }))) : null,
        section(
          "Details",
          facts([
            ["Type", uvam.type],
            ["Market", uvam.marketType],
            ["Perimeter", uvam.perimeter],
            ["Maximum qualified power (up)", kw(uvam.maximumQualifiedPower)],
            ["Minimum qualified power (down)", kw(uvam.minimumQualifiedPower)],
            ["TSO (receiver)", uvam.receiverId],
            ["BSP", uvam.flexibilityServiceProviderId],
            ["Period", uvam.period],
            ["Start", formatDate(uvam.startDateTime)],
            ["Chain key", shortHash(uvam.chainKey)],
            ["Record hash", shortHash(uvam.recordHash)],
          ]),
        ),
        section(
          "Member PODs",
          table({
            caption: "Member PODs",
            empty: "No POD in this group yet.",
            rows: members,
            rowAttrs: (pod) => ({ "data-pod": pod.id }),
            columns: [
              { label: "POD", cell: podLink },
              { label: "Name", cell: (p) => p.resourceName },
              { label: "Status", cell: (p) => statusBadge(p.status) },
              { label: "Flex up / down", cell: (p) => `${kw(p.maximumFlexUp)} / ${kw(p.maximumFlexDown)}` },
              { label: onClock("Since", "wall"), cell: (p) => formatDate(relations.get(p.id)?.startedAt) },
              editable ? { label: "Actions", cell: (p) => endRelationButton(ctx, uvam, relations.get(p.id), p) } : null,
            ].filter(Boolean),
          }),
          editable ? memberForm(ctx, uvam, (candidates || []).filter((pod) => !memberIds.has(pod.id))) : null,
        ),
        section(
          "Connection",
          uvam.connection
            ? facts([
                ["Protocol", uvam.connection.type],
                ["Manufacturer", uvam.connection.manufacturer],
                ["IP address", uvam.connection.ipAddress],
                ["Full scale", `${uvam.connection.fullScaleMin} … ${uvam.connection.fullScaleMax} kW`],
                ["Document", uvam.connection.externalDocumentId],
                ["Connection hash", shortHash(uvam.connectionHash)],
              ])
            : h("p", { class: "muted" }, "No connection registered yet."),
          editable ? kept(`connection-${Boolean(uvam.connection)}`, () => connectionForm(ctx, uvam)) : null,
        ),
        attachmentsSection(ctx, {
          attachments: uvam.attachments,
          viewer: kept("viewer", attachmentViewer),
          form: editable ? kept("upload", () => attachmentUploadForm(ctx, { ownerPath: path, receiverId: uvam.receiverId })) : null,
        }),
        historySection(uvam.history),
      );
    },
    { interval: 2500 },
  );
}

/** Only validated PODs that are not yet in this group are offered. */
function memberForm(ctx, uvam, candidates) {
  const id = uniqueId("member");
  if (!candidates.length) {
    return h("p", { class: "muted" }, "No validated POD available to add. PODs appear here once the DSO has validated them.");
  }
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "Add a validated POD" },
    h("h3", {}, "Add a validated POD"),
    h(
      "div",
      { class: "grid" },
      field(
        {
          name: "resource",
          label: "Validated POD",
          type: "select",
          required: true,
          placeholder: "Choose a validated POD…",
          options: candidates.map((pod) => [pod.id, `${pod.meteringPointId} · ${pod.resourceName} (up ${pod.maximumFlexUp} / down ${pod.maximumFlexDown} kW)`]),
          hint: "Only PODs the DSO has validated can join.",
        },
        id,
      ),
    ),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Add to group")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const resource = form.elements.namedItem("resource").value;
      const body = {
        resource,
        resourceGroup: uvam.id,
        flexibilityServiceProviderId: ctx.me.eic,
        receiverId: uvam.receiverId,
      };
      try {
        if (!resource) throw new ApiError(422, { field: "resource", message: "choose a validated POD" });
        await ctx.tracker.run("Add POD to group", () => ctx.api.post(`/uvams/${encodeURIComponent(uvam.id)}/members`, body));
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

function endRelationButton(ctx, uvam, relation, pod) {
  if (!relation) return "—";
  return h(
    "button",
    {
      type: "button",
      class: "small",
      onclick: async (event) => {
        const button = event.currentTarget;
        if (!window.confirm(`End the membership of ${pod.meteringPointId} in ${uvam.name}?`)) return;
        button.disabled = true;
        try {
          await ctx.tracker.run("End relation", () =>
            ctx.api.patch(`/uvams/${encodeURIComponent(uvam.id)}/members/end`, { relationId: relation.relationId, receiverId: uvam.receiverId }),
          );
        } catch (error) {
          button.after(notice("error", error.message));
          button.disabled = false;
        }
      },
    },
    `Remove ${pod.meteringPointId}`,
  );
}

function connectionForm(ctx, uvam) {
  const id = uniqueId("connection");
  const current = uvam.connection || {};
  const update = Boolean(uvam.connection);
  const groups = [
    {
      legend: update ? "Update the connection" : "Register the connection",
      intro: "How the TSO reaches the group's controller.",
      fields: [
        { name: "type", label: "Protocol", type: "select", required: true, value: current.type || "IEC104", options: CONNECTION_TYPES.map((t) => [t, t]) },
        { name: "manufacturer", label: "Manufacturer", required: true, value: current.manufacturer, hint: "e.g. ABB." },
        { name: "ipAddress", label: "IP address", required: true, value: current.ipAddress, placeholder: "10.20.30.40" },
        { name: "fullScaleMin", label: "Full scale min (kW)", type: "number", required: true, value: current.fullScaleMin },
        { name: "fullScaleMax", label: "Full scale max (kW)", type: "number", required: true, value: current.fullScaleMax },
        { name: "documentFile", label: "Document (PDF or XML, optional)", type: "file", accept: ".pdf,.xml,application/pdf,application/xml,text/xml" },
      ],
    },
  ];
  const specs = groups[0].fields;
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": update ? "Update the connection" : "Register the connection" },
    fieldsets(groups, id),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, update ? "Update connection" : "Register connection")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const body = { ...readForm(form, specs), resourceGroupId: uvam.id, flexibilityServiceProviderId: ctx.me.eic, receiverId: uvam.receiverId };
      try {
        const file = form.elements.namedItem("documentFile").files[0];
        if (file) {
          if (!/\.(pdf|xml)$/i.test(file.name)) throw new ApiError(422, { field: "documentFile", message: "only PDF (.pdf) or XML (.xml) files are accepted" });
          if (file.size > MAX_ATTACHMENT_BYTES) throw new ApiError(422, { field: "documentFile", message: "the file exceeds 5 MiB" });
          body.externalDocumentId = file.name;
          body.documentFile = await fileToBase64(file);
        }
        const send = () => (update ? ctx.api.patch(`/uvams/${encodeURIComponent(uvam.id)}/connection`, body) : ctx.api.post(`/uvams/${encodeURIComponent(uvam.id)}/connection`, body));
        await ctx.tracker.run(update ? "Update connection" : "Register connection", send);
        status.textContent = "Connection recorded on chain.";
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
