// The dashboard's pictures, drawn by uPlot: throughput over time, a histogram of durations, a
// scatter of a result field against a parameter, and a search's objective over time.
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

/**
 * points: [[x, y]] of done tasks. proposed: the x of each set a search proposed that has no result
 * yet (queued or running), marked along the bottom of the plot, where the search is looking now.
 */
export function scatterChart(holder, points, xName, yName, proposed = []) {
  const bottom = points.length > 0 ? Math.min(...points.map((p) => p[1])) : 0;
  const rows = [...points.map(([x, y]) => [x, y, null]), ...proposed.map((x) => [x, null, bottom])];
  rows.sort((a, b) => a[0] - b[0]);
  const series = [
    { label: xName },
    { label: yName, stroke: '#234', paths: () => null, points: { show: true, size: 6, fill: '#2348' } },
  ];
  const data = [rows.map((r) => r[0]), rows.map((r) => r[1])];
  if (proposed.length > 0) {
    series.push({
      label: 'proposed, no result yet',
      stroke: '#e07b00',
      paths: () => null,
      points: { show: true, size: 9, fill: '#e07b00aa' },
    });
    data.push(rows.map((r) => r[2]));
  }
  replace(
    holder,
    { mode: 1, scales: { x: { time: false } }, series, axes: [{ label: xName }, { label: yName }] },
    data,
  );
}

/** steps: [{ value, best }] of a search's done tasks in finishing order: each value, and the best so far. */
export function objectiveChart(holder, steps, field) {
  replace(
    holder,
    {
      scales: { x: { time: false } },
      series: [
        { label: 'task' },
        { label: field, stroke: '#234', paths: () => null, points: { show: true, size: 5, fill: '#2348' } },
        { label: 'best so far', stroke: '#2a9d4b', width: 2 },
      ],
      axes: [{ label: 'tasks done, in finishing order' }, { label: field }],
    },
    [steps.map((_s, i) => i + 1), steps.map((s) => s.value), steps.map((s) => s.best)],
  );
}
