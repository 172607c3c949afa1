// A CLI user's code: the programs' entry and exit codes, typed.
import { exitCodes, main, type ProgramName, renderCliReference } from '@bottle/cli';

export async function run(program: ProgramName, args: string[]): Promise<boolean> {
  return (await main(program, args)) === exitCodes.ok;
}

export const reference: Promise<string> = renderCliReference();
