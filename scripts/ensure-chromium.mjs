// The dashboard's browser tests drive Debian's chromium with playwright-core (no browser download).
// This installs it with apt-get when it is missing and we are root on a Debian-like machine;
// otherwise it says what to install, and those tests skip with the same message.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.BOTTLE_CHROMIUM ?? '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.warn(
      `The dashboard's browser tests need chromium at ${CHROMIUM}; they will be skipped.\n` +
        'Install it (on Debian or Ubuntu: sudo apt-get install -y chromium) or set BOTTLE_CHROMIUM.',
    );
  } else {
    console.log('Installing chromium for the dashboard browser tests (apt-get)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  }
}
