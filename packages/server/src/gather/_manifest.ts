/**
 * `.bottle-manifest.json`, the last entry of every output archive: the size and SHA-256 of each file,
 * computed by the sender while it streamed them. It lets the receiver check the whole upload in one
 * request (HTTP headers go before the body, so an archive-wide digest would come too late).
 */
import {
  BottleError,
  isSha256Hex,
  type ManifestFile,
  OUTPUT_MANIFEST_NAME,
  safeRelativePath,
} from '@bottle/protocol';
import type { ExtractedFile } from './_extract.js';

export type { ManifestFile };

export interface Manifest {
  version: 1;
  files: ManifestFile[];
}

function corrupt(message: string): BottleError {
  return new BottleError('ERR_UPLOAD_CHECKSUM', `output archive ${OUTPUT_MANIFEST_NAME}: ${message}`);
}

export function parseManifest(data: Buffer): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw corrupt('not valid JSON');
  }
  const candidate = value as { version?: unknown; files?: unknown };
  if (
    typeof value !== 'object' ||
    value === null ||
    candidate.version !== 1 ||
    !Array.isArray(candidate.files)
  ) {
    throw corrupt('expected { "version": 1, "files": [...] }');
  }
  const files = candidate.files.map((file: unknown): ManifestFile => {
    const f = file as Partial<ManifestFile>;
    if (typeof f?.path !== 'string' || !Number.isSafeInteger(f.size) || !isSha256Hex(f.sha256)) {
      throw corrupt('each file needs a path, a size and a sha256');
    }
    const safe = safeRelativePath(f.path);
    if ('reason' in safe) throw corrupt(`unsafe path ${JSON.stringify(f.path)}`);
    return { path: safe.path, size: f.size as number, sha256: f.sha256 };
  });
  return { version: 1, files };
}

/** Throws ERR_UPLOAD_CHECKSUM unless the extracted files are exactly those of the manifest. */
export function verifyManifest(manifest: Manifest, files: Map<string, ExtractedFile>): void {
  const listed = new Set<string>();
  for (const expected of manifest.files) {
    const actual = files.get(expected.path);
    if (!actual) throw corrupt(`${JSON.stringify(expected.path)} is listed but missing from the archive`);
    if (actual.size !== expected.size || actual.sha256 !== expected.sha256) {
      throw corrupt(`${JSON.stringify(expected.path)} does not match its size or SHA-256`);
    }
    listed.add(expected.path);
  }
  for (const path of files.keys()) {
    if (!listed.has(path)) throw corrupt(`${JSON.stringify(path)} is in the archive but not listed`);
  }
}
