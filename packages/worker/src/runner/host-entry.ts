/**
 * The entry of a task host (built to dist/host-entry.js): a task process forked by the worker, or a
 * worker thread. It runs every job it is given at once and stays warm between them; events go back
 * batched, once per turn of the event loop. A task's console output goes to its own log files;
 * anything else (a native crash, a write outside any task) reaches the worker through the host's
 * own stdout and stderr.
 */
import { parentPort } from 'node:worker_threads';
import { TaskExecutor } from './execute.js';
import type { FromHost, HostEvent, ToHost } from './messages.js';

const port = parentPort;
const send = (message: FromHost, then?: () => void): void => {
  if (port) {
    port.postMessage(message);
    then?.();
  } else if (process.connected) process.send?.(message, undefined, {}, then);
  else then?.();
};

let pending: HostEvent[] = [];
let flushing = false;
let exiting = false;
function post(event: HostEvent): void {
  // A directory is news the worker needs even if the task then kills its host (process.exit):
  // it goes at once, and only tasks that write pay for the message.
  if (event.t === 'dir') {
    send({ type: 'events', events: [event] });
    return;
  }
  pending.push(event);
  if (flushing) return;
  flushing = true;
  // Every task that ends in this turn goes back in one message.
  setImmediate(flush);
}
function flush(then?: () => void): void {
  flushing = false;
  const events = pending;
  pending = [];
  if (events.length > 0) send({ type: 'events', events }, then);
  else then?.();
}

const executor = new TaskExecutor(post);

function onMessage(message: ToHost): void {
  if (exiting) return;
  if (message.type === 'run') for (const job of message.jobs) executor.run(job);
  else for (const id of message.ids) executor.kill(id);
}

if (port) port.on('message', onMessage);
else {
  process.on('message', onMessage);
  // The worker is gone (killed, crashed): a task process never outlives it.
  process.on('disconnect', () => process.exit(0));
}

function uncaught(error: unknown): void {
  if (exiting) return;
  exiting = true;
  if (executor.size === 0) {
    process.stderr.write(`uncaught error outside a task: ${error instanceof Error ? error.stack : error}\n`);
  }
  executor.failAll(error);
  flush(() => process.exit(70));
}
process.on('uncaughtException', uncaught);
process.on('unhandledRejection', uncaught);
