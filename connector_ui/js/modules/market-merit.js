// The merit order of a cleared need (TSO and auditor): per period, the bids in the order the
// clearing took them, with what each offered and was awarded, cleared again from the need's
// stored inputs (GET /ui/market/needs/{id}/merit-order), and whether that rerun reproduces the
// result hash on record.

import { fill, formatDate, h, notice, onClock, section, shortHash, shortId, table } from "../ui.js";

function meritSection(need, order) {
  const name = `need ${shortId(need.id)}`;
  return section(
    `Merit order of ${name}`,
    order.reproduced
      ? notice("success", "Cleared again from its stored inputs: the same result, hash ", shortHash(order.resultHash), ".")
      : notice("error", "Cleared again from its stored inputs, the result differs from the one on record."),
    h("p", { class: "muted" }, `Pricing ${order.pricing}; bids in order of price, then time priority, then bid id.${order.priceLimit ? ` Price limit ${order.priceLimit} EUR/MWh.` : ""}`),
    order.aboveLimit.length ? h("p", {}, `${order.aboveLimit.length} bid(s) above the price limit took no part.`) : null,
    order.periods.map((period) =>
      h(
        "div",
        { class: "merit-period" },
        h("h3", {}, `${onClock("Period from", "platform")} ${formatDate(period.periodStart)}: ${period.awardedKw} of ${period.neededKw} kW awarded`, period.clearingPrice ? `, clearing price ${period.clearingPrice} EUR/MWh` : ""),
        table({
          caption: `Merit order of ${name}, period from ${formatDate(period.periodStart)}`,
          empty: "No bid offered in this period.",
          rows: period.bids,
          rowAttrs: (b) => ({ "data-bid": b.bidId }),
          columns: [
            { label: "Rank", cell: (b) => String(b.rank), class: "num" },
            { label: "Price (EUR/MWh)", cell: (b) => b.price, class: "num" },
            { label: "Offered (kW)", cell: (b) => String(b.offeredKw), class: "num" },
            { label: "Awarded (kW)", cell: (b) => String(b.awardedKw), class: "num" },
            { label: "BSP", filter: "bsp", cell: (b) => b.bspName || "—" },
            { label: "UVAM", cell: (b) => b.uvamName || "—" },
            { label: "Bid", cell: (b) => h("code", { title: b.bidId }, shortId(b.bidId)) },
          ],
        }),
      ),
    ),
  );
}

/** A button in the need's row that shows its merit order in `area`. */
export function meritOrderButton(ctx, need, area) {
  const name = `need ${shortId(need.id)}`;
  return h(
    "button",
    {
      type: "button",
      class: "small",
      "aria-label": `Merit order of ${name}`,
      onclick: async () => {
        try {
          const order = await ctx.api.get(`/ui/market/needs/${encodeURIComponent(need.id)}/merit-order`);
          fill(area, meritSection(need, order));
        } catch (error) {
          fill(area, notice("error", error.message));
        }
        area.querySelector("h2")?.setAttribute("tabindex", "-1");
        area.querySelector("h2")?.focus();
      },
    },
    "Merit order",
  );
}
