import { createRequire } from 'node:module';

// Both src/ and dist/ sit one level below package.json.
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
