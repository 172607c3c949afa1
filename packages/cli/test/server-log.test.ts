/** `bottle-server --log-format json|pretty`: the event log on stderr, the hints on stdout. */
import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene.close();
});

describe('bottle-server event log', () => {
  it('--log-format json writes JSON lines: start with URL and db, a refused token', async () => {
    scene = new Scene();
    const { child, url } = await scene.server(['--log-format', 'json', '--token', 'sesame']);
    expect((await fetch(`${url}/v1/scans`)).status).toBe(401);
    await child.waitForOutput(/token\.refused/);
    const events = child.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(events.find((e) => e.event === 'server.started')).toMatchObject({ url, db: scene.db });
    expect(events.find((e) => e.event === 'token.refused')).toMatchObject({
      path: '/v1/scans',
      reason: 'missing',
    });
    expect(child.stdout).toContain(`npx bottle-worker ${url} -x 4 --token <token>`);
  });

  it('--log-format pretty writes readable lines, and --log-level warn drops info', async () => {
    scene = new Scene();
    const { child, url } = await scene.server([
      '--log-format',
      'pretty',
      '--log-level',
      'warn',
      '--token',
      'x',
    ]);
    await fetch(`${url}/v1/scans`, { headers: { authorization: 'Bearer nope' } });
    await child.waitForOutput(/WARN.*refused GET \/v1\/scans from \S+: wrong token/);
    expect(child.stderr).not.toMatch(/INFO/);
    expect(child.stderr).not.toMatch(/^\{/m);
  });
});
