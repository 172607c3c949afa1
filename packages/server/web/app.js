// The bottle dashboard: plain DOM, no framework. Every piece of data is set with textContent, never
// parsed as HTML: parameters, results and errors are user data.
import { durationChart, objectiveChart, scatterChart, throughputChart } from './charts.js';
import { bestLine, objectiveField, searchProgress } from './search.js';

const $ = (id) => document.getElementById(id);
const STATES = ['queued', 'running', 'done', 'failed', 'cancelled', 'delivered'];
const PAGE = 50;

/** The data routes, relative to the page so that a mount prefix is kept. */
async function api(path, init = {}) {
  const headers = {
    ...(init.body ? { 'content-type': 'application/json' } : {}),
    'x-bottle-request': 'dashboard',
  };
  const response = await fetch(path, { credentials: 'same-origin', ...init, headers });
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok)
    throw new Error(body?.error ? `${body.error.message} [${body.error.code}]` : `HTTP ${response.status}`);
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) tr.append(cell instanceof Node ? cell : el('td', cell));
  return tr;
}

const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '');
const ago = (ms) => (ms ? `${Math.max(0, Math.round((Date.now() - ms) / 1000))} s ago` : '');
function duration(s) {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

// ------------------------------------------------------------------ scans

let selectedScan = '';
const scanNames = new Set();
/** The objective each scan records (a search's scan), by name. */
const scanObjectives = new Map();

function bar(scan) {
  const div = el('div', undefined, 'bar');
  div.setAttribute('role', 'img');
  div.setAttribute('aria-label', `${scan.counts.done} of ${scan.total} done`);
  for (const state of ['done', 'failed', 'cancelled', 'delivered', 'running', 'queued']) {
    const n = scan.counts[state];
    if (!n || !scan.total) continue;
    const part = el('span', undefined, `s-${state}`);
    part.style.width = `${(100 * n) / scan.total}%`;
    part.title = `${state}: ${n}`;
    div.append(part);
  }
  return div;
}

function rate(scan) {
  if (!scan.recent) return null;
  const window = Math.min(scan.recent.windowMs, Math.max(1000, scan.recent.at - scan.createdAt));
  return (scan.recent.done + scan.recent.failed) / (window / 1000);
}

function renderScans(scans) {
  for (const scan of scans) scanObjectives.set(scan.name, scan.objective);
  const tbody = $('scans').tBodies[0];
  tbody.replaceChildren(
    ...scans.map((scan) => {
      const r = rate(scan);
      const left = scan.counts.queued + scan.counts.running;
      const name = el('td');
      const link = el('a', scan.name);
      link.href = '#';
      link.addEventListener('click', (event) => {
        event.preventDefault();
        selectScan(scan.name);
      });
      name.append(link);
      const progress = el('td');
      progress.append(
        bar(scan),
        el('small', ` ${Math.floor((100 * scan.counts.done) / (scan.total || 1))}% done`),
      );
      const actions = el('td');
      const cancel = el('button', 'cancel');
      cancel.addEventListener('click', () => act(`v1/scans/${encodeURIComponent(scan.name)}/cancel`));
      const rerun = el('button', 'rerun failed');
      rerun.addEventListener('click', () =>
        act(`v1/scans/${encodeURIComponent(scan.name)}/rerun`, { only: 'failed' }),
      );
      actions.append(cancel, rerun);
      const tr = row([
        name,
        progress,
        scan.counts.done,
        scan.counts.failed,
        scan.counts.running,
        scan.counts.queued,
        scan.counts.cancelled,
        r === null ? '' : `${(r * 60).toFixed(1)}/min`,
        left === 0 ? 'finished' : r ? duration(left / r) : '?',
        time(scan.createdAt),
        actions,
      ]);
      tr.dataset.scan = scan.name;
      return tr;
    }),
  );
  const select = $('f-scan');
  for (const scan of scans) {
    if (scanNames.has(scan.name)) continue;
    scanNames.add(scan.name);
    select.append(new Option(scan.name, scan.name));
  }
  if (!selectedScan && scans.length > 0) selectScan(scans[scans.length - 1].name);
}

async function act(path, body = {}) {
  try {
    await api(path, { method: 'POST', body: JSON.stringify(body) });
  } catch (error) {
    alert(error.message);
  }
  loadTasks();
  if (openKey) showTask(openKey);
}

// ------------------------------------------------------------------ charts

let chartsAt = 0;
async function selectScan(name) {
  selectedScan = name;
  $('chart-scan').textContent = name;
  chartsAt = 0;
  await refreshCharts();
}

async function refreshCharts() {
  if (!selectedScan || Date.now() - chartsAt < 5000) return;
  chartsAt = Date.now();
  const scan = encodeURIComponent(selectedScan);
  const activity = await api(`v1/scans/${scan}/activity`);
  throughputChart($('throughput'), activity.minutes);
  durationChart($('durations'), activity.durations);
  const { tasks } = await api(`v1/tasks?scan=${scan}&state=done&limit=2000`);
  const objective = scanObjectives.get(selectedScan);
  $('search-best').hidden = !objective;
  $('objective-figure').hidden = !objective;
  scatterProposed = [];
  if (objective) {
    const progress = searchProgress(tasks, objective);
    $('search-best').textContent = bestLine(objective, progress);
    objectiveChart($('objective'), progress.steps, objectiveField(objective).field);
    // The sets the search proposed that have no result yet, for the scatter to mark.
    for (const state of ['running', 'queued']) {
      const page = await api(`v1/tasks?scan=${scan}&state=${state}&limit=1000`);
      scatterProposed.push(...page.tasks);
    }
  }
  drawScatter(tasks);
}

let scatterTasks = [];
let scatterProposed = [];
/** The numeric fields of these objects, the most varied first (a constant is a poor axis). */
function numericFields(objects) {
  const values = new Map();
  for (const object of objects) {
    if (object && typeof object === 'object' && !Array.isArray(object)) {
      for (const [key, value] of Object.entries(object)) {
        if (typeof value !== 'number') continue;
        if (!values.has(key)) values.set(key, new Set());
        values.get(key).add(value);
      }
    }
  }
  return [...values.keys()].sort((a, b) => values.get(b).size - values.get(a).size || a.localeCompare(b));
}

function fillSelect(select, fields) {
  const keep = select.value;
  select.replaceChildren(...fields.map((field) => new Option(field, field)));
  if (fields.includes(keep)) select.value = keep;
}

function drawScatter(tasks) {
  scatterTasks = tasks;
  fillSelect($('scatter-x'), numericFields(tasks.map((t) => t.params)));
  fillSelect($('scatter-y'), numericFields(tasks.map((t) => t.result)));
  const x = $('scatter-x').value;
  const y = $('scatter-y').value;
  if (!x || !y) {
    $('scatter').textContent = 'needs done tasks whose results are JSON objects with numbers';
    return;
  }
  const points = tasks
    .filter((t) => typeof t.params?.[x] === 'number' && typeof t.result?.[y] === 'number')
    .map((t) => [t.params[x], t.result[y]]);
  const proposed = scatterProposed.map((t) => t.params?.[x]).filter((v) => typeof v === 'number');
  scatterChart($('scatter'), points, x, y, proposed);
}

// ------------------------------------------------------------------ tasks

const cursors = [undefined];
let pageIndex = 0;

function taskQuery() {
  const query = new URLSearchParams({ limit: String(PAGE) });
  for (const [name, id] of [
    ['scan', 'f-scan'],
    ['state', 'f-state'],
    ['worker', 'f-worker'],
    ['key', 'f-key'],
    ['q', 'f-q'],
  ]) {
    const value = $(id).value.trim();
    if (value) query.set(name, name === 'key' ? value.toLowerCase() : value);
  }
  const cursor = cursors[pageIndex];
  if (cursor) query.set('cursor', cursor);
  return query;
}

let loading = false;
async function loadTasks() {
  if (loading) return;
  loading = true;
  try {
    const { tasks, nextCursor } = await api(`v1/tasks?${taskQuery()}`);
    cursors[pageIndex + 1] = nextCursor ?? undefined;
    $('next').disabled = !nextCursor;
    $('page').textContent = `page ${pageIndex + 1}`;
    $('tasks').tBodies[0].replaceChildren(
      ...tasks.map((task) => {
        const params = el('td', JSON.stringify(task.params), 'params');
        params.title = JSON.stringify(task.params);
        const tr = row([
          el('td', task.key.slice(0, 12), 'key'),
          task.scan,
          el('td', task.unfit ? `${task.state} (no worker fits)` : task.state, `state s-text-${task.state}`),
          params,
          task.workerId ?? '',
          task.attempts,
          time(task.updatedAt),
        ]);
        tr.className = 'task';
        tr.dataset.key = task.key;
        tr.addEventListener('click', () => showTask(task.key));
        return tr;
      }),
    );
  } catch (error) {
    $('page').textContent = error.message;
  } finally {
    loading = false;
  }
}

// ------------------------------------------------------------------ one task

let openKey = '';
async function showTask(key, attempt) {
  openKey = key;
  const { task, attempts } = await api(`v1/tasks/${key}`);
  $('detail').hidden = false;
  $('d-key').textContent = task.key;
  $('d-state').textContent = task.state;
  $('d-scan').textContent = task.scan;
  $('d-task').textContent = task.task;
  $('d-priority').textContent = String(task.priority ?? 0);
  $('d-needs').textContent =
    needsText(task.resources, task.needs) + (task.unfit ? ' (no worker heard from lately fits)' : '');
  $('d-params').textContent = JSON.stringify(task.params, null, 2);
  $('d-result').textContent = task.result === null ? '' : JSON.stringify(task.result, null, 2);
  $('d-error').textContent = task.error ?? '';
  $('d-cancel').disabled = !['queued', 'running'].includes(task.state);
  $('d-rerun').disabled = ['queued', 'running'].includes(task.state);
  $('d-attempts').tBodies[0].replaceChildren(
    ...attempts.map((a) => {
      const logs = el('button', 'logs');
      logs.addEventListener('click', () => showTask(key, a.attempt));
      const cell = el('td');
      cell.append(logs);
      return row([
        a.attempt,
        a.workerId,
        a.host,
        a.outcome,
        time(a.startedAt),
        time(a.endedAt),
        a.error ?? '',
        cell,
      ]);
    }),
  );
  if (task.attempts === 0) {
    $('d-log-attempt').textContent = '(none yet)';
    $('d-stdout').textContent = '';
    $('d-stderr').textContent = '';
    return;
  }
  const logs = await api(`v1/tasks/${key}/logs${attempt ? `?attempt=${attempt}` : ''}`);
  $('d-log-attempt').textContent = String(logs.attempt);
  $('d-stdout').textContent = logs.stdout;
  $('d-stderr').textContent = logs.stderr;
}

// ------------------------------------------------------------------ workers

const GIB = 1024 ** 3;

/** What a task asks or a worker has: `gpus=2 memory=16GiB cuda12` (see docs/resources.md). */
function needsText(resources, labels) {
  const amounts = Object.entries(resources ?? {}).map(([name, amount]) =>
    name === 'memory' && amount >= GIB / 10
      ? `memory=${Number((amount / GIB).toFixed(1))}GiB`
      : `${name}=${amount}`,
  );
  return [...amounts, ...(labels ?? [])].join(' ');
}

function renderWorkers(workers) {
  $('workers').tBodies[0].replaceChildren(
    ...workers.map((w) =>
      row([
        w.workerId,
        w.host,
        el('td', w.state ?? '', `state w-${w.state}`),
        w.running,
        ago(w.lastSeen),
        time(w.firstSeen),
        needsText(w.resources, w.labels),
      ]),
    ),
  );
}

// ------------------------------------------------------------------ Slurm allocator

/** Shown only when the server runs an allocator (bottle-server --slurm-alloc). */
function renderAllocation(allocation) {
  $('allocation').hidden = !allocation;
  if (!allocation) return;
  $('alloc-at').textContent = time(allocation.decision.at);
  $('alloc-reason').textContent = allocation.decision.reason;
  $('alloc-jobs').tBodies[0].replaceChildren(
    ...allocation.jobs.map((job) => {
      const states = [
        ...(job.running ? [`${job.running} running`] : []),
        ...(job.pending ? [`${job.pending} pending`] : []),
      ];
      const tr = row([
        job.jobId,
        job.workers,
        el('td', states.join(', ') || 'not in the queue', 'state'),
        time(job.submittedAt),
      ]);
      tr.dataset.job = job.jobId;
      return tr;
    }),
  );
}

// ------------------------------------------------------------------ live

let tasksAt = 0;
function connect() {
  const source = new EventSource('v1/events');
  source.addEventListener('open', () => {
    $('live').textContent = 'live';
    $('live').classList.remove('off');
  });
  source.addEventListener('progress', (event) => {
    const snapshot = JSON.parse(event.data);
    renderScans(snapshot.scans);
    renderWorkers(snapshot.workers);
    renderAllocation(snapshot.allocation);
    refreshCharts().catch(() => {});
    // The table follows at a gentler pace than the bars.
    if (Date.now() - tasksAt > 2000) {
      tasksAt = Date.now();
      loadTasks();
      if (openKey) showTask(openKey).catch(() => {});
    }
  });
  source.addEventListener('error', async () => {
    $('live').textContent = 'reconnecting';
    $('live').classList.add('off');
    const session = await api('dashboard/session').catch(() => null);
    if (session && !session.authenticated) {
      source.close();
      showLogin();
    }
  });
}

function showLogin() {
  $('app').hidden = true;
  $('login').hidden = false;
  $('token').focus();
}

async function start() {
  const session = await api('dashboard/session');
  if (!session.authenticated) return showLogin();
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = !session.tokenRequired;
  loadTasks();
  connect();
}

for (const state of STATES) $('f-state').append(new Option(state, state));
$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  cursors.length = 1;
  pageIndex = 0;
  loadTasks();
});
$('next').addEventListener('click', () => {
  pageIndex++;
  loadTasks();
});
$('first').addEventListener('click', () => {
  pageIndex = 0;
  loadTasks();
});
$('d-close').addEventListener('click', () => {
  openKey = '';
  $('detail').hidden = true;
});
$('d-cancel').addEventListener('click', () => act(`v1/tasks/${openKey}/cancel`));
$('d-rerun').addEventListener('click', () => act(`v1/tasks/${openKey}/rerun`));
$('scatter-x').addEventListener('change', () => drawScatter(scatterTasks));
$('scatter-y').addEventListener('change', () => drawScatter(scatterTasks));
$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('dashboard/login', { method: 'POST', body: JSON.stringify({ token: $('token').value }) });
    $('login-error').textContent = '';
    await start();
  } catch (error) {
    $('login-error').textContent = error.message;
  }
});
$('logout').addEventListener('click', async () => {
  await api('dashboard/logout', { method: 'POST' });
  location.reload();
});
start();
