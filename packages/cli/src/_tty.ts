import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { BottleError } from '@bottle/protocol';

/** Asks for an SSH key passphrase on the terminal without echoing it. */
export async function askPassphraseOnTty(keyPath: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new BottleError(
      'ERR_SSH_AUTH',
      `${keyPath} is encrypted and there is no terminal to ask for its passphrase; ` +
        'load it into ssh-agent or set BOTTLE_SSH_PASSPHRASE',
    );
  }
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) =>
      rl.question(`Enter passphrase for ${keyPath}: `, resolve),
    );
    muted = true;
    return await answer;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
