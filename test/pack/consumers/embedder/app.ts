// An embedder: the router in its own Express app, a store it opens, a worker beside it.
import { type BottleRouter, createBottleRouter, SqliteStore, startBottleServer } from '@bottle/server';
// The PostgreSQL store's types compile without pg installed (an optional peer dependency).
import type { PostgresStoreOptions } from '@bottle/server/postgres';
import { Worker } from '@bottle/worker';
import { resultFormats } from '@bottle/worker/gather';
import type { TunnelOptions } from '@bottle/worker/ssh';
import express from 'express';

export function mount(file: string): { app: express.Express; router: BottleRouter } {
  const router = createBottleRouter({ store: new SqliteStore(file), token: 'secret' });
  // express.Router's own members survive in BottleRouter's type.
  router.get('/extra', (_req, res) => {
    res.json({ ok: true });
  });
  const app = express();
  app.use('/queue', router);
  return { app, router };
}

export async function standalone(): Promise<number> {
  const server = await startBottleServer({ port: 0, db: ':memory:' });
  const worker = new Worker({ server: server.url, root: '.', slots: 1 });
  const summary = await worker.run();
  await server.close();
  return summary.done;
}

export const postgresOptions: PostgresStoreOptions = { connectionString: 'postgres://db/queue' };
export const tunnelOptions: TunnelOptions = { target: 'lab', localPort: 0 };
export const formats: readonly string[] = resultFormats;
