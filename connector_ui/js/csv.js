// CSV files made in the browser from data already loaded: RFC 4180 quoting, a UTF-8 byte order
// mark so that spreadsheet programs read accents and "→" right, and a download through a blob URL.

function quote(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** columns: [{label, value: (row) => text}] -> the CSV text, header first. */
export function toCsv(columns, rows) {
  const lines = [columns.map((c) => quote(c.label)), ...rows.map((row) => columns.map((c) => quote(c.value(row))))];
  return `${lines.map((cells) => cells.join(",")).join("\r\n")}\r\n`;
}

/** Offer `text` as a file named `filename`. */
export function downloadCsv(filename, text) {
  const url = URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "audit-events-2026-12-06.csv" */
export function csvName(base) {
  return `${base}-${new Date().toISOString().slice(0, 10)}.csv`;
}
