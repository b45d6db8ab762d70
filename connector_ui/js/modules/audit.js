// Audit (auditor and TSO): the indexed history of any record on the ledger, by its id or chain
// key. Each transaction links to its events with their decoded arguments, and every record key
// among the arguments links to that record's own history.

import { field, fill, formatDate, h, notice, onClock, pageHeader, section, shortHash, table, uniqueId } from "../ui.js";

const KEY = /^0x[0-9a-fA-F]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function historyLink(value) {
  return h("a", { href: `#/audit/${encodeURIComponent(value)}`, title: `History of ${value}` }, shortHash(value));
}

function argValue(value) {
  if (typeof value === "string" && (UUID.test(value) || KEY.test(value))) return historyLink(value);
  if (Array.isArray(value)) return h("span", {}, value.map((v, i) => [i ? ", " : "", argValue(v)]));
  if (value && typeof value === "object") return h("code", {}, JSON.stringify(value));
  return String(value ?? "—");
}

function transactionDetail(ctx, record, hash, entries) {
  const mine = entries.filter((e) => e.transactionHash === hash);
  if (!mine.length) return null;
  return section(
    `Transaction ${hash.slice(0, 10)}…`,
    h("p", {}, h("code", { class: "hash-full" }, hash), " · block ", String(mine[0].blockNumber), " · ", formatDate(mine[0].time)),
    mine.map((entry) =>
      h(
        "article",
        { class: "tx-event", "aria-label": `${entry.event} (log ${entry.logIndex})` },
        h("h3", {}, `${entry.contract}.${entry.event}`, " ", h("span", { class: "muted" }, `by ${entry.actor} as ${entry.as}`)),
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

export default {
  path: "audit",
  title: "Audit",
  roles: ["AUDITOR", "TSO"],
  requires: ["/audit/history/{resource_id}"],
  async render(ctx) {
    const record = ctx.params?.[0] ? decodeURIComponent(ctx.params[0]) : "";
    const tx = ctx.query.get("tx") || "";
    const id = uniqueId("audit");
    const form = h(
      "form",
      { class: "filters", role: "search", novalidate: true, "aria-label": "Find a record" },
      field({ name: "record", label: "Record id or chain key", value: record, hint: "A POD, flex device, UVAM, membership or attachment id, or a 0x chain key." }, id),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Show history")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = form.elements.namedItem("record").value.trim();
      if (value) ctx.navigate(`#/audit/${encodeURIComponent(value)}`);
    });
    const results = h("div", { class: "results" });
    fill(ctx.main, pageHeader("Audit"), h("p", { class: "muted" }, "Every state change of a record as the ledger's events recorded it, with who sent it and in which transaction."), form, results);
    if (!record) return;
    let body;
    try {
      body = await ctx.api.get(`/audit/history/${encodeURIComponent(record)}`);
    } catch (error) {
      fill(results, notice("error", error.message));
      return;
    }
    if (!ctx.view.alive) return;
    const entries = body.data || [];
    fill(
      results,
      section(
        `History of ${record}`,
        table({
          caption: "Record history",
          empty: "No event of this record is indexed.",
          rows: entries,
          rowAttrs: (e) => ({ "data-tx": e.transactionHash, class: e.transactionHash === tx ? "selected" : null }),
          columns: [
            { label: onClock("Time", "platform"), cell: (e) => formatDate(e.time) },
            { label: "Block", cell: (e) => String(e.blockNumber), class: "num" },
            { label: "Event", cell: (e) => `${e.contract}.${e.event}` },
            { label: "By", cell: (e) => `${e.actor} (${e.as})` },
            { label: "Summary", cell: (e) => e.summary || "—", class: "wrap" },
            {
              label: "Transaction",
              cell: (e) =>
                h(
                  "a",
                  { href: `#/audit/${encodeURIComponent(record)}?tx=${encodeURIComponent(e.transactionHash)}`, "aria-label": `Transaction ${e.transactionHash.slice(0, 10)} of ${e.event}` },
                  shortHash(e.transactionHash),
                ),
            },
          ],
        }),
      ),
      tx ? transactionDetail(ctx, record, tx, entries) : null,
    );
  },
};
