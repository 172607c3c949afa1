// Type-checked with skipLibCheck: false: the published .d.ts must compile in a consumer's project.
import { exitCodes, main } from '@bottle/cli';
import { DEFAULT_PORT, pset, type TaskInfo, taskKey } from '@bottle/protocol';
import { type BottleRouter, createBottleRouter, SqliteStore } from '@bottle/server';
// The PostgreSQL store's types compile without pg installed (an optional peer dependency).
import type { PostgresStoreOptions } from '@bottle/server/postgres';
import { BottleClient, defineTask, TaskBase, Worker } from '@bottle/worker';
import { resultFormats } from '@bottle/worker/gather';
import type { TunnelOptions } from '@bottle/worker/ssh';
import express from 'express';

const router: BottleRouter = createBottleRouter({ store: new SqliteStore(':memory:') });
// express.Router's own members must survive in BottleRouter's type.
router.get('/extra', (_req, res) => {
  res.json({ port: DEFAULT_PORT });
});
const app = express();
app.use(router);

export class Task extends TaskBase<{ n: number }> {
  run(): { double: number } {
    return { double: this.params.n * 2 };
  }
}
export const task = defineTask({
  run(params: { n: number }) {
    return { n: params.n };
  },
});
export const sweep = pset('n', [1, 2, 3]).named('typed');
export const key: string = taskKey('tasks.Task', { n: 1 });
export const client = new BottleClient({ server: `http://127.0.0.1:${DEFAULT_PORT}` });
export const worker = new Worker({ server: client.url, root: '.', slots: 2 });
export const exit: Promise<number> = main('bottle', ['--version']);
export const codes: number = exitCodes.usage;
export function stateOf(info: TaskInfo): string {
  return `${info.state} ${info.chargedAttempts}/${info.maxAttempts}`;
}
export const postgresOptions: PostgresStoreOptions = { connectionString: 'postgres://db/queue' };
export const tunnelOptions: TunnelOptions = { target: 'lab', localPort: 0 };
export const formats: readonly string[] = resultFormats;
