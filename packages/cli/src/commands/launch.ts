import { DEFAULT_PORT } from '@bottle/protocol';
import type { Argv } from 'yargs';
import { withSlurmOptions } from './launch-slurm.js';

export const launchCommand = {
  command: 'launch [hosts]',
  describe:
    'Start a worker on each host of a hosts.json file over SSH, or workers as a Slurm job array (--slurm)',
  builder: <T>(yargs: Argv<T>) =>
    withSlurmOptions(yargs)
      .positional('hosts', {
        type: 'string',
        description: 'JSON file listing the hosts (format: docs/cli.md, docs/ssh.md); not with --slurm',
      })
      .option('server', {
        alias: 's',
        type: 'string',
        description:
          "Server URL as the workers see it: over SSH for entries without their own (default: the file's server); with --slurm the URL compute nodes reach (default: $BOTTLE_SERVER), or with -t the SSH host",
      })
      .option('local-port', {
        type: 'number',
        default: DEFAULT_PORT,
        description:
          'With no server URL at all: the port of the server on this machine, reached from each host through a reverse tunnel (ssh -R)',
      })
      .option('accept-new-host-key', {
        type: 'boolean',
        default: false,
        description: 'Record unknown SSH host keys (a changed key is always refused)',
      })
      .option('stop-grace', {
        type: 'number',
        default: 10,
        description: 'Seconds a worker may take to stop after Ctrl-C before its session is closed',
      })
      .example('$0 launch hosts.json', 'start the workers listed in hosts.json')
      .example('$0 launch hosts.json -s http://10.0.0.1:1988', 'point every host at that URL')
      .example(
        '$0 launch --slurm -s http://login1:1988 --partition P --time 1:00:00 -x 8 --array 4',
        'four Slurm jobs of 8 slots each',
      )
      .epilog(
        'hosts.json is a list of entries, or {"server": URL, "defaults": {...}, "hosts": [...]}. An entry is a ' +
          'target ("host", "user@host:port" or a ~/.ssh/config alias) or an object with "host" and optionally ' +
          '"user", "port", "identity", "cwd", "slots", "env", "command" (default: npx bottle-worker), "args", ' +
          '"server" and "label". Each host runs, in a pseudo-terminal: cd <cwd> && exec env K=V... <command> ' +
          '<server> -x <slots> <args...>. Without any server URL, each host reaches the server on this ' +
          "machine's --local-port through a reverse tunnel. See docs/ssh.md. With --slurm: one sbatch --array job " +
          'whose elements each exec a bottle-worker; see docs/slurm.md.',
      ),
};

export type LaunchArgs = Awaited<ReturnType<ReturnType<typeof launchCommand.builder>['parseAsync']>>;
