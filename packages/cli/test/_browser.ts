/**
 * Debian's chromium, driven by playwright-core, for the dashboard's browser tests. Where it is
 * missing, `chromiumSkipReason` says why and the tests skip.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.BOTTLE_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `dashboard browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set BOTTLE_CHROMIUM)`;
}

/** A headless chromium without the background traffic of a desktop one. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
