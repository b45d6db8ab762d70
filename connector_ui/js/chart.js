// Charts over time, drawn by uPlot (npm "uplot", copied into vendor/ by `make setup`, served
// from this origin). One home for what every chart shares: step lines per 15-minute period,
// nice ticks on the value axis, labels legible on a phone, an HTML legend, and a text
// alternative (the figure is an image named by its title; the tables beside it have the figures).

import uPlot from "../vendor/uPlot.esm.js";
import { h } from "./ui.js";

/** Colours of the series (the legend's swatches use the same, see app.css .series-*). */
const COLOURS = {
  baseline: "#5a6677",
  setpoint: "#0b5cad",
  measured: "#c25e00",
  offered: "#0b5cad",
  awarded: "#1e7b34",
  activated: "#c25e00",
  delivered: "#6b3fa0",
  pods: "#0b5cad",
  uvams: "#1e7b34",
};
const HEIGHT = 300;
const PHONE_WIDTH = 480;

/**
 * Ticks at 1, 2 or 5 times a power of ten covering [min, max] with about `count` intervals:
 * 0, 10, 20, 30 rather than 0, 13.8, 27.6, 41.4.
 */
export function niceTicks(min, max, count = 5) {
  const low = Math.min(0, min);
  const high = max > low ? max : low + 1;
  const rough = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const ticks = [];
  for (let t = Math.floor(low / step) * step; t < high + step - 1e-9; t += step) ticks.push(Number(t.toFixed(10)));
  return ticks;
}

function hhmm(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function dayMonth(seconds) {
  return new Date(seconds * 1000).toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

/**
 * A step chart of power per period. periods: [{start (ISO or unix s), durationS}];
 * series: [{key, label, values: [kW|null], dash?}]; `by: "day"` labels the time axis with
 * dates (periods of a day) instead of times. Returns a <figure>.
 */
export function stepChart({ periods, series, title, unit = "kW", caption, by = "time" }) {
  const starts = periods.map((p) => (typeof p.start === "number" ? p.start : Date.parse(p.start) / 1000));
  const end = starts.at(-1) + (periods.at(-1).durationS || 900);
  // a step line holds each value over its period: the last value is repeated at the end
  const xs = [...starts, end];
  const ys = series.map((line) => [...line.values, line.values.at(-1)]);
  const all = series.flatMap((line) => line.values).filter((v) => v !== null && Number.isFinite(v));
  const ticks = niceTicks(Math.min(0, ...all), Math.max(1, ...all));
  const plot = h("div", { class: "chart-plot" });
  const figure = h(
    "figure",
    { class: "chart", role: "img", "aria-label": title, "data-ticks": ticks.join(",") },
    plot,
    h(
      "ul",
      { class: "chart-legend", "aria-hidden": "true" },
      series.map((line) => h("li", { "data-series": line.key }, h("span", { class: `swatch series-${line.key}${line.dash ? " dashed" : ""}` }), line.label)),
    ),
    caption ? h("figcaption", { class: "muted" }, caption) : null,
  );
  let chart = null;
  const draw = () => {
    const width = Math.max(260, Math.floor(plot.clientWidth || 700));
    const phone = width < PHONE_WIDTH;
    const font = `${phone ? 13 : 12}px system-ui, sans-serif`;
    const axis = { stroke: "#5a6677", font, grid: { stroke: "#d8dee6", width: 1 }, ticks: { stroke: "#d8dee6", width: 1 } };
    const options = {
      width,
      height: phone ? 240 : HEIGHT,
      padding: [12, 28, 0, 0], // room for the last time label
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false }, y: { range: () => [ticks[0], ticks.at(-1)] } },
      axes: [
        // period boundaries, every one or every few so that the labels do not overlap
        { ...axis, splits: () => xs.filter((_, i) => i % Math.ceil((xs.length * 64) / width) === 0), values: (_, splits) => splits.map(by === "day" ? dayMonth : hhmm) },
        { ...axis, label: unit, labelFont: font, size: phone ? 44 : 50, splits: () => ticks, values: (_, splits) => splits.map((v) => String(v)) },
      ],
      series: [
        {},
        ...series.map((line) => ({
          label: line.label,
          stroke: COLOURS[line.key] || "#1b2430",
          width: 3,
          dash: line.dash ? [8, 5] : undefined,
          paths: uPlot.paths.stepped({ align: 1 }),
          points: { show: false },
        })),
      ],
    };
    chart?.destroy();
    chart = new uPlot(options, [xs, ...ys], plot);
  };
  // drawn once the figure is in the page (its width is known), again when the width changes
  const observer = new ResizeObserver(() => {
    if (!plot.isConnected) return observer.disconnect();
    if (chart && chart.width === Math.floor(plot.clientWidth)) return;
    draw();
  });
  observer.observe(plot);
  return figure;
}
