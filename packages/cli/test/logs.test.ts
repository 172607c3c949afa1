import { join } from 'node:path';
import { exitCodes, main } from '@bottle/cli';
import { type BottleServer, startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { BottleClient } from '@bottle/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingContext } from './_context.js';

let server: BottleServer;
let client: BottleClient;
let temp: { path: string; remove: () => void };

beforeEach(async () => {
  temp = makeTempDir('bottle-cli-logs-');
  server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db') });
  client = new BottleClient({ server: server.url });
});

afterEach(async () => {
  client.close();
  await server.close();
  temp.remove();
});

describe('bottle logs and bottle workers', () => {
  it('logs prints the tails of an attempt, found by a 12-character prefix', async () => {
    await client.submit([{ task: 'm.Task', params: { n: 1 } }], { scan: 'alpha' });
    const { tasks } = await client.claim({ workerId: 'w1', host: 'box', max: 1, waitMs: 0 });
    const task = tasks[0]!;
    await client.report('w1', [
      {
        outcome: 'done',
        key: task.key,
        leaseToken: task.leaseToken,
        logs: { stdout: 'hello\n', stderr: 'warn' },
      },
    ]);
    const run = recordingContext();
    expect(await main('bottle', ['logs', task.key.slice(0, 12), '--server', server.url], run.context)).toBe(
      0,
    );
    expect(run.stdout).toBe(
      `==> stdout of task ${task.key.slice(0, 12)}, attempt 1 <==\nhello\n` +
        `==> stderr of task ${task.key.slice(0, 12)}, attempt 1 <==\nwarn\n`,
    );
    const missing = recordingContext();
    const code = await main(
      'bottle',
      ['logs', task.key, '--attempt', '2', '--server', server.url],
      missing.context,
    );
    expect(code).toBe(exitCodes.failure);
    expect(missing.stderr).toMatch(/no attempt 2.*ERR_NOT_FOUND/);
  });

  it('workers shows each worker alive', async () => {
    await client.claim({ workerId: 'w1', host: 'box', max: 1, waitMs: 0 });
    const run = recordingContext();
    expect(await main('bottle', ['workers', '--server', server.url], run.context)).toBe(0);
    expect(run.stdout).toMatch(/^worker\s+host\s+state\s+running/);
    expect(run.stdout).toMatch(/w1\s+box\s+alive\s+0/);
  });
});
