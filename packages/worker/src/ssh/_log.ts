import type { BottleLogger } from '@bottle/protocol';
import createDebug from 'debug';

const trace = createDebug('bottle:ssh');

export interface SshLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** Debug lines always go to `DEBUG=bottle:ssh`; every level also to the caller's logger when it has it. */
export function sshLog(logger: BottleLogger | undefined, prefix = ''): SshLog {
  const at = (level: 'debug' | 'info' | 'warn') => (message: string) => {
    trace(`${prefix}${message}`);
    logger?.[level]?.(`${prefix}${message}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn') };
}
