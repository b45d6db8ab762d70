// Audit (auditor and TSO): find a record by its POD code, UVAM name, settlement id or id, and
// read its audit trail: every state change as the ledger's events recorded it, in words
// ("POD registered", "Status: Open → UnderReview"), each linking to its transaction, whose
// arguments link to the records they touched. "Verify" runs `cbp audit verify` (GET
// /audit/verify); "Export CSV" is `cbp audit export` (GET /audit/events).

import { csvName, downloadCsv, toCsv } from "../csv.js";
import { ApiError } from "../api.js";
import { busy, field, fill, formatDate, h, notice, onClock, pageHeader, readForm, section, shortHash, showErrors, table, uniqueId } from "../ui.js";

const KEY = /^0x[0-9a-fA-F]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The kinds of record `cbp audit export --kind` takes (ledger/audit/export.py EVENT_KINDS). */
const EXPORT_KINDS = [
  ["pod", "PODs"],
  ["device", "Flex devices"],
  ["uvam", "UVAMs"],
  ["connection", "Connections"],
  ["relation", "Memberships"],
  ["attachment", "Attachments"],
  ["role", "Roles and accounts"],
];
const EXPORT_COLUMNS = ["blockNumber", "time", "transactionHash", "logIndex", "contract", "event", "label", "change", "actor", "sender", "summary", "args"];

function historyLink(value) {
  return h("a", { href: `#/audit/${encodeURIComponent(value)}`, title: `Audit trail of ${value}` }, shortHash(value));
}

function argValue(value) {
  if (typeof value === "string" && (UUID.test(value) || KEY.test(value))) return historyLink(value);
  if (Array.isArray(value)) return h("span", {}, value.map((v, i) => [i ? ", " : "", argValue(v)]));
  if (value && typeof value === "object") return h("code", {}, JSON.stringify(value));
  return String(value ?? "—");
}

/** What changed, in words: the status change, else the event's arguments. */
function changeOf(entry) {
  return entry.change || entry.summary || "—";
}

function transactionDetail(record, hash, entries) {
  const mine = entries.filter((e) => e.transactionHash === hash);
  if (!mine.length) return null;
  return section(
    `Transaction ${hash.slice(0, 10)}…`,
    h("p", {}, h("code", { class: "hash-full" }, hash), " · block ", String(mine[0].blockNumber), " · ", formatDate(mine[0].time)),
    mine.map((entry) =>
      h(
        "article",
        { class: "tx-event", "aria-label": `${entry.label} (log ${entry.logIndex})` },
        h("h3", {}, entry.label, " ", h("span", { class: "muted" }, `${entry.contract}.${entry.event}, by ${entry.actor} as ${entry.as}`)),
        entry.change ? h("p", {}, entry.change) : null,
        h(
          "dl",
          { class: "facts" },
          Object.entries(entry.args || {}).map(([key, value]) => h("div", {}, h("dt", {}, key), h("dd", {}, argValue(value)))),
        ),
      ),
    ),
    h("p", {}, h("a", { href: `#/audit/${encodeURIComponent(record)}` }, "Close transaction")),
  );
}

