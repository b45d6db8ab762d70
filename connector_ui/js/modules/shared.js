// Pieces that the POD and UVAM pages (and later ones) share: live sections that poll, status
// requests, attachments, status history, and the TSO/DSO decision form.

import { ApiError } from "../api.js";
import { kindLabel } from "../operations.js";
import {
  busy,
  bytes,
  clear,
  field,
  fieldsets,
  fileToBase64,
  fill,
  formatDate,
  h,
  notice,
  onClock,
  readForm,
  section,
  shortHash,
  showErrors,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";

export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
export const POD_STATUSES = ["Registered", "Open", "UnderReview", "Verified", "Validated", "Rejected"];
export const UVAM_STATUSES = ["Registered", "Open", "UnderReview", "Qualified", "Rejected"];
/** While a resource is in one of these, someone else acts on it: pages poll it. */
export const IN_REVIEW = new Set(["UnderReview", "Verified"]);
export const EDITABLE = new Set(["Registered", "Open"]);
const DOCUMENT_TYPES = ["ConnectionDiagram", "MeterCertificate", "TechnicalDatasheet", "Contract", "Other"];
const MIME_BY_EXTENSION = { pdf: "application/pdf", xml: "application/xml" };

/**
 * Load data, draw it into `container`, and keep it fresh: every `interval` ms and whenever a
 * tracked operation finishes. Draws again only when the data changed, so focus and scrolling
 * stay put. Returns the refresh function.
 */
export async function live(ctx, container, load, draw, { interval = 3000 } = {}) {
  let last = null;
  const refresh = async () => {
    let data;
    try {
      data = await load();
    } catch (error) {
      if (!ctx.view.alive) return;
      if (last === null) {
        fill(container, notice("error", error.message));
        last = "error";
      }
      return;
    }
    const key = JSON.stringify(data);
    if (key === last || !ctx.view.alive) return;
    last = key;
    draw(container, data);
  };
  await refresh();
  if (interval) ctx.every(interval, refresh);
  ctx.onOperation(refresh);
  return refresh;
}

export function statusFilterOptions(statuses) {
  return statuses.map((status) => [status, status]);
}

/** A list's filter form (search and status), kept in the URL so that Back works. */
export function filterForm(ctx, { base, statuses, searchLabel }) {
  const id = uniqueId("filter");
  const form = h(
    "form",
    { class: "filters", role: "search", novalidate: true },
    field({ name: "q", label: searchLabel, value: ctx.query.get("q") || "", placeholder: "Search…" }, id),
    field(
      { name: "status", label: "Status", type: "select", placeholder: "Any status", options: statusFilterOptions(statuses), value: ctx.query.get("status") || "" },
      id,
    ),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Apply")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    const q = form.elements.namedItem("q").value.trim();
    const status = form.elements.namedItem("status").value;
    if (q) query.set("q", q);
    if (status) query.set("status", status);
    ctx.navigate(`#/${base}${query.toString() ? `?${query}` : ""}`);
  });
  return form;
}

export function withQuery(ctx, base, changes) {
  const query = new URLSearchParams(ctx.query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "" || value === 0) query.delete(key);
    else query.set(key, value);
  }
  const text = query.toString();
  return `#/${base}${text ? `?${text}` : ""}`;
}

/** A "BSP" column, named and filterable, for those who see every BSP's resources. */
export function bspColumn(ctx, eicOf) {
  const bsps = ctx.directory.bsps || [];
  if (!bsps.length) return null;
  const names = new Map(bsps.map((b) => [b.eic, b.name]));
  return { label: "BSP", filter: "bsp", options: bsps.map((b) => b.name), cell: (row) => names.get(eicOf(row)) || eicOf(row) || "—" };
}

/**
 * The `source` of a table that shows one page of a list the API pages (ui.js table()): the
 * pager moves `key` in the page's URL; sorting, filtering and the export load the whole list.
 */
export function listSource(ctx, { base, key = "offset", page, offset, limit, label, path, query = {}, all }) {
  return {
    count: page.count,
    offset,
    limit,
    label,
    onPage: (next) => ctx.navigate(withQuery(ctx, base, { [key]: next })),
    all: all || (() => ctx.api.all(path, query)),
  };
}

