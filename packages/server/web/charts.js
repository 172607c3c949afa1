// The dashboard's three pictures, drawn by uPlot: throughput over time, a histogram of durations,
// and a scatter of a result field against a parameter.
import uPlot from './uplot.js';

const WIDTH = 420;
const HEIGHT = 220;

function replace(holder, opts, data) {
  holder.chart?.destroy();
  holder.textContent = '';
  holder.chart = new uPlot({ width: WIDTH, height: HEIGHT, ...opts }, data, holder);
}

/** minutes: [{ minute, done, failed }] (minute = epoch ms / 60000). */
export function throughputChart(holder, minutes) {
  const xs = minutes.map((m) => m.minute * 60);
  replace(
    holder,
    {
      series: [
        {},
        { label: 'done', stroke: '#2a9d4b', width: 2 },
        { label: 'failed', stroke: '#d1342f', width: 2 },
      ],
      // One minute alone would stretch the time axis over years.
      scales: { x: { range: (_u, min, max) => (max - min < 600 ? [max - 600, max + 60] : [min, max]) } },
      axes: [{}, { label: 'tasks / min' }],
    },
    [xs, minutes.map((m) => m.done), minutes.map((m) => m.failed)],
  );
}

/** durations: [{ bucket, n }], bucket b holding durations below 2^b ms. */
export function durationChart(holder, durations) {
  const label = (b) => {
    const ms = 2 ** b;
    return ms < 1000
      ? `${ms} ms`
      : ms < 120_000
        ? `${Math.round(ms / 1000)} s`
        : `${Math.round(ms / 60_000)} min`;
  };
  const buckets = durations.map((d) => d.bucket);
  replace(
    holder,
    {
      scales: { x: { time: false } },
      series: [
        {},
        { label: 'tasks', fill: '#5b8def88', stroke: '#5b8def', paths: uPlot.paths.bars({ size: [0.9] }) },
      ],
      axes: [{ values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? `< ${label(t)}` : '')) }, {}],
    },
    [buckets, durations.map((d) => d.n)],
  );
}

/** points: [[x, y]], sorted by x. */
export function scatterChart(holder, points, xName, yName) {
  points.sort((a, b) => a[0] - b[0]);
  replace(
    holder,
    {
      mode: 1,
      scales: { x: { time: false } },
      series: [
        { label: xName },
        { label: yName, stroke: '#234', paths: () => null, points: { show: true, size: 6, fill: '#2348' } },
      ],
      axes: [{ label: xName }, { label: yName }],
    },
    [points.map((p) => p[0]), points.map((p) => p[1])],
  );
}
