// Resources: the POD dashboard (FLOW D5.5 Figures 9-17). Search and filter, a paginated list,
// guided registration, flex devices, attachments, sending for validation, the status history.

import {
  busy,
  facts,
  field,
  fieldsets,
  fill,
  formatDate,
  h,
  kw,
  notice,
  onClock,
  pageHeader,
  picker,
  readForm,
  runBulk,
  section,
  shortHash,
  showErrors,
  statusBadge,
  table,
  toLocalInput,
  uniqueId,
} from "../ui.js";
import {
  auditLink,
  bspColumn,
  EDITABLE,
  POD_STATUSES,
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
  requestStatus,
  statusActions,
} from "./shared.js";

const PAGE_SIZE = 10;
const DEVICE_TYPES = ["EVCharger", "Battery", "HeatPump", "PV", "Other"];

export default {
  path: "resources",
  title: "Resources",
  requires: ["/pods", "/pods/{pod_id}"],
  async render(ctx) {
    const [first] = ctx.params;
    if (first === "new") return renderCreate(ctx);
    if (first && ctx.params[1] === "edit") return renderEdit(ctx, first);
    if (first) return renderDetail(ctx, first);
    return renderList(ctx);
  },
};

export function podLink(pod) {
  return h("a", { href: `#/resources/${encodeURIComponent(pod.id)}` }, pod.meteringPointId || pod.id);
}

export function dsoName(ctx, eic) {
  const dso = ctx.directory.dsos?.find((d) => d.eic === eic);
  return dso ? dso.name : eic;
}

// ------------------------------------------------------------------ list

async function renderList(ctx) {
  const offset = Number(ctx.query.get("offset") || 0);
  const isBsp = ctx.me.role === "BSP";
  const results = h("div", { class: "results" });
  const picks = picker();
  let shown = new Map();
  fill(ctx.main, 
    pageHeader(
      "Resources (PODs)",
      isBsp ? h("a", { href: "#/resources/new", class: "button primary" }, "Register a POD") : null,
      isBsp ? h("a", { href: "#/mass-load", class: "button" }, "Mass loading") : null,
    ),
    filterForm(ctx, { base: "resources", statuses: POD_STATUSES, searchLabel: "POD code or name" }),
    isBsp ? bulkSendBar(ctx, picks, () => shown) : null,
    results,
  );
  await live(
    ctx,
    results,
    () => ctx.api.get("/pods", { q: ctx.query.get("q"), status: ctx.query.get("status"), limit: PAGE_SIZE, offset }),
    (container, page) => {
      shown = new Map(page.data.map((pod) => [pod.id, pod]));
      // sorted or filtered, the table shows PODs of the whole list: they can be picked too
      const everyPod = async () => {
        const pods = await ctx.api.all("/pods", { q: ctx.query.get("q"), status: ctx.query.get("status") });
        for (const pod of pods) shown.set(pod.id, pod);
        picks.keep([...shown.values()].filter((pod) => EDITABLE.has(pod.status)).map((pod) => pod.id));
        return pods;
      };
      const sendable = page.data.filter((pod) => EDITABLE.has(pod.status)).map((pod) => pod.id);
      picks.keep(sendable);
      const pick = isBsp && sendable.length
        ? { label: "Pick to send", cell: (p) => (EDITABLE.has(p.status) ? picks.box(p.id, `Pick POD ${p.meteringPointId}`) : "—") }
        : null;
      fill(container, 
        isBsp && sendable.length ? h("p", {}, picks.all(sendable, "Pick every POD on this page that can be sent for validation")) : null,
        table({
          caption: "PODs",
          empty: ctx.query.toString() ? "No POD matches these filters." : isBsp ? "No POD yet: register one or load a file." : "No POD to show.",
          rows: page.data,
          source: listSource(ctx, { base: "resources", page, offset, limit: PAGE_SIZE, label: "PODs pages", all: everyPod }),
          rowAttrs: (pod) => ({ "data-pod": pod.id }),
          columns: [
            { label: "POD", cell: podLink },
            pick,
            { label: "Name", cell: (p) => p.resourceName },
            { label: "Status", cell: (p) => statusBadge(p.status) },
            { label: "Type", cell: (p) => p.direction },
            { label: "Contracted", cell: (p) => kw(p.contractedPower) },
            { label: "Flex up / down", cell: (p) => `${kw(p.maximumFlexUp)} / ${kw(p.maximumFlexDown)}` },
            bspColumn(ctx, (p) => p.flexibilityServiceProviderId),
            { label: "DSO", cell: (p) => dsoName(ctx, p.distributionGridOperatorName) },
            { label: onClock("Updated", "wall"), value: (p) => p.updatedAt, filter: "date", cell: (p) => formatDate(p.updatedAt) },
          ].filter(Boolean),
        }),
        page.count > PAGE_SIZE || offset > 0 ? null : h("p", { class: "muted count" }, `${page.count} POD${page.count === 1 ? "" : "s"}`),
      );
    },
    { interval: 5000 },
  );
}

