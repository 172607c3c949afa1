/**
 * The server's log through pino: one line per event, JSON lines for machines or pretty lines for
 * a person at a terminal. `createEventLog` gives both the router's `logger` and its `onEvent`.
 */

import type { Writable } from 'node:stream';
import type { BottleLogger } from '@bottle/protocol';
import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { describeEvent } from './describe.js';
import type { ServerEventListener } from './types.js';

export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
export const logFormats = ['pretty', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];

export interface EventLogOptions {
  /** `json`: one JSON object per line (default); `pretty`: a readable line with time and level. */
  format?: LogFormat;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go (default: standard error). */
  destination?: Writable;
  /** ANSI colours in the pretty format (default: when the destination is a terminal). */
  colorize?: boolean;
}

export interface EventLog {
  logger: BottleLogger;
  onEvent: ServerEventListener;
}

export function createEventLog(options: EventLogOptions = {}): EventLog {
  const { format = 'json', level = 'info', destination = process.stderr } = options;
  if (!(logFormats as readonly string[]).includes(format)) {
    throw new TypeError(`createEventLog: format must be one of ${logFormats.join(', ')}`);
  }
  if (!(logLevels as readonly string[]).includes(level)) {
    throw new TypeError(`createEventLog: level must be one of ${logLevels.join(', ')}`);
  }
  const colorize = options.colorize ?? Boolean((destination as { isTTY?: boolean }).isTTY);
  // pino-pretty's formatter, called in line: its stream form is asynchronous and would reorder
  // lines with the program's own output.
  const prettify =
    format === 'pretty'
      ? prettyFactory({
          colorize,
          ignore: 'pid,hostname,event',
          translateTime: 'SYS:HH:MM:ss',
          singleLine: true,
          hideObject: true,
        })
      : undefined;
  const stream = prettify
    ? {
        write(line: string) {
          const text = prettify(line);
          destination.write(text.endsWith('\n') ? text : `${text}\n`);
        },
      }
    : destination;
  const log = pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return {
    logger: {
      info: (message) => log.info(message),
      warn: (message) => log.warn(message),
      error: (message) => log.error(message),
    },
    onEvent: (event) => {
      const { level: eventLevel, message } = describeEvent(event);
      const { type, ...fields } = event;
      log[eventLevel]({ event: type, ...fields }, message);
    },
  };
}
