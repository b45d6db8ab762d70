// Small DOM helpers shared by every page: an element builder (text is never parsed as HTML),
// tables that turn into cards on narrow screens, pagination, form fields with labels, hints and
// the API's field-level errors.

import { cellValue, exportRows, filterRows, isDataColumn, sortRows, TABLE_PAGE_SIZE, tableState } from "./table-tools.js";

/** Build an element: h("a", {href: "#/x", class: "button"}, "text", child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "value") element.value = value;
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else if (child instanceof Node) element.appendChild(child);
    else element.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
  return element;
}

/** Replace an element's children (null, false and undefined children are skipped). */
export function fill(element, ...children) {
  clear(element);
  append(element, children);
  return element;
}

let uniqueCounter = 0;
export function uniqueId(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

// ------------------------------------------------------------------ formatting

export function statusBadge(status) {
  const slug = String(status || "unknown").replace(/[^A-Za-z]/g, "").toLowerCase();
  return h("span", { class: `badge status-${slug}`, "data-status": status }, status || "—");
}

export function shortHash(hash) {
  if (!hash) return "—";
  const text = String(hash);
  const short = text.length > 18 ? `${text.slice(0, 10)}…${text.slice(-6)}` : text;
  return h("code", { class: "hash", title: text }, short);
}

export function formatDate(value) {
  if (!value) return "—";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * Two clocks: market times (periods, deadlines, gate closures, block times) are on the
 * platform's clock, which on a local demo chain can run ahead of the wall clock
 * (ledger/core/clock.py); record times (created, updated) are on the wall clock. Every column of
 * times says which.
 */
export const CLOCKS = { platform: "platform clock", wall: "wall clock" };

/** A column label naming the clock of its times: "Delivery start (platform clock)". */
export function onClock(label, clock) {
  return `${label} (${CLOCKS[clock]})`;
}

/** "Dec 6, 2026, 1:00 PM – 1:30 PM": `count` 15-minute periods from `start`. */
export function periodSpan(start, count = 1, seconds = 900) {
  const from = new Date(start);
  if (Number.isNaN(from.getTime())) return "—";
  const to = new Date(from.getTime() + count * seconds * 1000);
  return `${formatDate(from)} – ${to.toLocaleTimeString(undefined, { timeStyle: "short" })}`;
}

/** An activation (or its settlement) as people know it: "UVAM Nord · Dec 6, 2026, 1:00 PM – 1:30 PM". */
export function activationName(item) {
  const who = item.uvamName || `activation ${shortId(item.activationId || item.id)}`;
  const count = item.periodCount ?? item.setPointsKw?.length ?? 1;
  return item.firstPeriod ? `${who} · ${periodSpan(item.firstPeriod, count)}` : who;
}

/** The first 8 characters of an id, where a name is not known. */
export function shortId(id) {
  return String(id || "").slice(0, 8);
}

export function kw(value) {
  return value === undefined || value === null ? "—" : `${value} kW`;
}

export function bytes(size) {
  if (size === undefined || size === null) return "—";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(2)} MiB`;
}

// ------------------------------------------------------------------ layout pieces

export function pageHeader(title, ...actions) {
  return h("div", { class: "page-header" }, h("h1", {}, title), h("div", { class: "actions" }, actions));
}

export function notice(kind, ...content) {
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `notice notice-${kind}`, role }, content);
}

export function section(title, ...content) {
  const id = uniqueId("section");
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), content);
}

/** Definition list of [label, value] pairs. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs
      .filter(([, value]) => value !== undefined)
      .map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value ?? "—"))),
  );
}

/**
 * A table; each cell carries its column label so that narrow screens can show rows as cards.
 * columns: [{label, cell: (row) => node|string, class?, value?, filter?, options?, csv?, sort?}]
 * groupBy: {key: (row) => text, label: (key, rows) => node}: rows of the same key together
 * under a header row of their own (in order of first appearance).
 * Every table sorts by its columns (header buttons; on a phone, where the headers are hidden,
 * a "Sort by" list), filters by date and BSP where it has them, pages its rows and exports them
 * as CSV (js/table-tools.js); `tools: false` leaves a bare table.
 * source: for one page of a list the API pages, {count, offset, limit, label, onPage, all}:
 * the API's pager is shown, and sorting, filtering and the export cover the whole list
 * (`all()` loads every row) rather than the page.
 */
export function table({ columns, rows, caption, empty = "Nothing to show.", rowAttrs, groupBy, pageSize = TABLE_PAGE_SIZE, tools = true, source = null }) {
  if (!rows.length) {
    // past the end of a list the API pages (its rows went meanwhile): the pager leads back
    const back = source && source.offset > 0 ? pager(source) : null;
    return back ? h("div", {}, h("p", { class: "muted empty" }, empty), back) : h("p", { class: "muted empty" }, empty);
  }
  const state = tableState(caption);
  const data = columns.map((c) => tools && isDataColumn(c, rows));
  const content = h("div", { class: "table-content" });
  const list = wholeList(source, rows);
  const exportButton = h("button", { type: "button", class: "small", "aria-label": `Export CSV: ${caption || "table"}` }, "Export CSV");
  exportButton.onclick = async () => {
    exportButton.disabled = true;
    try {
      const all = list.partial ? await list.load() : rows;
      exportRows(columns.filter((_, i) => data[i]), sortRows(columns, filterRows(columns, all, state), state), caption);
    } catch (error) {
      content.prepend(notice("error", error.message));
    } finally {
      exportButton.disabled = false;
    }
  };
  const sortBy = sortControl(columns, data, caption, state, () => { state.page = 0; draw(); });
  const draw = (focusColumn) => {
    // a sort or a filter on one page of a longer list applies to the whole list
    const wide = list.partial && narrowed(state);
    if (wide && !list.rows) {
      fill(content, h("p", { class: "muted", role: "status" }, `Loading all ${source.count} rows…`));
      list.load().then(
        () => content.isConnected && draw(focusColumn),
        (error) => fill(content, notice("error", error.message)),
      );
      return;
    }
    const shown = list.partial && !wide ? rows : sortRows(columns, filterRows(columns, wide ? list.rows : rows, state), state);
    const paging = !list.partial || wide;
    const pages = Math.max(1, Math.ceil(shown.length / pageSize));
    state.page = Math.min(state.page, pages - 1);
    const paged = paging && shown.length > pageSize ? shown.slice(state.page * pageSize, (state.page + 1) * pageSize) : shown;
    sortBy?.sync();
    fill(
      content,
      shown.length ? tableElement({ columns, rows: paged, caption, rowAttrs, groupBy, state, sortable: data, onSort: (i) => {
        turnSort(state, i);
        state.page = 0;
        draw(i);
      } }) : h("p", { class: "muted empty" }, "No row matches these filters."),
      paging && shown.length > pageSize
        ? pager({ count: shown.length, limit: pageSize, offset: state.page * pageSize, label: `Pages of ${caption || "the table"}`, onPage: (offset) => { state.page = Math.floor(offset / pageSize); draw(); } })
        : null,
      !paging && (source.count > source.limit || source.offset > 0) ? pager(source) : null,
    );
    if (focusColumn !== undefined) content.querySelector(`th[data-column="${focusColumn}"] button`)?.focus();
  };
  draw();
  if (!tools) return content;
  // the BSPs to filter by: the column's own list, else those of the rows (every row's, once the
  // whole list is loaded: asked for when the list of BSPs is opened)
  const bspRows = async (load) => (load && list.partial && !list.rows && !columns.some((c) => c.filter === "bsp" && c.options) ? list.load() : list.rows || rows);
  const filters = tableFilters(columns, bspRows, caption, state, () => { state.page = 0; draw(); });
  return h("div", { class: "data-table" }, filters, h("div", { class: "table-tools" }, sortBy?.element, exportButton), content);
}

/** One page of a list the API pages, and (loaded once, when asked) every row of that list. */
function wholeList(source, rows) {
  const list = { partial: Boolean(source) && source.count > rows.length, rows: null };
  let loading = null;
  list.load = () => {
    loading ||= source.all().then(
      (all) => (list.rows = all),
      (error) => {
        loading = null;
        throw error;
      },
    );
    return loading;
  };
  return list;
}

/** Whether the reader sorted or filtered the table (else a server's page keeps its order). */
function narrowed(state) {
  return state.sort !== null || Boolean(state.from || state.to || state.bsp);
}

/** A header's button: ascending, then descending, then the table's own order again. */
function turnSort(state, column) {
  if (state.sort !== column) Object.assign(state, { sort: column, descending: false });
  else if (!state.descending) state.descending = true;
  else Object.assign(state, { sort: null, descending: false });
}

/** "Sort by", for phones: their tables are cards, without the header row and its buttons. */
function sortControl(columns, data, caption, state, changed) {
  const sortable = columns.map((c, i) => (data[i] && c.sort !== false ? i : null)).filter((i) => i !== null);
  if (!sortable.length) return null;
  const id = uniqueId("sort-by");
  const select = h(
    "select",
    { id, "aria-label": `Sort by: ${caption || "the table"}` },
    h("option", { value: "" }, "The table's own order"),
    sortable.flatMap((i) => [
      h("option", { value: `${i}:asc` }, `${columns[i].label}, ascending`),
      h("option", { value: `${i}:desc` }, `${columns[i].label}, descending`),
    ]),
  );
  select.addEventListener("change", () => {
    const [column, order] = select.value.split(":");
    Object.assign(state, column ? { sort: Number(column), descending: order === "desc" } : { sort: null, descending: false });
    changed();
  });
  const sync = () => {
    select.value = state.sort === null ? "" : `${state.sort}:${state.descending ? "desc" : "asc"}`;
  };
  return { element: h("div", { class: "field sort-by" }, h("label", { for: id }, "Sort by"), select), sync };
}

function tableElement({ columns, rows, caption, rowAttrs, groupBy, state, sortable, onSort }) {
  const row = (item) => h("tr", rowAttrs ? rowAttrs(item) : {}, columns.map((c) => h("td", { "data-label": c.label, class: c.class }, c.cell(item))));
  const groups = new Map();
  if (groupBy) for (const item of rows) groups.set(groupBy.key(item), [...(groups.get(groupBy.key(item)) || []), item]);
  const body = groupBy
    ? [...groups].map(([key, items]) =>
        h("tbody", { class: "group", "data-group": key }, h("tr", { class: "group-row" }, h("th", { scope: "rowgroup", colspan: columns.length }, groupBy.label(key, items))), items.map(row)),
      )
    : h("tbody", {}, rows.map(row));
  const header = (c, i) => {
    if (!sortable[i] || c.sort === false) return h("th", { scope: "col" }, c.label);
    const sorted = state.sort === i;
    const direction = sorted ? (state.descending ? "descending" : "ascending") : null;
    return h(
      "th",
      { scope: "col", "data-column": i, "aria-sort": direction },
      h("button", { type: "button", class: "sort", onclick: () => onSort(i) }, c.label, h("span", { class: "sort-mark", "aria-hidden": "true" }, sorted ? (state.descending ? " ▼" : " ▲") : " ↕")),
    );
  };
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "responsive" },
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, columns.map(header))),
      body,
    ),
  );
}

/** Date range and BSP filters, for a table that has such columns. */
function tableFilters(columns, bspRows, caption, state, changed) {
  const date = columns.find((c) => c.filter === "date");
  const bsp = columns.find((c) => c.filter === "bsp");
  if (!date && !bsp) return null;
  const id = uniqueId("table-filter");
  const control = (name, label, element) => h("div", { class: "field" }, h("label", { for: `${id}-${name}` }, label), element);
  const input = (name) => {
    const element = h("input", { type: "date", id: `${id}-${name}`, value: state[name] });
    element.addEventListener("change", () => { state[name] = element.value; changed(); });
    return element;
  };
  let bspSelect = null;
  if (bsp) {
    bspSelect = h("select", { id: `${id}-bsp` }, h("option", { value: "" }, "Every BSP"), state.bsp ? h("option", { value: state.bsp, selected: true }, state.bsp) : null);
    const fillNames = async (load) => {
      const rows = await bspRows(load).catch(() => []);
      const names = [...new Set([...(bsp.options || []), ...rows.map((row) => cellValue(bsp, row)), state.bsp].filter(Boolean))].sort();
      const known = [...bspSelect.options].slice(1).map((o) => o.value);
      if (names.join("\n") === known.join("\n")) return;
      fill(bspSelect, h("option", { value: "" }, "Every BSP"), names.map((n) => h("option", { value: n, selected: n === state.bsp }, n)));
    };
    fillNames(false);
    bspSelect.addEventListener("focus", () => fillNames(true));
    bspSelect.addEventListener("change", () => { state.bsp = bspSelect.value; changed(); });
  }
  return h(
    "div",
    { class: "table-filters", role: "group", "aria-label": `Filter ${caption || "the table"}` },
    date ? control("from", `${date.label}: from`, input("from")) : null,
    date ? control("to", `${date.label}: to`, input("to")) : null,
    bspSelect ? control("bsp", "BSP", bspSelect) : null,
  );
}

/** Previous / next with "1–10 of 23"; onPage(newOffset). */
export function pager({ count, limit, offset, onPage, label = "Pagination" }) {
  const first = count ? offset + 1 : 0;
  const last = Math.min(offset + limit, count);
  const pages = Math.max(1, Math.ceil(count / limit));
  const page = Math.floor(offset / limit) + 1;
  return h(
    "nav",
    { class: "pager", "aria-label": label },
    h(
      "button",
      { type: "button", disabled: offset <= 0, onclick: () => onPage(Math.max(0, offset - limit)) },
      "‹ Previous",
    ),
    h("span", { class: "pager-status", "aria-live": "polite" }, `${first}–${last} of ${count} · page ${page} of ${pages}`),
    h(
      "button",
      { type: "button", disabled: last >= count, onclick: () => onPage(offset + limit) },
      "Next ›",
    ),
  );
}

// ------------------------------------------------------------------ bulk actions

/**
 * Rows picked for a bulk action (send PODs for validation, confirm trades). The picks live
 * outside the table, so a table redrawn by polling keeps them; `keep(ids)` drops the picks
 * that are no longer eligible.
 */
export function picker() {
  const picked = new Set();
  const listeners = [];
  let every = null; // the "pick all" box of the table drawn last, and the ids it covers
  const boxes = new Map(); // the row boxes drawn last
  const allPicked = (ids) => ids.length > 0 && ids.every((id) => picked.has(id));
  const changed = () => {
    if (every) every.box.checked = allPicked(every.ids);
    for (const [id, box] of boxes) box.checked = picked.has(id);
    listeners.forEach((listener) => listener(picked));
  };
  return {
    picked,
    onChange(listener) {
      listeners.push(listener);
    },
    keep(ids) {
      const eligible = new Set(ids);
      for (const id of [...boxes.keys()]) if (!eligible.has(id)) boxes.delete(id);
      for (const id of [...picked]) if (!eligible.has(id)) picked.delete(id);
      changed();
    },
    /** A checkbox for one row, named by `label`. */
    box(id, label) {
      const box = h("input", {
        type: "checkbox",
        class: "pick",
        "aria-label": label,
        checked: picked.has(id),
        onchange: (event) => {
          if (event.target.checked) picked.add(id);
          else picked.delete(id);
          changed();
        },
      });
      boxes.set(id, box);
      return box;
    },
    /** A labelled checkbox that picks or unpicks every eligible row shown. */
    all(ids, text) {
      const box = h("input", { type: "checkbox", class: "pick", checked: allPicked(ids) });
      box.addEventListener("change", () => {
        for (const id of ids) box.checked ? picked.add(id) : picked.delete(id);
        changed();
      });
      every = { box, ids };
      return h("label", { class: "pick-all" }, box, ` ${text}`);
    },
  };
}

/**
 * Run `action(id)` for every picked id, one at a time (each is its own operation), and report
 * in `status`: how many went through, and each refusal by the row's name.
 */
export async function runBulk({ ids, action, nameOf, status, done }) {
  const failures = [];
  let succeeded = 0;
  for (const id of ids) {
    status.textContent = `${succeeded + failures.length + 1} of ${ids.length}…`;
    try {
      await action(id);
      succeeded += 1;
    } catch (error) {
      failures.push(h("li", {}, h("strong", {}, `${nameOf(id)}: `), error.message));
    }
  }
  fill(
    status,
    succeeded ? h("p", {}, done(succeeded)) : null,
    failures.length ? notice("error", h("p", {}, `${failures.length} refused:`), h("ul", {}, failures)) : null,
  );
}

// ------------------------------------------------------------------ forms

/**
 * One labelled form control. spec: {name, label, type, required, options, value, hint,
 * readonly, placeholder, min, max, step, accept, autocomplete, rows}
 * `name` is the API's field name: the API's errors are matched on it.
 */
export function field(spec, formId) {
  const id = `${formId}-${spec.name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [spec.hint ? hintId : null, errorId].filter(Boolean).join(" ");
  const common = {
    id,
    name: spec.name,
    "data-field": spec.name,
    "aria-describedby": describedBy,
    "aria-required": spec.required ? "true" : null,
    readonly: spec.readonly,
    autocomplete: spec.autocomplete || "off",
  };
  let control;
  if (spec.type === "select") {
    control = h(
      "select",
      common,
      spec.placeholder || !spec.required ? h("option", { value: "" }, spec.placeholder || "—") : null,
      (spec.options || []).map(([value, text]) =>
        h("option", { value, selected: String(spec.value ?? "") === String(value) }, text),
      ),
    );
  } else if (spec.type === "textarea") {
    control = h("textarea", { ...common, rows: spec.rows || 3, placeholder: spec.placeholder }, spec.value ?? "");
  } else {
    const type = { number: "number", datetime: "datetime-local", file: "file", password: "password" }[spec.type] || "text";
    control = h("input", {
      ...common,
      type,
      value: spec.type === "datetime" ? toLocalInput(spec.value) : spec.value,
      placeholder: spec.placeholder,
      min: spec.min,
      max: spec.max,
      step: spec.step ?? (spec.type === "number" ? 1 : null),
      inputmode: spec.type === "number" ? "numeric" : null,
      accept: spec.accept,
      spellcheck: spec.type === "text" ? "false" : null,
    });
  }
  return h(
    "div",
    { class: `field${spec.wide ? " wide" : ""}` },
    h("label", { for: id }, spec.label, spec.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null),
    control,
    spec.hint ? h("p", { class: "hint", id: hintId }, spec.hint) : null,
    h("p", { class: "field-error", id: errorId }),
  );
}

/** Fieldsets of fields: groups = [{legend, fields: [spec]}]. */
export function fieldsets(groups, formId) {
  return groups.map((group) =>
    h(
      "fieldset",
      {},
      h("legend", {}, group.legend),
      group.intro ? h("p", { class: "muted" }, group.intro) : null,
      h("div", { class: "grid" }, group.fields.map((spec) => field(spec, formId))),
    ),
  );
}

/** The values of a form as the API expects them; empty fields are left out. */
export function readForm(form, specs) {
  const body = {};
  for (const spec of specs) {
    if (spec.type === "file" || spec.send === false) continue;
    const control = form.elements.namedItem(spec.name);
    if (!control) continue;
    const raw = control.value.trim();
    if (raw === "") continue;
    let value = raw;
    if (spec.type === "number") value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    else if (spec.type === "datetime") value = fromLocalInput(raw);
    setPath(body, spec.name, value);
  }
  return body;
}

function setPath(target, path, value) {
  const parts = path.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] ||= {};
  node[parts.at(-1)] = value;
}

function pad(number) {
  return String(number).padStart(2, "0");
}

/** ISO text (or a Date) to the value of a datetime-local input, in the browser's time zone. */
export function toLocalInput(value) {
  if (!value) return value;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value to ISO 8601 with the browser's UTC offset. */
export function fromLocalInput(raw) {
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) return raw;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return `${raw.length === 16 ? `${raw}:00` : raw}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function clearErrors(form) {
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  form.querySelector(".form-errors")?.remove();
}

/**
 * Show an ApiError on a form: each error next to the field it names (by the API's camelCase
 * field name), the rest in a summary at the top. Focus moves to the first problem.
 */
export function showErrors(form, error) {
  clearErrors(form);
  const errors = error?.errors?.length ? error.errors : [{ field: null, message: String(error?.message || error) }];
  const unplaced = [];
  const items = [];
  let first = null;
  for (const problem of errors) {
    const control = problem.field ? findControl(form, problem.field) : null;
    if (!control) {
      unplaced.push(problem);
      items.push(h("li", {}, problem.field ? h("strong", {}, `${problem.field}: `) : null, problem.message));
      continue;
    }
    control.setAttribute("aria-invalid", "true");
    const slot = form.querySelector(`#${CSS.escape(control.id)}-error`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent}; ${problem.message}` : problem.message;
    first ||= control;
    // the summary names the field as its label does, and takes you there
    const label = form.querySelector(`label[for="${CSS.escape(control.id)}"]`)?.firstChild?.textContent || problem.field;
    const jump = (event) => {
      event.preventDefault();
      control.focus();
    };
    items.push(h("li", {}, h("a", { href: `#${control.id}`, onclick: jump }, h("strong", {}, label)), `: ${problem.message}`));
  }
  const summary = h(
    "div",
    { class: "form-errors notice notice-error", role: "alert", tabindex: "-1" },
    h("p", {}, errors.length === 1 ? "The API refused this:" : `The API refused this (${errors.length} problems):`),
    h("ul", {}, items),
  );
  const heading = form.querySelector(":scope > h1, :scope > h2, :scope > h3");
  if (heading) heading.after(summary);
  else form.prepend(summary);
  (first || summary).focus?.();
  if (!first) summary.scrollIntoView({ block: "nearest" });
  return unplaced;
}

function findControl(form, fieldName) {
  const exact = form.querySelector(`[data-field="${CSS.escape(fieldName)}"]`);
  if (exact) return exact;
  // "reasons.0" -> "reasons"; "constraints.maxImportKw" stays exact when the form has it
  const head = fieldName.split(".")[0];
  return form.querySelector(`[data-field="${CSS.escape(head)}"]`);
}

/**
 * Disable a form's buttons while `work` runs. A new attempt starts clean: the errors of the
 * previous one are cleared first, so an old error never stays beside a new success.
 */
export async function busy(form, work) {
  clearErrors(form);
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((b) => (b.disabled = true));
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    form.removeAttribute("aria-busy");
  }
}

/** A File as base64 text (the API's documentFile). */
export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
