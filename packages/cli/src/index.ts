export { type CliContext, processContext } from './_context.js';
export { exitCodes } from './_exit.js';
export { buildParser, main, type ProgramName } from './main.js';
export { renderCliReference } from './reference.js';