/** The BSP sends the picked PODs for validation at once (each as FLOW D5.5 §3 describes). */
function bulkSendBar(ctx, picks, shown) {
  const status = h("div", { class: "form-status", role: "status" });
  const button = h("button", { type: "button", class: "primary", disabled: true }, "Send picked PODs for validation");
  const count = h("span", { class: "muted" }, "No POD picked.");
  picks.onChange((picked) => {
    button.disabled = picked.size === 0;
    count.textContent = picked.size ? `${picked.size} POD${picked.size === 1 ? "" : "s"} picked.` : "No POD picked.";
  });
  button.addEventListener("click", async () => {
    const pods = [...picks.picked].map((id) => shown().get(id)).filter(Boolean);
    button.disabled = true;
    await runBulk({
      ids: pods.map((pod) => pod.id),
      nameOf: (id) => shown().get(id)?.meteringPointId || id,
      action: (id) => requestStatus(ctx, { kind: "pod", resource: pods.find((pod) => pod.id === id), target: "UnderReview" }),
      status,
      done: (n) => `${n} POD${n === 1 ? "" : "s"} sent for validation: the TSO verifies them next.`,
    });
    button.disabled = picks.picked.size === 0;
  });
  return h("div", { class: "bulk-bar card", role: "group", "aria-label": "Bulk actions on PODs" }, h("div", { class: "button-row" }, button, count), status);
}

// ------------------------------------------------------------------ create

function startOfToday() {
  const date = new Date();
  date.setHours(0, 0, 0, 0);
  return date;
}

/** The guided POD form: four steps, each field with a hint; the API's errors land on them. */
export function podGroups(ctx) {
  const dsos = ctx.directory.dsos || [];
  return [
    {
      legend: "1. Connection point",
      intro: "The grid connection point (POD) you offer flexibility from.",
      fields: [
        { name: "meteringPointId", label: "POD code", required: true, placeholder: "IT001E12345678", hint: "Country, distributor number, E, digits: e.g. IT001E12345678." },
        { name: "resourceName", label: "Resource name", required: true, hint: "A name you recognise, such as the site." },
        { name: "direction", label: "Type of POD", type: "select", required: true, value: "mixed", options: [["consumption", "Consumption"], ["generation", "Generation"], ["mixed", "Mixed"]] },
        { name: "gridVoltageLevel", label: "Voltage level", type: "select", required: true, value: "LV", options: [["LV", "Low voltage (LV)"], ["MV", "Medium voltage (MV)"], ["HV", "High voltage (HV)"]] },
        { name: "locationId", label: "Location", hint: "Location ID: town, zone or address reference." },
        { name: "accountingPointId", label: "Secondary POD", hint: "Optional second POD code of the same site." },
      ],
    },
    {
      legend: "2. Power",
      intro: "Whole kilowatts. The flexibility up and down cannot exceed the contracted power.",
      fields: [
        { name: "contractedPower", label: "Contracted power (kW)", type: "number", required: true, min: 0 },
        { name: "maximumFlexUp", label: "Maximum flex up (kW)", type: "number", required: true, min: 0 },
        { name: "maximumFlexDown", label: "Maximum flex down (kW)", type: "number", required: true, min: 0 },
        { name: "contractedPowerSecondaryPOD", label: "Contracted power, secondary POD (kW)", type: "number", min: 0 },
      ],
    },
    {
      legend: "3. Parties",
      fields: [
        dsos.length
          ? { name: "distributionGridOperatorName", label: "Distribution system operator (DSO)", type: "select", required: true, placeholder: "Choose the DSO…", options: dsos.map((d) => [d.eic, `${d.name} (${d.eic})`]), hint: "The DSO whose grid the POD is connected to; it validates the POD." }
          : { name: "distributionGridOperatorName", label: "DSO EIC", required: true, hint: "EIC of the DSO whose grid the POD is connected to." },
        { name: "receiverId", label: "Receiver (TSO EIC)", required: true, value: ctx.directory.tso?.eic || "", hint: "The platform's TSO." },
        { name: "flexibilityServiceProviderId", label: "Your EIC (BSP)", required: true, value: ctx.me.eic, readonly: true },
        { name: "brpContractId", label: "Dispatching contract code", hint: "Optional." },
      ],
    },
    {
      legend: "4. Validity",
      fields: [
        { name: "startDateTime", label: "Start", type: "datetime", required: true, value: startOfToday(), hint: "In your time zone." },
        { name: "endDateTime", label: "End", type: "datetime", hint: "Optional; after the start." },
      ],
    },
  ];
}