// ------------------------------------------------------------------ status requests

/**
 * The BSP asks for a status: "Open" (from Registered, or to reopen a rejected resource) or
 * "UnderReview" (opening it first when it is still Registered).
 */
export async function requestStatus(ctx, { kind, resource, target }) {
  const path = kind === "pod" ? `/pods/${encodeURIComponent(resource.id)}/status` : `/uvams/${encodeURIComponent(resource.id)}/status`;
  const noun = kind === "pod" ? "POD" : "UVAM";
  const body = (status) => {
    const common = { status, flexibilityServiceProviderId: ctx.me.eic, receiverId: resource.receiverId || ctx.directory.tso?.eic };
    return kind === "pod"
      ? { ...common, flexResourceId: resource.id, registrationPeriod: Math.floor(Date.now() / 1000) }
      : { ...common, resourceGroupId: resource.id };
  };
  if (target === "UnderReview" && resource.status !== "Open") {
    await ctx.tracker.run(`Open ${noun}`, () => ctx.api.patch(path, body("Open")));
  }
  const label = target === "Open" ? `Open ${noun}` : `Send ${noun} for validation`;
  await ctx.tracker.run(label, () => ctx.api.patch(path, body(target)));
}

/** The owner's buttons for the resource's status, with a place for errors. */
export function statusActions(ctx, { kind, resource, messages = h("div") }) {
  messages.classList.add("action-messages");
  const run = (target) => async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    clear(messages);
    try {
      await requestStatus(ctx, { kind, resource, target });
    } catch (error) {
      messages.append(notice("error", error.message));
    } finally {
      button.disabled = false;
    }
  };
  const buttons = [];
  if (resource.status === "Registered") buttons.push(h("button", { type: "button", onclick: run("Open") }, "Open for completion"));
  if (resource.status === "Rejected") buttons.push(h("button", { type: "button", onclick: run("Open") }, "Reopen"));
  if (EDITABLE.has(resource.status)) {
    buttons.push(h("button", { type: "button", class: "primary", onclick: run("UnderReview") }, "Send for validation"));
  }
  const waiting = {
    UnderReview: "Waiting for the TSO's verification.",
    Verified: "Verified by the TSO; waiting for the DSO's validation.",
  }[resource.status];
  return h(
    "div",
    { class: "status-actions" },
    buttons.length ? h("div", { class: "button-row" }, buttons) : null,
    waiting ? h("p", { class: "muted waiting", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), waiting) : null,
    messages,
  );
}

export function reasonsNotice(resource) {
  if (resource.status !== "Rejected" || !resource.reasons?.length) return null;
  return notice("error", h("strong", {}, "Rejected: "), h("ul", { class: "reasons" }, resource.reasons.map((r) => h("li", {}, r))));
}

// ------------------------------------------------------------------ history

export function historySection(history) {
  return section(
    "Status history",
    table({
      caption: "Status history with transactions",
      empty: "No status change recorded yet.",
      rows: history || [],
      columns: [
        { label: onClock("When", "wall"), cell: (row) => formatDate(row.at) },
        { label: "Change", cell: (row) => h("span", {}, row.from ? statusBadge(row.from) : "—", " → ", statusBadge(row.to)) },
        { label: "By", cell: (row) => row.actor || "—" },
        { label: "Reasons", cell: (row) => (row.reasons?.length ? row.reasons.join("; ") : "—") },
        { label: "Transaction", cell: (row) => shortHash(row.transactionHash) },
        { label: "Block", cell: (row) => row.blockNumber ?? "—" },
      ],
    }),
  );
}

// ------------------------------------------------------------------ attachments

function extensionOf(name) {
  const match = /\.([A-Za-z0-9]+)$/.exec(name || "");
  return match ? match[1].toLowerCase() : "";
}

/**
 * Attachments table with "View", and (for the owner, while editable) the upload form. The
 * viewer and the form are passed in so that a page redrawing its data keeps them as they are.
 */
