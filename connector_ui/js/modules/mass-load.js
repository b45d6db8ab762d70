// Mass loading: a CSV of PODs to POST /pods/mass-load, and the per-row report.

import { ApiError } from "../api.js";
import {
  busy,
  clear,
  field,
  fill,
  h,
  notice,
  pageHeader,
  section,
  showErrors,
  statusBadge,
  table,
} from "../ui.js";
import { podGroups } from "./resources.js";

const MAX_CSV_BYTES = 10 * 1024 * 1024;
const ROWS_PER_PAGE = 20;
/** The columns of a POD file: the API's field names (required ones first). */
const REQUIRED = ["meteringPointId", "resourceName", "direction", "contractedPower", "maximumFlexUp", "maximumFlexDown", "gridVoltageLevel", "distributionGridOperatorName", "receiverId", "flexibilityServiceProviderId", "startDateTime"];
const OPTIONAL = ["accountingPointId", "locationId", "brpContractId", "contractedPowerSecondaryPOD", "endDateTime", "registrationPeriod"];

export default {
  path: "mass-load",
  title: "Mass loading",
  roles: ["BSP"],
  requires: ["/pods/mass-load"],
  render(ctx) {
    const report = h("div", { class: "report", "aria-live": "polite" });
    const id = "mass-load";
    const form = h(
      "form",
      { class: "card", id, novalidate: true, "aria-label": "Load PODs from a CSV file" },
      field(
        {
          name: "file",
          label: "CSV file of PODs",
          type: "file",
          required: true,
          accept: ".csv,text/csv",
          hint: "First row: the POD field names. Each row is checked on its own; the accepted rows are registered in one operation.",
        },
        id,
      ),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Upload and check"), templateLink(ctx)),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        clear(report);
        const file = form.elements.namedItem("file").files[0];
        try {
          if (!file) throw new ApiError(422, { field: "file", message: "choose a CSV file" });
          if (file.size > MAX_CSV_BYTES) throw new ApiError(422, { field: "file", message: "the file exceeds 10 MiB" });
          const data = new FormData();
          data.append("file", file, file.name);
          let answer;
          try {
            answer = await ctx.api.upload("/pods/mass-load", data);
          } catch (error) {
            // "no row accepted" comes with the per-row report: show it rather than fail
            if (error.status === 422 && Array.isArray(error.body.rows)) {
              drawReport(ctx, report, { ...error.body, none: true });
              return;
            }
            throw error;
          }
          const state = { ...answer.report, operation: { status: answer.status, operationId: answer.operationId } };
          drawReport(ctx, report, state);
          const operation = await ctx.tracker.track(answer, `Mass load ${file.name} (${answer.report.acceptedCount} PODs)`);
          drawReport(ctx, report, { ...state, operation });
        } catch (error) {
          showErrors(form, error);
        }
      });
    });
    fill(ctx.main, 
      pageHeader("Mass loading", h("a", { href: "#/resources", class: "button" }, "Resources")),
      h(
        "details",
        { class: "card help" },
        h("summary", {}, "File format"),
        h("p", {}, "Required columns: ", h("code", {}, REQUIRED.join(", ")), "."),
        h("p", {}, "Optional columns: ", h("code", {}, OPTIONAL.join(", ")), ". An empty cell means “not given”."),
        h("p", {}, "Rows are numbered from 1 for the first row after the header."),
      ),
      form,
      report,
    );
  },
};

function templateLink(ctx) {
  const dso = ctx.directory.dsos?.[0]?.eic || "";
  const tso = ctx.directory.tso?.eic || "";
  const header = [...REQUIRED, "locationId"];
  const example = ["IT001E00000001", "Example site", "mixed", "80", "30", "40", "LV", dso, tso, ctx.me.eic, "2025-01-01T00:00:00+01:00", "Milano"];
  const text = `${header.join(",")}\n${example.join(",")}\n`;
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  return h("a", { href: url, download: "pods-template.csv", class: "button" }, "Download a template");
}

/** The POD form's label of each file column ("maximumFlexUp" -> "Maximum flex up (kW)"). */
function columnLabels(ctx) {
  const labels = new Map(podGroups(ctx).flatMap((group) => group.fields).map((spec) => [spec.name, spec.label]));
  labels.set("registrationPeriod", "Registration period");
  return labels;
}

/** A problem's field as the form names it, with the file's column beside it. */
function problemField(labels, name) {
  if (!name) return null;
  const label = labels.get(name);
  return label
    ? [h("strong", {}, label), h("span", { class: "muted" }, ` (column ${name})`), ": "]
    : h("strong", {}, `${name}: `);
}

function drawReport(ctx, container, report) {
  const labels = columnLabels(ctx);
  const opStatus = report.operation?.status;
  if (report.fileErrors?.length) {
    // the file as a whole was refused (its header, its encoding): no row was read
    fill(
      container,
      section(
        "Report",
        notice("error", h("strong", {}, "The file was not read, nothing was registered: "), h("ul", {}, report.fileErrors.map((e) => h("li", {}, e)))),
      ),
    );
    return;
  }
  const summary = report.none
    ? notice("error", `No row accepted: ${report.rejectedCount} rejected. Nothing was registered.`)
    : notice(
        opStatus === "failed" ? "error" : opStatus === "succeeded" ? "success" : "info",
        `${report.acceptedCount} row${report.acceptedCount === 1 ? "" : "s"} accepted, ${report.rejectedCount} rejected. `,
        opStatus === "succeeded" ? "The accepted PODs are registered on the ledger." : opStatus === "failed" ? "The registration failed on chain." : "Registering the accepted PODs…",
        " ",
        statusBadge(opStatus),
      );
  fill(container, 
    section(
      "Report",
      summary,
      table({
        caption: "Per-row report",
        empty: "The file has no data row.",
        rows: report.rows || [],
        pageSize: ROWS_PER_PAGE,
        rowAttrs: (row) => ({ "data-row": row.row, "data-accepted": String(row.accepted) }),
        columns: [
          { label: "Row", cell: (r) => String(r.row) },
          { label: "Result", cell: (r) => h("span", { class: `badge ${r.accepted ? "status-validated" : "status-rejected"}` }, r.accepted ? "accepted" : "rejected") },
          {
            label: "POD",
            cell: (r) => (r.podId && opStatus === "succeeded" ? h("a", { href: `#/resources/${encodeURIComponent(r.podId)}` }, "Open POD") : r.podId ? "pending" : "—"),
          },
          {
            label: "Problems",
            value: (r) => (r.errors || []).map((e) => (e.field ? `${labels.get(e.field) || e.field}: ${e.message}` : e.message)).join("; "),
            cell: (r) => (r.errors?.length ? h("ul", { class: "row-errors" }, r.errors.map((e) => h("li", {}, problemField(labels, e.field), e.message))) : "—"),
          },
        ],
      }),
    ),
  );
}
