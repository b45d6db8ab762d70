// What every table of the dashboard offers around its rows: sorting by any column (header
// buttons with aria-sort), a date range and a BSP filter where the table has such columns,
// pages of 10 rows when it holds more, and "Export CSV" of the rows that pass the filters.
// ui.js table() uses it; a table keeps its sort, filters and page across the redraws of its
// page's polling (state by caption).
//
// A column may say how: {value: (row) => raw value to sort, filter and export (default: the
// cell's text), filter: "date" | "bsp", csv: false (left out of the export), sort: false}.
// Columns whose cells hold controls (buttons, forms) are neither sorted nor exported.

import { csvName, downloadCsv, toCsv } from "./csv.js";

export const TABLE_PAGE_SIZE = 10;
const states = new Map();
const CONTROLS = "button, input, select, textarea, form";

export function tableState(caption) {
  const key = caption || "table";
  if (!states.has(key)) states.set(key, { sort: null, descending: false, from: "", to: "", bsp: "", page: 0 });
  return states.get(key);
}

/** The raw value of a column for a row: its `value`, else the rendered cell's text. */
export function cellValue(column, row, rendered) {
  if (column.value) return column.value(row);
  const node = rendered ?? column.cell(row);
  return node instanceof Node ? node.textContent.trim() : String(node ?? "");
}

function comparable(value) {
  if (value === null || value === undefined || value === "" || value === "—") return null;
  if (typeof value === "number") return value;
  const text = String(value);
  if (/^-?\d+(\.\d+)?$/.test(text.replace(/ kW$/, ""))) return Number(text.replace(/ kW$/, ""));
  return text;
}

/** Compare two raw values: numbers as numbers, ISO dates and text in the reader's order;
 *  missing values last. */
export function compareValues(a, b) {
  const x = comparable(a);
  const y = comparable(b);
  if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
  if (typeof x === "number" && typeof y === "number") return x - y;
  return String(x).localeCompare(String(y), undefined, { numeric: true, sensitivity: "base" });
}

/** Whether a column is offered for sorting and export: a column of data, not of controls.
 *  Decided once per draw, before the cells are drawn (a cell may register its control). */
export function isDataColumn(column, rows) {
  if (column.sort === false && column.csv === false) return false;
  if (column.value) return true;
  return !rows.some((row) => {
    const node = column.cell(row);
    return node instanceof Element && (node.matches(CONTROLS) || node.querySelector(CONTROLS) !== null);
  });
}

/** The rows that pass the state's date range and BSP filter. */
export function filterRows(columns, rows, state) {
  const date = columns.find((c) => c.filter === "date");
  const bsp = columns.find((c) => c.filter === "bsp");
  return rows.filter((row) => {
    if (date && (state.from || state.to)) {
      const raw = cellValue(date, row);
      const day = raw ? new Date(raw) : null;
      if (!day || Number.isNaN(day.getTime())) return false;
      if (state.from && day < new Date(`${state.from}T00:00:00`)) return false;
      if (state.to && day >= new Date(new Date(`${state.to}T00:00:00`).getTime() + 86_400_000)) return false;
    }
    return !(bsp && state.bsp && cellValue(bsp, row) !== state.bsp);
  });
}

export function sortRows(columns, rows, state) {
  if (state.sort === null || !columns[state.sort]) return rows;
  const column = columns[state.sort];
  const keyed = rows.map((row, index) => ({ row, index, value: cellValue(column, row) }));
  keyed.sort((a, b) => (state.descending ? -1 : 1) * compareValues(a.value, b.value) || a.index - b.index);
  return keyed.map((k) => k.row);
}

/** "Export CSV": the data columns given, the rows given (filtered and sorted, every page). */
export function exportRows(dataColumns, rows, caption) {
  const csvColumns = dataColumns.filter((c) => c.csv !== false).map((c) => ({ label: c.label, value: (row) => cellValue(c, row) }));
  const base = (caption || "table").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  downloadCsv(csvName(base), toCsv(csvColumns, rows));
}
