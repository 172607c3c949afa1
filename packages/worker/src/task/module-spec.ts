/**
 * A module spec `path/to/module.exportName` names a file inside the worker's root and one of
 * its exports. Workers run only code they have locally: anything that would load a file from
 * outside the root (an absolute path, a `..` escape, a symlink pointing out) is refused.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { BottleError } from '@bottle/protocol';

/** Extensions tried, in order, when the spec names a module without one. */
export const moduleExtensions = ['.ts', '.mts', '.js', '.mjs'] as const;

/** A module spec resolved to a file inside the root. */
export interface ResolvedModuleSpec {
  /** The spec as given. */
  spec: string;
  /** The module part, normalized: POSIX separators, no leading `./` (e.g. `examples/dummy`). */
  module: string;
  /** The export after the last dot (e.g. `scan`). */
  exportName: string;
  /** Absolute real path of the module file. */
  file: string;
  /** Absolute real path of the root. */
  root: string;
}

/**
 * Splits `path/to/module.exportName` at its last dot and resolves the module file inside `root`
 * (extension optional: `.ts`, `.mts`, `.js`, `.mjs` are tried).
 *
 * @throws BottleError `ERR_MODULE_OUTSIDE_ROOT` for an absolute path, a `..` escape or a symlink
 *   leading out of the root; `ERR_MODULE_NOT_FOUND` when no such file exists.
 */
export function resolveModuleSpec(spec: string, root: string): ResolvedModuleSpec {
  const dot = spec.lastIndexOf('.');
  const slash = Math.max(spec.lastIndexOf('/'), spec.lastIndexOf('\\'));
  if (dot <= 0 || dot < slash || dot === spec.length - 1) {
    throw new BottleError(
      'ERR_MODULE_NOT_FOUND',
      `"${spec}" is not a module spec: write path/to/module.exportName (e.g. examples/dummy.scan)`,
    );
  }
  const modulePart = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  if (isAbsolute(modulePart) || /^[a-zA-Z]:/.test(modulePart) || modulePart.startsWith('\\')) {
    throw outside(spec, 'is an absolute path');
  }
  const module = posix.normalize(modulePart.replaceAll('\\', '/')).replace(/^(\.\/)+/, '');
  if (module === '..' || module.startsWith('../')) throw outside(spec, 'leads out of the root with ".."');

  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch (cause) {
    throw new BottleError('ERR_MODULE_NOT_FOUND', `the worker root ${root} does not exist`, { cause });
  }
  const base = resolve(realRoot, module);
  const candidates = moduleExtensions.some((ext) => module.endsWith(ext))
    ? [base]
    : moduleExtensions.map((ext) => base + ext);
  const found = candidates.find((file) => existsSync(file) && statSync(file).isFile());
  if (found === undefined) {
    throw new BottleError(
      'ERR_MODULE_NOT_FOUND',
      `task module "${module}" of "${spec}" not found in ${realRoot} (tried ${candidates
        .map((file) => relative(realRoot, file))
        .join(', ')}); check the path, which is relative to the worker root`,
    );
  }
  // Compare real paths so that a symlink inside the root cannot point outside it.
  const file = realpathSync(found);
  const rel = relative(realRoot, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw outside(spec, `resolves (through a symlink) to ${file}, outside the root ${realRoot}`);
  }
  return { spec, module, exportName, file, root: realRoot };
}

/** Splits a spec at its last dot without touching the file system. */
export function splitModuleSpec(spec: string): { module: string; exportName: string } {
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) return { module: spec, exportName: '' };
  return {
    module: posix.normalize(spec.slice(0, dot).replaceAll('\\', '/')).replace(/^(\.\/)+/, ''),
    exportName: spec.slice(dot + 1),
  };
}

function outside(spec: string, why: string): BottleError {
  return new BottleError(
    'ERR_MODULE_OUTSIDE_ROOT',
    `task module "${spec}" ${why}; task modules must be relative paths inside the worker root (--root)`,
  );
}
