import type { Store } from '@bottle/server';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer } from './helpers.js';
import { contractStores } from './stores.js';

const stores = await contractStores();

let t: TestServer | undefined;
const opened: Store[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const store of opened.splice(0)) await store.close();
});

describe.each(stores)('scan objective ($name)', ({ openStore, reopen, startServer }) => {
  const open = async (store?: Store) => {
    const next = store ? await reopen(store) : await openStore();
    opened.push(next);
    return next;
  };

  it('a submit records its scan objective; a later submit without one keeps it, one with one replaces it', async () => {
    let store = await open();
    await store.submit({ scan: 'plain', tasks: specs(1) });
    expect((await store.getScan('plain')).objective).toBeUndefined();

    await store.submit({ scan: 's', objective: { minimize: 'metrics.loss' }, tasks: specs(2) });
    expect((await store.getScan('s')).objective).toEqual({ minimize: 'metrics.loss' });
    await store.submit({ scan: 's', tasks: specs(3) });
    expect((await store.getScan('s')).objective).toEqual({ minimize: 'metrics.loss' });
    // The reduce task and the objective are set apart: naming one leaves the other.
    await store.submit({ scan: 's', reduce: 'examples/dummy.reduce', tasks: specs(1) });
    expect(await store.getScan('s')).toMatchObject({
      objective: { minimize: 'metrics.loss' },
      reduce: 'examples/dummy.reduce',
    });
    await store.submit({ scan: 's', objective: { maximize: 'acc' }, tasks: specs(1) });
    expect(await store.getScan('s')).toMatchObject({
      objective: { maximize: 'acc' },
      reduce: 'examples/dummy.reduce',
    });

    // The tasks' own scan is not the request's: the objective goes to the request's (or the default).
    await store.submit({
      objective: { minimize: 'y' },
      tasks: [{ task: 'examples/dummy', params: { i: 9 }, scan: 'elsewhere' }],
    });
    expect((await store.getScan('default')).objective).toEqual({ minimize: 'y' });
    expect((await store.getScan('elsewhere')).objective).toBeUndefined();

    // It survives a restart, and shows in the list of scans too.
    await store.close();
    opened.splice(opened.indexOf(store), 1);
    store = await open(store);
    const { scans: listed } = await store.listScans();
    expect(listed.find((scan) => scan.name === 's')?.objective).toEqual({ maximize: 'acc' });
    expect(listed.find((scan) => scan.name === 'plain')?.objective).toBeUndefined();
  });

  it('the scan objective travels over the wire; a malformed one is refused and changes nothing', async () => {
    t = await startServer();
    const submitted = await t.call('POST', '/v1/tasks', {
      scan: 'wire',
      objective: { maximize: 'score' },
      tasks: specs(2),
    });
    expect(submitted.status).toBe(200);
    const one = await t.call('GET', '/v1/scans/wire');
    expect(one.body).toMatchObject({ name: 'wire', objective: { maximize: 'score' } });
    for (const objective of [{ minimize: '' }, { minimize: 'a', maximize: 'b' }, { lowest: 'a' }, 'loss']) {
      const refused = await t.call('POST', '/v1/tasks', { scan: 'wire', objective, tasks: specs(1) });
      expect(refused.status).toBe(400);
    }
    expect((await t.call('GET', '/v1/scans/wire')).body.objective).toEqual({ maximize: 'score' });
  });
});
