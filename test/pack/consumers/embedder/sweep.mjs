// The 20-task sweep through the libraries: the router in the app under /queue with a token,
// BottleClient to submit and read, a Worker to run; prints what the test checks.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBottleRouter, SqliteStore } from '@bottle/server';
import { BottleClient, Worker } from '@bottle/worker';
import express from 'express';

const token = 'embedded-secret';
const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bottle-embedder-')), 'queue.db'));
const router = createBottleRouter({ store, token });
const app = express();
app.use('/queue', router);
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${server.address().port}/queue`;
const unauthorized = (await fetch(`${url}/tasks`)).status;
const client = new BottleClient({ server: url, token });
await client.submit(
  Array.from({ length: 20 }, (_, n) => ({ task: 'tasks.Task', params: { n } })),
  { scan: 'embedded' },
);
const summary = await new Worker({ server: url, token, root: process.cwd(), slots: 4 }).run();
let sum = 0;
for await (const task of client.iterateTasks({ scan: 'embedded' })) sum += task.result?.double ?? 0;
client.close();
await router.close();
server.close();
await store.close();
// biome-ignore lint/suspicious/noConsole: the test reads what this script prints
console.log(JSON.stringify({ unauthorized, done: summary.done, failed: summary.failed, sum }));