function renderCreate(ctx) {
  if (ctx.me.role !== "BSP") {
    fill(ctx.main, pageHeader("Register a POD"), notice("info", "Only a BSP registers PODs."));
    return;
  }
  const id = "pod-create";
  const groups = podGroups(ctx);
  const specs = groups.flatMap((g) => g.fields);
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "card guided", id, novalidate: true, "aria-label": "Register a POD" },
    fieldsets(groups, id),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "primary" }, "Register POD"),
      h("a", { href: "#/resources", class: "button" }, "Cancel"),
    ),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const body = readForm(form, specs);
      body.registrationPeriod = Math.floor(Date.now() / 1000);
      status.textContent = "Sending…";
      try {
        const { accepted } = await ctx.tracker.run(`Register POD ${body.meteringPointId || ""}`, async () => {
          const answer = await ctx.api.post("/pods", body);
          status.textContent = "Accepted; waiting for the transaction…";
          return answer;
        });
        ctx.navigate(`#/resources/${encodeURIComponent(accepted.podId)}`);
      } catch (error) {
        status.textContent = "";
        showErrors(form, error);
      }
    });
  });
  fill(ctx.main, 
    pageHeader("Register a POD", h("a", { href: "#/resources", class: "button" }, "Back to the list")),
    h("p", { class: "muted" }, "Fields marked * are required. The POD is registered on the ledger as Registered; add flex devices and attachments, then send it for validation."),
    form,
  );
  form.elements.namedItem("meteringPointId").focus();
}

// ------------------------------------------------------------------ edit

function sameValue(spec, before, after) {
  if (before === undefined || before === null) return after === undefined;
  if (after === undefined) return false;
  if (spec.type === "datetime") return new Date(before).getTime() === new Date(after).getTime();
  return String(before) === String(after);
}

/** Update Resource Information (service 2): only the fields changed are sent, while Open. */
async function renderEdit(ctx, podId) {
  const pod = await ctx.api.get(`/pods/${encodeURIComponent(podId)}`);
  const back = `#/resources/${encodeURIComponent(pod.id)}`;
  if (ctx.me.role !== "BSP" || !EDITABLE.has(pod.status)) {
    fill(ctx.main, pageHeader("Edit a POD"), notice("info", "A POD's data change only while it is Registered or Open, by its BSP."), h("a", { href: back }, "Back to the POD"));
    return;
  }
  const id = "pod-edit";
  const groups = podGroups(ctx).map((group) => ({
    ...group,
    fields: group.fields.map((spec) => ({ ...spec, value: pod[spec.name] ?? "" })),
  }));
  const specs = groups.flatMap((g) => g.fields);
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "card guided", id, novalidate: true, "aria-label": "Edit the POD" },
    fieldsets(groups, id),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Save changes"), h("a", { href: back, class: "button" }, "Cancel")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const values = readForm(form, specs);
      const patch = {};
      for (const spec of specs) {
        if (!sameValue(spec, pod[spec.name], values[spec.name])) patch[spec.name] = values[spec.name] ?? null;
      }
      if (!Object.keys(patch).length) {
        status.textContent = "Nothing changed.";
        return;
      }
      try {
        await ctx.tracker.run(`Update POD ${pod.meteringPointId}`, () => ctx.api.patch(`/pods/${encodeURIComponent(pod.id)}`, patch));
        ctx.navigate(back);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  fill(
    ctx.main,
    pageHeader(`Edit ${pod.meteringPointId}`, h("a", { href: back, class: "button" }, "Back to the POD")),
    h("p", { class: "muted" }, "Data may change while the POD is Registered or Open; the new record's hash goes on chain."),
    form,
  );
}

// ------------------------------------------------------------------ detail

