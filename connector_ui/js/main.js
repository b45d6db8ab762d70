// The dashboard shell: sign-in with the organisation's API token (kept in sessionStorage), the
// navigation built from the page modules that apply to this organisation and whose API exists,
// and a hash router ("#/resources/<id>?status=Open").

import { Api, ApiError, apiPaths } from "./api.js";
import { syncClock } from "./countdown.js";
import { MODULES } from "./modules/index.js";
import { OperationTracker } from "./operations.js";
import { busy, clear, field, fill, h, notice, showErrors } from "./ui.js";

const TOKEN_KEY = "cbp.token";
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const navToggle = document.getElementById("nav-toggle");
const who = document.getElementById("who");
const tray = document.getElementById("tray");
const trayList = document.getElementById("tray-list");

const state = {
  api: null,
  me: null,
  directory: { tso: null, dsos: [] },
  paths: new Set(),
  modules: [],
  tracker: null,
  view: null,
};

// ------------------------------------------------------------------ session

async function signIn(token, { quiet = false } = {}) {
  const api = new Api(token);
  const me = await api.get("/organisations/me");
  sessionStorage.setItem(TOKEN_KEY, token);
  state.api = api;
  state.me = me;
  state.paths = await apiPaths();
  state.directory = await api.get("/ui/directory").catch(() => ({ tso: null, dsos: [] }));
  await followPlatformClock(api);
  state.tracker = new OperationTracker(api, tray, trayList);
  state.modules = MODULES.filter((module) => applies(module));
  document.body.classList.add("signed-in");
  renderChrome();
  if (!quiet && (!location.hash || location.hash === "#/login")) location.hash = "#/home";
  else route();
}

/** Deadlines count down on the platform's clock (see countdown.js); checked on every page. */
function followPlatformClock(api) {
  return api
    .get("/ui/clock")
    .then((clock) => syncClock(clock.now))
    .catch(() => {});
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  leaveView();
  state.api = state.me = null;
  state.tracker?.reset();
  document.body.classList.remove("signed-in");
  clear(nav);
  clear(who);
  nav.hidden = who.hidden = navToggle.hidden = true;
  if (location.hash !== "#/login") history.replaceState(null, "", "#/login");
  renderLogin(message);
}

/** A module shows when the organisation's role is among its roles and its API paths exist. */
function applies(module) {
  const roleOk = !module.roles || module.roles.includes(state.me.role);
  const apiOk = (module.requires || []).every((path) => state.paths.has(path));
  return roleOk && apiOk && (!module.when || module.when(state));
}

// ------------------------------------------------------------------ chrome

function renderChrome() {
  fill(nav, 
    h(
      "ul",
      {},
      state.modules
        .filter((module) => module.nav !== false)
        .map((module) => h("li", {}, h("a", { href: `#/${module.path}`, "data-path": module.path }, module.title))),
    ),
  );
  fill(who, 
    h("span", { class: "who-name" }, state.me.name),
    h("span", { class: "badge role" }, state.me.role),
    h("code", { class: "who-eic", title: "Your EIC" }, state.me.eic),
    h("button", { type: "button", class: "link", onclick: () => signOut("You signed out.") }, "Sign out"),
  );
  nav.hidden = who.hidden = navToggle.hidden = false;
}

navToggle.addEventListener("click", () => {
  const open = navToggle.getAttribute("aria-expanded") !== "true";
  navToggle.setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("nav-open", open);
});

function markCurrent(path) {
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.path === path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  navToggle.setAttribute("aria-expanded", "false");
  document.body.classList.remove("nav-open");
}

function renderLogin(message) {
  document.title = "Sign in · CBP connector";
  const specs = {
    name: "token",
    label: "Organisation API token",
    type: "password",
    required: true,
    hint: "The bearer token issued with `cbp org token` (starts with cbp_). It is kept for this browser tab only.",
    autocomplete: "current-password",
  };
  const form = h(
    "form",
    { class: "card login", novalidate: true, id: "login-form" },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "The connector dashboard of the crowd balancing platform, for TSOs, DSOs, BSPs and auditors."),
    message ? notice("info", message) : null,
    field(specs, "login"),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = form.elements.namedItem("token").value.trim();
    busy(form, async () => {
      try {
        if (!token) throw new ApiError(422, { field: "token", message: "enter your organisation's API token" });
        await signIn(token);
      } catch (error) {
        const body = error.status === 401 ? { field: "token", message: "this token is unknown or revoked" } : error.body;
        showErrors(form, error instanceof ApiError && error.status !== 0 ? new ApiError(error.status, body) : error);
      }
    });
  });
  fill(main, form);
  form.elements.namedItem("token").focus();
}

// ------------------------------------------------------------------ routing

function parseHash() {
  const text = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = text.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(search) };
}

function leaveView() {
  if (!state.view) return;
  state.view.alive = false;
  state.view.timers.forEach((timer) => clearInterval(timer));
  state.view.listeners.forEach(([name, fn]) => window.removeEventListener(name, fn));
  state.view = null;
}

async function route() {
  if (!state.me) {
    renderLogin();
    return;
  }
  const { parts, query } = parseHash();
  const [path = "home", ...params] = parts;
  const module = state.modules.find((m) => m.path === path);
  leaveView();
  const view = { alive: true, timers: [], listeners: [] };
  state.view = view;
  const ctx = {
    api: state.api,
    me: state.me,
    directory: state.directory,
    tracker: state.tracker,
    paths: state.paths,
    modules: state.modules,
    main,
    params,
    query,
    view,
    navigate: (hash) => {
      if (location.hash === hash) route();
      else location.hash = hash;
    },
    rerender: () => view.alive && route(),
    /** setInterval that stops when the page is left. */
    every: (ms, fn) => view.timers.push(setInterval(() => view.alive && fn(), ms)),
    /** Run fn(operation) when any tracked operation finishes, while this page is shown. */
    onOperation: (fn) => {
      const listener = (event) => view.alive && fn(event.detail);
      view.listeners.push(["cbp:operation", listener]);
      window.addEventListener("cbp:operation", listener);
    },
    setTitle: (title) => (document.title = `${title} · CBP connector`),
  };
  markCurrent(module?.path);
  followPlatformClock(state.api);
  if (!module) {
    fill(main, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/home" }, "Back to home")));
    return;
  }
  ctx.setTitle(module.title);
  try {
    await module.render(ctx);
  } catch (error) {
    if (!view.alive) return;
    console.error(error);
    fill(main, h("h1", {}, module.title), notice("error", error.message || String(error)));
  }
  if (view.alive && document.activeElement === document.body) main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", () => route());
window.addEventListener("cbp:unauthorised", () => {
  if (state.me) signOut("Your token is no longer accepted; sign in again.");
});

async function boot() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    signOut();
    return;
  }
  try {
    await signIn(token, { quiet: true });
  } catch {
    signOut("Your session ended; sign in again.");
  }
}

boot();
