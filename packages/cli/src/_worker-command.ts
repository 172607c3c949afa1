import { fileURLToPath } from 'node:url';
import { shellQuote } from '@bottle/worker/slurm';

/**
 * The command that starts this very bottle-worker: this Node.js and the bin beside this package,
 * by absolute path (a cluster's compute nodes see the login node's files at the same paths).
 */
export function thisWorkerCommand(): string {
  return [process.execPath, fileURLToPath(new URL('../bin/bottle-worker.js', import.meta.url))]
    .map(shellQuote)
    .join(' ');
}
