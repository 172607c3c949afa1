// The SSH tests start their own sshd on 127.0.0.1 (no service, no port 22). This makes sure the
// OpenSSH server binary is there before `pnpm test`: installed with apt-get when we are root on a
// Debian-like machine, otherwise a clear message saying what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const SSHD = '/usr/sbin/sshd';

if (!existsSync(SSHD)) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(
      `The SSH tests need OpenSSH's server binary at ${SSHD}.\n` +
        'Install it (on Debian or Ubuntu: sudo apt-get install -y openssh-server) and run the tests again.',
    );
    process.exit(1);
  }
  console.log('Installing openssh-server for the SSH tests (apt-get; no service is started)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server'], { stdio: 'inherit', env });
}