export function attachmentsSection(ctx, { attachments, viewer, form }) {
  const list = table({
    caption: "Attachments",
    empty: "No attachment yet.",
    rows: attachments || [],
    columns: [
      { label: "File", cell: (a) => a.externalDocumentId },
      { label: "Type", cell: (a) => a.documentType },
      { label: "Format", cell: (a) => a.mimeType },
      { label: "Size", cell: (a) => bytes(a.sizeBytes) },
      { label: "SHA-256", cell: (a) => shortHash(a.documentSha256) },
      {
        label: "Actions",
        cell: (a) => h("button", { type: "button", class: "small", onclick: () => showAttachment(ctx, viewer, a) }, `View ${a.externalDocumentId}`),
      },
    ],
  });
  return section("Attachments", list, viewer, form || null);
}

export function attachmentViewer() {
  return h("div", { class: "viewer" });
}

async function showAttachment(ctx, viewer, attachment) {
  fill(viewer, h("p", { class: "muted" }, "Loading…"));
  try {
    const blob = await ctx.api.blob(`/attachments/${encodeURIComponent(attachment.id)}/content`);
    const url = URL.createObjectURL(blob);
    const title = `Attachment ${attachment.externalDocumentId}`;
    const isXml = /xml/.test(attachment.mimeType || blob.type);
    const body = isXml ? h("pre", { class: "xml", tabindex: "0", "aria-label": title }, await blob.text()) : h("iframe", { src: url, title, class: "pdf" });
    fill(viewer, 
      h(
        "div",
        { class: "viewer-head" },
        h("h3", {}, attachment.externalDocumentId),
        h("a", { href: url, download: attachment.externalDocumentId, class: "button small" }, "Download"),
        h("button", { type: "button", class: "small", onclick: () => { URL.revokeObjectURL(url); clear(viewer); } }, "Close"),
      ),
      body,
    );
  } catch (error) {
    fill(viewer, notice("error", error.message));
  }
}

export function attachmentUploadForm(ctx, { ownerPath, receiverId }) {
  const id = uniqueId("attachment");
  const specs = [
    { name: "documentFile", label: "Document (PDF or XML, at most 5 MB)", type: "file", required: true, accept: ".pdf,.xml,application/pdf,application/xml,text/xml" },
    { name: "documentType", label: "Document type", type: "select", required: true, options: DOCUMENT_TYPES.map((t) => [t, t]), value: "ConnectionDiagram" },
  ];
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "Upload an attachment" },
    h("h3", {}, "Upload an attachment"),
    h("div", { class: "grid" }, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Upload")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clear(status);
      try {
        const file = form.elements.namedItem("documentFile").files[0];
        if (!file) throw new ApiError(422, { field: "documentFile", message: "choose a PDF or XML file" });
        const mimeType = MIME_BY_EXTENSION[extensionOf(file.name)];
        if (!mimeType) throw new ApiError(422, { field: "documentFile", message: "only PDF (.pdf) or XML (.xml) files are accepted" });
        if (file.size > MAX_ATTACHMENT_BYTES) {
          throw new ApiError(422, { field: "documentFile", message: `the file is ${bytes(file.size)}; the limit is 5 MiB` });
        }
        status.textContent = `Reading ${file.name}…`;
        const body = {
          senderId: ctx.me.eic,
          receiverId: receiverId || ctx.directory.tso?.eic,
          externalDocumentId: file.name,
          documentFile: await fileToBase64(file),
          documentType: form.elements.namedItem("documentType").value,
          mimeType,
        };
        status.textContent = `Uploading ${file.name}…`;
        await ctx.tracker.run(`Attachment ${file.name}`, () => ctx.api.post(`${ownerPath}/attachments`, body));
        status.textContent = `${file.name} is stored and its hash is on chain.`;
        form.reset();
      } catch (error) {
        status.textContent = "";
        showErrors(form, error);
      }
    });
  });
  return form;
}

// ------------------------------------------------------------------ decisions (TSO / DSO)

