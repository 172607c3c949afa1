import type { CliContext } from './_context.js';

/**
 * A progress line on stderr: redrawn in place on a terminal, printed at most every few seconds
 * otherwise so that logs stay readable.
 */
export function progressLine(context: CliContext, { intervalMs = context.isTTY ? 100 : 5_000 } = {}) {
  let last = 0;
  let shown = false;
  return {
    update(text: string, force = false) {
      const now = Date.now();
      if (!force && now - last < intervalMs) return;
      last = now;
      shown = true;
      context.stderr(context.isTTY ? `\r\x1b[2K${text}` : `${text}\n`);
    },
    done() {
      if (shown && context.isTTY) context.stderr('\n');
      shown = false;
    },
  };
}
