// The Slurm tests start their own one-node cluster (munged, slurmctld, slurmd in a temp dir; no
// service, nothing in /etc). This makes sure the binaries are there before `pnpm test`: installed
// with apt-get when we are root on a Debian-like machine, otherwise a message saying what to
// install (the Slurm tests then skip, saying why).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch'];

if (!BINARIES.every((path) => existsSync(path))) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(
      'The Slurm tests need Slurm and MUNGE (on Debian or Ubuntu: sudo apt-get install -y slurm-wlm munge); ' +
        'without them, and without root, they are skipped.',
    );
  } else {
    console.log('Installing slurm-wlm and munge for the Slurm tests (apt-get; no service is started)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'slurm-wlm', 'munge'], { stdio: 'inherit', env });
  }
}
