import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './misc.js';

/**
 * A private one-node Slurm for tests (see /work/shared/slurm-recipe.md): munged, slurmctld and
 * slurmd for `localhost`, everything in a temporary directory and found through `SLURM_CONF`.
 * Nothing touches /etc; each fixture has its own ports, so test files do not share a cluster.
 */
export interface SlurmFixture {
  readonly dir: string;
  /** The `slurm.conf` path: every Slurm command of the test needs `SLURM_CONF` set to it. */
  readonly conf: string;
  /** `{ SLURM_CONF }`, to spread into a child's environment. */
  readonly env: { SLURM_CONF: string };
  /** The partition jobs go to by default. */
  readonly partition: 'debug';
  /** Runs a Slurm command (`squeue`, `scontrol`, …) against this cluster; resolves with its stdout. */
  run(command: string, args: string[]): Promise<string>;
  /** The daemons' logs so far, for a failing test's message. */
  logs(): string;
  /** Cancels every job, stops slurmd, slurmctld and munged by their pid files, removes the directory. */
  stop(): Promise<void>;
}

const MUNGED = '/usr/sbin/munged';
const SLURMCTLD = '/usr/sbin/slurmctld';
const SLURMD = '/usr/sbin/slurmd';
const CLIENTS = ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'];

const run = promisify(execFile);

/**
 * Why a Slurm test cannot run here, or undefined when it can: the binaries are missing, or the
 * daemons need root (slurmd starts jobs as other users only as root). Tests skip with this reason.
 */
export function slurmSkipReason(): string | undefined {
  const missing = [MUNGED, SLURMCTLD, SLURMD].filter((path) => !existsSync(path));
  for (const client of CLIENTS) if (!onPath(client)) missing.push(client);
  if (missing.length > 0)
    return `Slurm is not installed (missing ${missing.join(', ')}; apt-get install -y slurm-wlm munge): its tests are skipped`;
  if (process.getuid?.() !== 0)
    return 'the one-node test Slurm runs its daemons as root: its tests are skipped';
  return undefined;
}

function onPath(command: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));
}

/** Starts munged, slurmctld and slurmd on free ports and waits until the node is idle. */
export async function startSlurm(): Promise<SlurmFixture> {
  const reason = slurmSkipReason();
  if (reason) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'bottle-slurm-'));
  for (const sub of ['state', 'spool', 'log', 'munge']) mkdirSync(join(dir, sub));
  // munged refuses a socket directory that others cannot traverse, and a key others can read.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'munge'), 0o711);
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'sock');
  const pidFiles = {
    slurmd: join(dir, 'slurmd.pid'),
    slurmctld: join(dir, 'slurmctld.pid'),
    munged: join(dir, 'munge', 'pid'),
  };
  const conf = join(dir, 'slurm.conf');
  const [controllerPort, nodePort] = [await freePort(), await freePort()];
  // Half the free memory, so that a job's default request always fits.
  const memoryMb = Math.max(256, Math.floor(freemem() / 2 / 1024 / 1024));
  writeFileSync(
    conf,
    [
      'ClusterName=bottle',
      'SlurmctldHost=localhost',
      `SlurmctldPort=${controllerPort}`,
      `SlurmdPort=${nodePort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${pidFiles.slurmctld}`,
      `SlurmdPidFile=${pidFiles.slurmd}`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      // No cgroups on the machines the tests run on.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'MpiDefault=none',
      'SchedulerType=sched/backfill',
      // Seconds, not minutes, between a job's end and the next one starting on its CPUs.
      'KillWait=2',
      'MinJobAge=300',
      `NodeName=localhost CPUs=${availableParallelism()} RealMemory=${memoryMb}`,
      'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const logs = () =>
    ['munge/log', 'log/slurmctld.log', 'log/slurmd.log']
      .map((file) => {
        const path = join(dir, file);
        return existsSync(path) ? `--- ${file}\n${readFileSync(path, 'utf8').slice(-4000)}` : '';
      })
      .join('\n');

  let stopped = false;
  const stopDaemons = () => {
    for (const name of ['slurmd', 'slurmctld', 'munged'] as const) {
      const pid = readPid(pidFiles[name]);
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
  };
  const onExit = () => {
    if (!stopped) stopDaemons();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  try {
    execFileSync(MUNGED, [
      `--key-file=${key}`,
      `--socket=${socket}`,
      `--pid-file=${pidFiles.munged}`,
      `--log-file=${join(dir, 'munge', 'log')}`,
      `--seed-file=${join(dir, 'munge', 'seed')}`,
    ]);
    // -c: no saved state. Both daemons fork into the background and write their pid files.
    execFileSync(SLURMCTLD, ['-c'], { env });
    execFileSync(SLURMD, [], { env });
    await waitUntil(async () => {
      const { stdout } = await run('sinfo', ['-h', '-o', '%t'], { env });
      return stdout.trim() === 'idle';
    }, 20_000);
  } catch (error) {
    stopDaemons();
    throw new Error(`the test Slurm did not start: ${(error as Error).message}\n${logs()}`, { cause: error });
  }

  return {
    dir,
    conf,
    env: { SLURM_CONF: conf },
    partition: 'debug',
    async run(command, args) {
      const { stdout } = await run(command, args, { env });
      return stdout;
    },
    logs,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      await run('scancel', ['--full', '--user', 'root'], { env }).catch(() => {});
      const pids = (['slurmd', 'slurmctld', 'munged'] as const).map((name) => readPid(pidFiles[name]));
      stopDaemons();
      // Wait for each daemon to go, so that the directory is not removed under it.
      await waitUntil(() => pids.every((pid) => pid === undefined || !alive(pid)), 10_000).catch(() => {
        for (const pid of pids) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
      });
      // A job step's slurmstepd outlives the slurmd that started it (it is re-parented to init).
      for (const pid of processesWithEnv(`SLURM_CONF=${conf}`)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pids of this machine's processes whose environment holds `entry` (those this user may read). */
function processesWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry)) found.push(pid);
    } catch {}
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  await waitFor(async () => (await check()) || undefined, {
    timeoutMs,
    intervalMs: 100,
    what: 'the test Slurm',
  });
}