/** The search: a chain key goes straight to its trail; anything else is looked up. */
function searchForm(ctx, record, matches) {
  const id = uniqueId("audit");
  const form = h(
    "form",
    { class: "filters", role: "search", novalidate: true, "aria-label": "Find a record" },
    field(
      {
        name: "q",
        label: "POD code, UVAM name, settlement id or record id",
        value: ctx.query.get("q") || record,
        hint: "For example IT001E12345678, a settlement's id, or a 0x chain key.",
        wide: true,
      },
      id,
    ),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Find")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const q = form.elements.namedItem("q").value.trim();
      try {
        if (!q) throw new ApiError(422, { field: "q", message: "type a POD code, a name or an id" });
        if (KEY.test(q)) return ctx.navigate(`#/audit/${encodeURIComponent(q)}`);
        const found = (await ctx.api.get("/ui/audit/find", { q })).data;
        if (!found.length) throw new ApiError(404, { field: "q", message: `no POD, UVAM, settlement or record matches “${q}”` });
        const trailOf = (m) => `#/audit/${encodeURIComponent(m.historyId)}?about=${encodeURIComponent(m.label)}&q=${encodeURIComponent(q)}`;
        if (found.length === 1) return ctx.navigate(trailOf(found[0]));
        fill(
          matches,
          section(
            `${found.length} records match “${q}”`,
            h("ul", { class: "plain matches" }, found.map((m) => h("li", {}, h("a", { href: trailOf(m) }, m.label)))),
          ),
        );
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

/** "Verify": the database against the chain, as `cbp audit verify`. */
function verifyTool(ctx) {
  const result = h("div", { class: "verify-result", "aria-live": "polite" });
  const button = h("button", { type: "button" }, "Verify database against the chain");
  button.addEventListener("click", async () => {
    button.disabled = true;
    fill(result, h("p", { class: "muted" }, "Checking every record against the chain…"));
    try {
      const answer = await ctx.api.get("/audit/verify");
      fill(
        result,
        answer.count
          ? notice(
              "error",
              h("p", {}, `${answer.count} database row${answer.count === 1 ? "" : "s"} the chain contradicts:`),
              table({
                caption: "Rows the chain contradicts",
                rows: answer.data,
                columns: ["table", "row_id", "field", "db_value", "chain_value", "note"].map((key) => ({ label: key.replace("_", " "), cell: (m) => String(m[key] ?? "—") })),
              }),
            )
          : notice("success", `The database agrees with the chain (checked ${new Date().toLocaleTimeString()}).`),
      );
    } catch (error) {
      fill(result, notice("error", error.message));
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "audit-tool" }, h("p", { class: "muted" }, "Checks every database row that claims a chain fact, as cbp audit verify does."), button, result);
}

/** "Export CSV": indexed events by kind and block time, as `cbp audit export`. */
function exportForm(ctx) {
  const id = uniqueId("export");
  const specs = [
    { name: "kind", label: "Kind of record", type: "select", placeholder: "Every kind", options: EXPORT_KINDS },
    { name: "since", label: onClock("From", "platform"), type: "datetime" },
    { name: "until", label: onClock("Until", "platform"), type: "datetime" },
  ];
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "Export events" },
    h("div", { class: "grid" }, specs.map((spec) => field(spec, id))),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Export CSV")),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      status.textContent = "";
      try {
        const answer = await ctx.api.get("/audit/events", readForm(form, specs));
        const columns = EXPORT_COLUMNS.map((key) => ({ label: key, value: (row) => row[key] }));
        downloadCsv(csvName("audit-events"), toCsv(columns, answer.data));
        status.textContent = `${answer.count} event${answer.count === 1 ? "" : "s"} exported.`;
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

async function trail(ctx, record, results) {
  const tx = ctx.query.get("tx") || "";
  const about = ctx.query.get("about") || record;
  let body;
  try {
    body = await ctx.api.get(`/audit/history/${encodeURIComponent(record)}`);
  } catch (error) {
    fill(results, notice("error", error.message));
    return;
  }
  if (!ctx.view.alive) return;
  const entries = body.data || [];
  const keep = ctx.query.get("about") ? `&about=${encodeURIComponent(about)}` : "";
  fill(
    results,
    section(
      `Audit trail of ${about}`,
      table({
        caption: "Record history",
        empty: "No event of this record is indexed yet.",
        rows: entries,
        rowAttrs: (e) => ({ "data-tx": e.transactionHash, class: e.transactionHash === tx ? "selected" : null }),
        columns: [
          { label: onClock("Time", "platform"), value: (e) => e.time, filter: "date", cell: (e) => formatDate(e.time) },
          { label: "Block", cell: (e) => String(e.blockNumber), class: "num" },
          { label: "Event", cell: (e) => h("span", { title: `${e.contract}.${e.event}` }, e.label) },
          { label: "Change", cell: changeOf, class: "wrap" },
          { label: "By", cell: (e) => `${e.actor} (${e.as})` },
          {
            label: "Transaction",
            cell: (e) =>
              h(
                "a",
                { href: `#/audit/${encodeURIComponent(record)}?tx=${encodeURIComponent(e.transactionHash)}${keep}`, "aria-label": `Transaction ${e.transactionHash.slice(0, 10)} of ${e.label}` },
                shortHash(e.transactionHash),
              ),
          },
        ],
      }),
    ),
    tx ? transactionDetail(record, tx, entries) : null,
  );
}

export default {
  path: "audit",
  title: "Audit",
  roles: ["AUDITOR", "TSO"],
  requires: ["/audit/history/{resource_id}", "/audit/verify", "/audit/events", "/ui/audit/find"],
  async render(ctx) {
    const record = ctx.params?.[0] ? decodeURIComponent(ctx.params[0]) : "";
    const matches = h("div");
    const results = h("div", { class: "results" });
    fill(
      ctx.main,
      pageHeader("Audit"),
      h("p", { class: "muted" }, "Every state change of a record as the ledger's events recorded it, with who sent it and in which transaction."),
      searchForm(ctx, record, matches),
      matches,
      results,
      section("Verify", verifyTool(ctx)),
      section("Export events", exportForm(ctx)),
    );
    if (record) await trail(ctx, record, results);
  },
};
