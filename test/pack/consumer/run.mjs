// The embedded router in the consumer's Express app, a Worker, and 100 tasks.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBottleRouter, SqliteStore } from '@bottle/server';
import { BottleClient, Worker } from '@bottle/worker';
import express from 'express';

const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bottle-pack-db-')), 'queue.db'));
const router = createBottleRouter({ store });
const app = express();
app.use(router);
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${server.address().port}`;
const client = new BottleClient({ server: url });
const tasks = Array.from({ length: 100 }, (_, n) => ({ task: 'tasks.Task', params: { n } }));
await client.submit(tasks, { scan: 'pack' });
const worker = new Worker({ server: url, root: process.cwd(), slots: 4 });
const summary = await worker.run();
let sum = 0;
for await (const task of client.iterateTasks({ scan: 'pack' })) sum += task.result?.double ?? 0;
client.close();
await router.close();
server.close();
await store.close();
// biome-ignore lint/suspicious/noConsole: the test reads what this script prints
console.log(JSON.stringify({ done: summary.done, failed: summary.failed, sum }));
