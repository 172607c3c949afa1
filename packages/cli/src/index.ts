export type { CliContext } from './_context.js';
export { exitCodes } from './_exit.js';
export { main, type ProgramName } from './main.js';
export { renderCliReference } from './reference.js';