/** Approve or reject a POD or UVAM; a DSO approving a POD may record static constraints. */
export function decisionForm(ctx, { kind, resource, onDone }) {
  const id = uniqueId(`decide-${kind}`);
  const dsoApproving = kind === "pod" && ctx.me.role === "DSO";
  const reasonsSpec = {
    name: "reasons",
    label: "Reasons (one per line; required to reject)",
    type: "textarea",
    rows: 2,
  };
  const constraintGroups = dsoApproving
    ? [
        {
          legend: "Static constraints (kW, optional)",
          intro: "Left empty: the contracted limits are recorded.",
          fields: [
            { name: "constraints.maxImportKw", label: "Max import (kW)", type: "number", min: 0 },
            { name: "constraints.maxExportKw", label: "Max export (kW)", type: "number", min: 0 },
          ],
        },
      ]
    : [];
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "decision", novalidate: true, "aria-label": `Decision on ${resource.meteringPointId || resource.name || resource.id}` },
    field(reasonsSpec, id),
    fieldsets(constraintGroups, id),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "primary", value: "approve" }, kind === "uvam" ? "Qualify" : "Approve"),
      h("button", { type: "submit", class: "danger", value: "reject" }, "Reject"),
    ),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const approve = event.submitter?.value !== "reject";
    busy(form, async () => {
      clear(status);
      const reasons = form.elements.namedItem("reasons").value.split("\n").map((r) => r.trim()).filter(Boolean);
      const body = { approve, reasons };
      if (approve && dsoApproving) {
        const values = readForm(form, constraintGroups[0].fields);
        if (values.constraints) body.constraints = values.constraints;
      }
      const path = kind === "pod" ? `/pods/${encodeURIComponent(resource.id)}/review` : `/uvams/${encodeURIComponent(resource.id)}/review`;
      try {
        const { operation } = await ctx.tracker.run(`${approve ? "Approve" : "Reject"} ${resource.meteringPointId || resource.name}`, () => ctx.api.post(path, body));
        status.textContent = `${kindLabel(operation.kind)} recorded on chain.`;
        onDone?.(operation);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

/** Whether this organisation decides on the resource now. */
export function decidesNow(ctx, kind, resource) {
  if (ctx.me.role === "TSO") return resource.status === "UnderReview";
  if (ctx.me.role === "DSO" && kind === "pod") return resource.status === "Verified" && resource.distributionGridOperatorName === ctx.me.eic;
  return false;
}

/** Build once, reuse on every redraw: keeps what a person is typing when data refreshes. */
export function keeper() {
  const kept = new Map();
  return (key, build) => {
    if (!kept.has(key)) kept.set(key, build());
    return kept.get(key);
  };
}

// ------------------------------------------------------------------ audit trail

/** Who reads the audit trail (the Audit page's roles). */
export const AUDIT_ROLES = new Set(["AUDITOR", "TSO"]);

/** A link to a record's audit trail (its events on chain), for those who read it. */
export function auditLink(ctx, id, name, { button = true } = {}) {
  if (!AUDIT_ROLES.has(ctx.me.role) || !id) return null;
  return h("a", { href: `#/audit/${encodeURIComponent(id)}`, class: button ? "button" : null, "aria-label": `Audit trail of ${name}` }, "Audit trail");
}

/** The BSP's answer to a settlement or a statement: accept it, or dispute it with a reason.
 *  `noun` names what is answered ("settlement", "statement"), `path` its API path (the answer
 *  goes to `${path}/accept` or `${path}/dispute`), `label` names it in the operations tray. */
export function answerForm(ctx, { noun, path, label }) {
  const id = uniqueId(`${noun}-answer`);
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": `Answer the ${noun}` },
    field({ name: "reason", label: "Reason (required to dispute)", type: "textarea", rows: 2 }, id),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: "primary", value: "accept" }, `Accept ${noun}`),
      h("button", { type: "submit", class: "danger", value: "dispute" }, `Dispute ${noun}`),
    ),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const dispute = event.submitter?.value === "dispute";
    busy(form, async () => {
      clear(status);
      const reason = form.elements.namedItem("reason").value.trim();
      try {
        await ctx.tracker.run(`${dispute ? "Dispute" : "Accept"} ${label}`, () =>
          ctx.api.post(`${path}/${dispute ? "dispute" : "accept"}`, dispute ? { reason } : {}),
        );
        status.textContent = dispute ? "Disputed on chain." : "Accepted on chain.";
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
