// The same project running workers itself, and reading results with the client.
import { isBottleError, type TaskInfo } from '@bottle/protocol';
import { BottleClient, Worker } from '@bottle/worker';

export async function work(server: string): Promise<number> {
  await using client = new BottleClient({ server });
  const worker = new Worker({ server, root: process.cwd(), slots: 2 });
  const summary = await worker.run();
  const states: TaskInfo['state'][] = [];
  for await (const task of client.iterateTasks({ scan: 'lr-sweep' })) states.push(task.state);
  return summary.done + states.length;
}

export function isStale(error: unknown): boolean {
  return isBottleError(error, 'ERR_STALE_LEASE');
}
