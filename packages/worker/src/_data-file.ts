/**
 * Files people write by hand, as YAML or JSON by their extension: the command-task file (bottle.yaml)
 * and sweep files. The YAML parser is loaded only when a YAML file is read, so that the light entry
 * `@bottle/worker/task`, imported by every task process, does not pay for it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BottleError, type ErrorCode } from '@bottle/protocol';

const require = createRequire(import.meta.url);

/**
 * The value in `path`: JSON for `.json`, YAML otherwise. A file that cannot be read or parsed is a
 * BottleError with `code`, naming `what` and the file as the user wrote it (`shown`).
 */
export function readDataFile(path: string, code: ErrorCode, what: string, shown = path): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new BottleError(code, `cannot read ${what} ${shown}: ${(cause as Error).message}`, { cause });
  }
  const json = /\.json$/i.test(path);
  try {
    return json ? JSON.parse(text) : (require('yaml') as typeof import('yaml')).parse(text);
  } catch (cause) {
    throw new BottleError(
      code,
      `${shown}: not valid ${json ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}
