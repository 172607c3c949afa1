/**
 * Loads a task module: `.ts`/`.mts` through jiti (TypeScript at run time, no build step),
 * `.js`/`.mjs` through Node's own `import()`; either way `@bottle/*` resolves to this worker's own files.
 */
import { pathToFileURL } from 'node:url';
import { BottleError } from '@bottle/protocol';
import type { Jiti } from 'jiti';
import { bottleAliases, registerBottleAliases } from './_bottle-aliases.js';
import { type ResolvedModuleSpec, resolveModuleSpec } from './module-spec.js';

/** A module spec resolved and imported, with the named export picked out. */
export interface LoadedTaskModule {
  resolved: ResolvedModuleSpec;
  /** The module's namespace object. */
  exports: Record<string, unknown>;
  /** The value of the named export. */
  value: unknown;
}

let jiti: Jiti | undefined;

/** Imports a module file (absolute path): TypeScript through jiti, JavaScript natively. */
export async function importModuleFile(file: string): Promise<Record<string, unknown>> {
  if (/\.m?ts$/.test(file)) {
    // jiti is imported only here, so that a JavaScript module or a scan of one never loads it.
    if (!jiti) {
      const { createJiti } = await import('jiti');
      jiti ??= createJiti(import.meta.url, { moduleCache: true, alias: bottleAliases() });
    }
    return (await jiti.import(file)) as Record<string, unknown>;
  }
  registerBottleAliases();
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/**
 * Resolves `spec` (`path/to/module.exportName`) inside `root`, imports it and returns the export.
 *
 * @throws BottleError `ERR_MODULE_OUTSIDE_ROOT`, `ERR_MODULE_NOT_FOUND` (see {@link resolveModuleSpec}),
 *   `ERR_BAD_TASK_MODULE` when the module throws while loading, `ERR_EXPORT_NOT_FOUND` (listing the
 *   module's exports) when it has no such export.
 */
export async function loadTaskModule(
  spec: string | ResolvedModuleSpec,
  root: string = process.cwd(),
): Promise<LoadedTaskModule> {
  const resolved = typeof spec === 'string' ? resolveModuleSpec(spec, root) : spec;
  let exports: Record<string, unknown>;
  try {
    exports = await importModuleFile(resolved.file);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new BottleError(
      'ERR_BAD_TASK_MODULE',
      `task module ${resolved.module} (${resolved.file}) failed to load: ${why}`,
      { cause },
    );
  }
  const names = exportNames(exports);
  if (!names.includes(resolved.exportName)) {
    throw new BottleError(
      'ERR_EXPORT_NOT_FOUND',
      `task module ${resolved.module} has no export "${resolved.exportName}"; it exports: ${
        names.length > 0 ? names.join(', ') : '(nothing)'
      }`,
      { details: { exports: names } },
    );
  }
  return { resolved, exports, value: exports[resolved.exportName] };
}

/** The export names of a module namespace, without the interop `default` jiti may add for ESM. */
export function exportNames(exports: Record<string, unknown>): string[] {
  return Object.keys(exports)
    .filter((name) => name !== '__esModule')
    .sort();
}