async function renderDetail(ctx, podId) {
  const container = h("div", { class: "detail" });
  const kept = keeper();
  fill(ctx.main, container);
  await live(
    ctx,
    container,
    () => ctx.api.get(`/pods/${encodeURIComponent(podId)}`),
    (box, pod) => {
      ctx.setTitle(`POD ${pod.meteringPointId}`);
      const owner = ctx.me.role === "BSP" && pod.flexibilityServiceProviderId === ctx.me.eic;
      const editable = owner && EDITABLE.has(pod.status);
      fill(box, 
        pageHeader(
          h("span", {}, pod.resourceName, " ", h("small", { class: "muted" }, pod.meteringPointId)),
          editable ? h("a", { href: `#/resources/${encodeURIComponent(pod.id)}/edit`, class: "button" }, "Edit data") : null,
          auditLink(ctx, pod.id, `POD ${pod.meteringPointId}`),
          h("a", { href: "#/resources", class: "button" }, "All PODs"),
        ),
        h("p", { class: "status-line" }, "Status: ", statusBadge(pod.status)),
        reasonsNotice(pod),
        owner ? statusActions(ctx, { kind: "pod", resource: pod, messages: kept("messages", () => h("div")) }) : null,
        decidesNow(ctx, "pod", pod)
          ? section("Your decision", kept(`decide-${pod.status}`, () => decisionForm(ctx, { kind: "pod", resource: pod })))
          : null,
        section(
          "Details",
          facts([
            ["POD code", pod.meteringPointId],
            ["Secondary POD", pod.accountingPointId],
            ["Type", pod.direction],
            ["Voltage level", pod.gridVoltageLevel],
            ["Location", pod.locationId],
            ["Contracted power", kw(pod.contractedPower)],
            ["Max flex up", kw(pod.maximumFlexUp)],
            ["Max flex down", kw(pod.maximumFlexDown)],
            ["DSO", dsoName(ctx, pod.distributionGridOperatorName)],
            ["TSO (receiver)", pod.receiverId],
            ["BSP", pod.flexibilityServiceProviderId],
            ["Dispatching contract", pod.brpContractId],
            ["Start", formatDate(pod.startDateTime)],
            ["End", pod.endDateTime ? formatDate(pod.endDateTime) : undefined],
            ["DSO constraints", pod.constraints ? Object.entries(pod.constraints).map(([k, v]) => `${k}: ${v} kW`).join(", ") : undefined],
            ["Chain key", shortHash(pod.chainKey)],
            ["Record hash", shortHash(pod.recordHash)],
          ]),
        ),
        section(
          "Flex devices",
          table({
            caption: "Flex devices",
            empty: "No flex device registered behind this POD.",
            rows: pod.flexDevices || [],
            columns: [
              { label: "Name", cell: (d) => d.resourceName },
              { label: "Device type", cell: (d) => d.deviceType },
              { label: "Power", cell: (d) => kw(d.contractedPower) },
              { label: "Flex up / down", cell: (d) => `${kw(d.maximumFlexUp)} / ${kw(d.maximumFlexDown)}` },
              { label: "Record hash", cell: (d) => shortHash(d.recordHash) },
            ],
          }),
          editable ? kept("device", () => deviceForm(ctx, pod)) : null,
        ),
        attachmentsSection(ctx, {
          attachments: pod.attachments,
          viewer: kept("viewer", attachmentViewer),
          form: editable ? kept("upload", () => attachmentUploadForm(ctx, { ownerPath: `/pods/${encodeURIComponent(pod.id)}`, receiverId: pod.receiverId })) : null,
        }),
        pod.relations?.length
          ? section(
              "Resource groups",
              table({
                caption: "Memberships",
                rows: pod.relations,
                columns: [
                  { label: "Resource group", cell: (r) => h("a", { href: `#/resource-groups/${encodeURIComponent(r.resourceGroup)}` }, r.resourceGroup) },
                  { label: "Active", cell: (r) => (r.active ? "yes" : "ended") },
                  { label: onClock("Since", "wall"), value: (r) => r.startedAt, cell: (r) => formatDate(r.startedAt) },
                ],
              }),
            )
          : null,
        historySection(pod.history),
      );
    },
    { interval: 2000 },
  );
}

function deviceForm(ctx, pod) {
  const id = uniqueId("device");
  const specs = [
    { name: "resourceName", label: "Device name", required: true, placeholder: "EV charger 1" },
    { name: "deviceType", label: "Device type", type: "select", required: true, options: DEVICE_TYPES.map((t) => [t, t]), value: "EVCharger" },
    { name: "contractedPower", label: "Rated power (kW)", type: "number", required: true, min: 0 },
    { name: "maximumFlexUp", label: "Max flex up (kW)", type: "number", required: true, min: 0 },
    { name: "maximumFlexDown", label: "Max flex down (kW)", type: "number", required: true, min: 0 },
    { name: "startDateTime", label: "Start", type: "datetime", value: toLocalInput(pod.startDateTime) },
  ];
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "Add a flex device" },
    h("h3", {}, "Add a flex device"),
    h("div", { class: "grid" }, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Add device")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const body = { ...readForm(form, specs), parentResourceId: pod.id };
      try {
        await ctx.tracker.run(`Flex device ${body.resourceName || ""}`, () => ctx.api.post(`/pods/${encodeURIComponent(pod.id)}/flex-devices`, body));
        status.textContent = `Device ${body.resourceName} registered.`;
        form.reset();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
