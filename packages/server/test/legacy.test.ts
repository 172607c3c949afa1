import { connect } from 'node:net';
import { ManualClock } from '@bottle/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

const postForm = (fields: Record<string, string>) =>
  t.call('POST', '/tasks', undefined, {
    raw: new URLSearchParams(fields).toString(),
    contentType: 'application/x-www-form-urlencoded',
  });

const stores = await contractStores();

describe.each(stores)('legacy routes of the 2013 worker ($name)', ({ startServer }) => {
  const clock = new ManualClock();
  beforeEach(async () => {
    t = await startServer({ leaseMs: 300, heartbeatMs: 100, expiryCheckMs: 50, clock });
  });

  it('takes tasks as a form field and hands them out as {params, class_path}, once', async () => {
    const posted = await postForm({
      data: JSON.stringify([
        { params: { a: 1 }, class_path: 'sims.Run' },
        { params: { a: 2 }, class_path: 'sims.Run' },
        { b: 3 },
      ]),
    });
    expect(posted).toEqual({ status: 200, body: { created: 3, existing: 0, requeued: 0 } });
    expect((await t.call('GET', '/tasks')).body).toEqual([
      { params: { a: 1 }, class_path: 'sims.Run' },
      { params: { a: 2 }, class_path: 'sims.Run' },
      { params: { b: 3 }, class_path: 'legacy' },
    ]);

    const first = await t.call('GET', '/task');
    expect(first.body).toEqual({ params: { a: 1 }, class_path: 'sims.Run' });
    expect((await t.call('GET', '/tasks')).body).toHaveLength(2);
    expect((await t.call('GET', '/alltasks')).body).toHaveLength(3);

    const listed = (await t.call('GET', '/v1/tasks?state=delivered')).body.tasks;
    expect(listed).toEqual([
      expect.objectContaining({ task: 'sims.Run', params: { a: 1 }, state: 'delivered' }),
    ]);
    const detail = (await t.call('GET', `/v1/tasks/${listed[0].key}`)).body;
    expect(detail.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'delivered',
        workerId: expect.stringMatching(/^legacy@/),
      }),
    ]);

    // Past several lease lengths, a delivered task is not handed out again.
    clock.advance(700);
    expect((await t.call('GET', '/task')).body).toEqual({ params: { a: 2 }, class_path: 'sims.Run' });
    expect((await t.call('GET', '/task')).body).toEqual({ params: { b: 3 }, class_path: 'legacy' });
    expect((await t.call('GET', '/task')).body).toEqual([]);

    // And it can be rerun like any other.
    expect((await t.call('POST', `/v1/tasks/${listed[0].key}/rerun`)).body.state).toBe('queued');
    expect((await t.call('GET', '/task')).body).toEqual({ params: { a: 1 }, class_path: 'sims.Run' });
  });

  it('refuses a form without a JSON list in data with 400', async () => {
    const reply = await postForm({ data: 'not json' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toMatch(/^data: /);
    expect((await postForm({ other: '1' })).status).toBe(400);
    expect((await t.call('GET', '/alltasks')).body).toEqual([]);
  });
});

/** Sends `request` byte for byte on a fresh connection, as the original client did; returns the reply. */
async function replay(request: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(t.url);
  const socket = connect(Number(port), '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(Buffer.from(request.replaceAll('PORT', port), 'utf8'));
  await new Promise((resolve) => socket.once('close', resolve));
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', ...rest] = text.split('\r\n\r\n');
  let body = rest.join('\r\n\r\n');
  // Chunked replies: one chunk with its size line, then the empty last chunk.
  if (/transfer-encoding: chunked/i.test(head)) body = body.split('\r\n')[1] ?? '';
  return { status: Number(head.split(' ')[1]), headers: head, body };
}

/** The requests of the 2013 client (Python 2, urllib2), as it put them on the wire. */
const ORIGINAL = {
  // webtask.py --post: a form body under a JSON Content-type (the original server read any body as a form).
  post: (body: string) =>
    'POST /tasks HTTP/1.1\r\nAccept-Encoding: identity\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\nHost: 127.0.0.1:PORT\r\n` +
    'Content-type: application/json\r\nConnection: close\r\nUser-Agent: Python-urllib/2.7\r\n\r\n' +
    body,
  get: (path: string) =>
    `GET ${path} HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: 127.0.0.1:PORT\r\n` +
    'Connection: close\r\nUser-Agent: Python-urllib/2.7\r\n\r\n',
};

describe.each(stores)("the original client's exact requests ($name)", ({ startServer }) => {
  beforeEach(async () => {
    t = await startServer();
  });

  it('submit (form under a JSON Content-type), claim, upload and listing work as with the original server', async () => {
    // urllib.urlencode({'data': json.dumps(tasks)}) of two {params, class_path}, one with a non-ASCII value.
    const body =
      'data=%5B%7B%22params%22%3A+%7B%22a%22%3A+1%2C+%22name%22%3A+%22x+y%22%7D%2C+%22class_path%22%3A+%22sims.Run%22%7D%2C+' +
      '%7B%22params%22%3A+%7B%22a%22%3A+2%2C+%22name%22%3A+%22%5Cu00e9%22%7D%2C+%22class_path%22%3A+%22sims.Run%22%7D%5D';
    const posted = await replay(ORIGINAL.post(body));
    expect(posted.status).toBe(200);
    expect(JSON.parse(posted.body)).toEqual({ created: 2, existing: 0, requeued: 0 });

    const listed = await replay(ORIGINAL.get('/tasks'));
    expect(JSON.parse(listed.body)).toEqual([
      { params: { a: 1, name: 'x y' }, class_path: 'sims.Run' },
      { params: { a: 2, name: 'é' }, class_path: 'sims.Run' },
    ]);

    // The worker's loop: GET /task, run it, then GET /upload and json.loads(body)['url'].
    const claimed = await replay(ORIGINAL.get('/task'));
    expect(JSON.parse(claimed.body)).toEqual({ params: { a: 1, name: 'x y' }, class_path: 'sims.Run' });
    const upload = await replay(ORIGINAL.get('/upload'));
    expect(upload.status).toBe(200);
    expect(JSON.parse(upload.body)).toEqual({ url: '' });

    expect(JSON.parse((await replay(ORIGINAL.get('/alltasks'))).body)).toHaveLength(2);
    expect(JSON.parse((await replay(ORIGINAL.get('/tasks'))).body)).toEqual([
      { params: { a: 2, name: 'é' }, class_path: 'sims.Run' },
    ]);
  });

  it('still refuses a JSON body that is not JSON, with 400', async () => {
    const reply = await replay(ORIGINAL.post('{"data": [1,'));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/body: not valid JSON/);
  });
});
