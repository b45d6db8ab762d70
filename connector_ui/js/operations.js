// Every write answers 202 with an operation id; the tracker polls GET /operations/{id} until it
// succeeded or failed, shows it in the tray with its transaction hashes, and tells the pages
// (event "cbp:operation") so that they refresh what it changed.

import { operationError } from "./api.js";
import { clear, fill, h, shortHash, shortId, statusBadge } from "./ui.js";

const TERMINAL = new Set(["succeeded", "failed"]);
const KEEP = 8;

/** Human names of operation kinds (unknown kinds show as they are). */
export const KIND_LABELS = {
  "pod.register": "Register POD",
  "pod.update": "Update POD",
  "pod.status": "POD status",
  "device.register": "Register flex device",
  "attachment.create": "Upload attachment",
  "attachment.update": "Update attachment",
  "uvam.register": "Register UVAM",
  "uvam.update": "Update UVAM",
  "uvam.status": "UVAM status",
  "membership.add": "Add POD to UVAM",
  "membership.end": "End relation",
  "connection.set": "Register connection",
  "pod.verify": "TSO verification",
  "pod.validate": "DSO validation",
  "pod.reject": "POD rejection",
  "uvam.qualify": "UVAM qualification",
  "uvam.reject": "UVAM rejection",
  "market.product": "Configure market product",
  "market.admit": "Admit UVAM to the market",
  "market.bids.submit": "Submit bids",
  "market.bids.update": "Update bids",
  "market.bids.withdraw": "Withdraw bids",
  "market.bids.suspend": "Suspend bids",
  "market.bids.expire": "Expire bids",
  "market.dso_check": "DSO check of bids",
  "market.need.publish": "State a need",
  "market.need.clear": "Clear a need",
  "market.activation.send": "Send activation",
  "market.activation.ack": "Acknowledge activation",
  "market.activation.change": "Change activation",
  "market.activation.stop": "Stop activation",
  "market.activation.lapse": "Activation lapsed",
  "market.measurements.commit": "Commit measurements",
  "settlement.record": "Record settlement",
  "settlement.resettle": "Resettle (new version)",
  "settlement.accept": "Accept settlement",
  "settlement.dispute": "Dispute settlement",
  "settlement.confirm": "Confirm settlement",
  "settlement.finalise": "Finalise settlement",
  "statement.record": "Record statement",
  "statement.accept": "Accept statement",
  "statement.dispute": "Dispute statement",
  "correction.record": "Record BRP corrections",
  "p2p.ev.register": "Register EV",
  "p2p.deposit": "P2P deposit",
  "p2p.window.open": "Open trading window",
  "p2p.window.close": "Close trading window",
  "p2p.trades.add": "Add P2P trades",
  "p2p.trades.confirm": "Confirm P2P trades",
  "p2p.trades.reject": "Reject P2P trades",
};

export function kindLabel(kind) {
  return KIND_LABELS[kind] || kind;
}

/**
 * What an operation acts on, for people: its target's name (a POD's code, a UVAM's name, a
 * bid's or activation's UVAM and periods: `targetName`) with a muted short id beside it, the
 * full id in its title; only the short id when the platform has no name; "—" without target.
 */
export function operationTarget(operation) {
  const id = operation.targetId;
  if (!id) return "—";
  const short = h("code", { class: "muted", title: id }, h("span", { class: "visually-hidden" }, "id "), shortId(id));
  if (!operation.targetName) return short;
  return h("span", { class: "op-target" }, h("span", { class: "op-target-name" }, operation.targetName), " ", short);
}

export class OperationTracker {
  constructor(api, tray, list) {
    this.api = api;
    this.tray = tray;
    this.list = list;
    this.items = [];
  }

  /** Follow an accepted write (the 202 body); resolves with the finished operation. */
  track(accepted, label) {
    const item = {
      id: accepted.operationId,
      label: label || kindLabel(accepted.kind),
      operation: { operationId: accepted.operationId, status: accepted.status, kind: accepted.kind, transactionHashes: [] },
      element: null,
    };
    this.items.unshift(item);
    this.items.splice(KEEP).forEach((old) => old.element?.remove());
    this.render(item);
    return this.poll(item);
  }

  /** Send a write and wait for it on chain; throws ApiError if refused now or on chain. */
  async run(label, send) {
    const accepted = await send();
    const operation = await this.track(accepted, label);
    if (operation.status !== "succeeded") throw operationError(operation);
    return { accepted, operation };
  }

  async poll(item) {
    let delay = 250;
    const deadline = Date.now() + 180_000;
    while (!TERMINAL.has(item.operation.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 1.5, 1500);
      try {
        item.operation = await this.api.get(`/operations/${encodeURIComponent(item.id)}`);
      } catch (error) {
        if (error.status === 401) break;
      }
      this.render(item);
    }
    window.dispatchEvent(new CustomEvent("cbp:operation", { detail: item.operation }));
    return item.operation;
  }

  render(item) {
    this.tray.hidden = false;
    const op = item.operation;
    const hashes = op.transactionHashes || [];
    const content = [
      h("span", { class: "op-label" }, item.label),
      statusBadge(op.status),
      hashes.length ? h("span", { class: "op-tx" }, "tx ", shortHash(hashes[0]), hashes.length > 1 ? ` +${hashes.length - 1}` : "") : null,
      op.error ? h("span", { class: "op-error" }, op.error.message || op.error.code) : null,
    ];
    if (!item.element) {
      item.element = h("li", { class: "op", "data-operation": item.id });
      this.list.prepend(item.element);
    }
    item.element.dataset.status = op.status;
    fill(item.element, ...content.filter(Boolean));
  }

  reset() {
    this.items = [];
    clear(this.list);
    this.tray.hidden = true;
  }
}
