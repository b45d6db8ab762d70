// Operations: every write of this organisation with its status, transactions and errors.

import { kindLabel, operationTarget } from "../operations.js";
import {
  field,
  fill,
  formatDate,
  h,
  onClock,
  pageHeader,
  shortHash,
  statusBadge,
  table,
  uniqueId,
} from "../ui.js";
import { listSource, live } from "./shared.js";

const PAGE_SIZE = 15;
const STATUSES = ["accepted", "submitted", "succeeded", "failed"];

export default {
  path: "operations",
  title: "Operations",
  requires: ["/operations", "/operations/{operation_id}"],
  async render(ctx) {
    const offset = Number(ctx.query.get("offset") || 0);
    const status = ctx.query.get("status") || "";
    const results = h("div", { class: "results" });
    const id = uniqueId("ops");
    const filter = h(
      "form",
      { class: "filters", novalidate: true, "aria-label": "Filter operations" },
      field({ name: "status", label: "Status", type: "select", placeholder: "Any status", value: status, options: STATUSES.map((s) => [s, s]) }, id),
      h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Apply")),
    );
    filter.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = filter.elements.namedItem("status").value;
      ctx.navigate(`#/operations${value ? `?status=${encodeURIComponent(value)}` : ""}`);
    });
    fill(ctx.main, 
      pageHeader("Operations"),
      h("p", { class: "muted" }, "Each write is accepted at once and then executed on the ledger; this is its record."),
      filter,
      results,
    );
    await live(
      ctx,
      results,
      () => ctx.api.get("/operations", { status, limit: PAGE_SIZE, offset }),
      (container, page) =>
        fill(container, 
          table({
            caption: "Operations",
            empty: "No operation.",
            rows: page.data,
            source: listSource(ctx, { base: "operations", page, offset, limit: PAGE_SIZE, label: "Operation pages", path: "/operations", query: { status } }),
            rowAttrs: (o) => ({ "data-operation": o.operationId }),
            columns: [
              { label: "Operation", cell: (o) => kindLabel(o.kind) },
              { label: "Status", cell: (o) => statusBadge(o.status) },
              { label: "Target", value: (o) => o.targetName || o.targetId || "", cell: operationTarget },
              { label: "Transactions", cell: (o) => (o.transactionHashes?.length ? h("span", {}, o.transactionHashes.map((t) => [shortHash(t), " "])) : "—") },
              { label: "Block", cell: (o) => o.blockNumber ?? "—" },
              { label: "Error", cell: (o) => (o.error ? o.error.message || o.error.code : "—") },
              { label: onClock("Created", "wall"), value: (o) => o.createdAt, filter: "date", cell: (o) => formatDate(o.createdAt) },
            ],
          }),
        ),
      { interval: 3000 },
    );
  },
};
