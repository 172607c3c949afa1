// A worker in its own process, for the crash test: `node --import jiti/register _worker-process.ts URL ROOT SLOTS`.
// biome-ignore-all lint/suspicious/noConsole: it reports to the test through its stdout
import { Worker } from '../src/index.js';

const [server, root, slots] = process.argv.slice(2);
const worker = new Worker({ server, root, slots: Number(slots ?? 1) });
worker.on('task.started', (task) => console.log(`started ${task.key}`));
worker.on('task.done', (task) => console.log(`done ${task.key}`));
const summary = await worker.run();
console.log(`summary ${JSON.stringify(summary)}`);
