/**
 * The Perl command launcher's script (run as `perl -e`, so nothing is installed beside the worker). It
 * uses only what Debian's essential perl-base holds (POSIX), and speaks a plain protocol with the worker
 * (launcher-perl.ts) over its stdin and stdout:
 *
 * - worker to launcher, fields each ended by a NUL byte (no field may hold one):
 *   `S id file cwd stdout stderr header nargs arg… nenv NAME=value…` starts a program;
 *   `K id signal-number` signals the process group of the program started under `id`.
 * - launcher to worker, lines: `P id pid` (started), `X id pid code|- signal-number|-` (ended; its
 *   group is SIGKILLed then), `E id step errno` (did not start: `f` fork, `o` a log, `c` its working
 *   folder, `x` exec).
 *
 * A program runs in a session and process group of its own, stdin from /dev/null, its output appended
 * to its two logs (a log that already holds an earlier attempt's output gets `header` first, on a line
 * of its own). When the worker goes (stdin closes), every program still running is killed, group and all.
 */
export const perlLauncherScript = String.raw`
use strict;
use warnings;
use POSIX ();

my (%pid_of, %id_of, @fields);
my $partial = '';
$SIG{PIPE} = 'IGNORE';
# Only to cut select short when a program ends: the main loop reaps.
$SIG{CHLD} = sub {};

sub tell_worker {
  my ($line) = @_;
  my $offset = 0;
  while ($offset < length $line) {
    my $n = syswrite(STDOUT, $line, length($line) - $offset, $offset);
    if (!defined $n) { next if $! == POSIX::EINTR; return }
    $offset += $n;
  }
}

sub open_log {
  my ($handle, $file, $header) = @_;
  open($handle, '>>', $file) or return 0;
  if (-s $handle) {
    my $last = '';
    if (open(my $read, '<', $file)) { sysseek($read, -1, 2); sysread($read, $last, 1); close $read }
    syswrite($handle, ($last eq "\n" ? '' : "\n") . $header);
  }
  return 1;
}

sub start {
  my ($id, $file, $cwd, $out, $err, $header, $args, $env) = @_;
  # Tells the launcher why a program did not start; closed by exec when it did.
  pipe(my $read, my $write) or return tell_worker("E $id f " . ($! + 0) . "\n");
  my $pid = fork;
  if (!defined $pid) {
    my $errno = $! + 0;
    close $read; close $write;
    return tell_worker("E $id f $errno\n");
  }
  if ($pid == 0) {
    close $read;
    $SIG{PIPE} = 'DEFAULT';
    $SIG{CHLD} = 'DEFAULT';
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new);
    POSIX::setsid();
    my $fail = sub { syswrite($write, pack('a1 N', $_[0], $! + 0)); POSIX::_exit(127) };
    open(STDIN, '<', '/dev/null') or $fail->('o');
    open_log(\*STDOUT, $out, $header) or $fail->('o');
    open_log(\*STDERR, $err, $header) or $fail->('o');
    chdir($cwd) or $fail->('c');
    $ENV{$_->[0]} = $_->[1] for @$env;
    exec { $file } $file, @$args or $fail->('x');
  }
  close $write;
  my $why = '';
  while (1) {
    my $n = sysread($read, my $chunk, 5);
    if (!defined $n) { next if $! == POSIX::EINTR; last }
    last if $n == 0;
    $why .= $chunk;
  }
  close $read;
  if (length $why == 5) {
    my ($step, $errno) = unpack('a1 N', $why);
    waitpid($pid, 0);
    return tell_worker("E $id $step $errno\n");
  }
  $pid_of{$id} = $pid;
  $id_of{$pid} = $id;
  tell_worker("P $id $pid\n");
}

sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $status = $?;
    my $id = delete $id_of{$pid};
    next unless defined $id;
    delete $pid_of{$id};
    # Whatever the program left behind in its group (background children) ends with it.
    kill 'KILL', -$pid;
    if (POSIX::WIFSIGNALED($status)) { tell_worker("X $id $pid - " . POSIX::WTERMSIG($status) . "\n") }
    else { tell_worker("X $id $pid " . POSIX::WEXITSTATUS($status) . " -\n") }
  }
}

sub handle {
  while (@fields) {
    my $type = $fields[0];
    if ($type eq 'K') {
      return if @fields < 3;
      my (undef, $id, $signal) = splice(@fields, 0, 3);
      my $pid = $pid_of{$id};
      kill $signal, -$pid if defined $pid;
      next;
    }
    die "command launcher: unknown message '$type'\n" unless $type eq 'S';
    return if @fields < 8;
    my $nargs = $fields[7];
    return if @fields < 9 + $nargs;
    my $nenv = $fields[8 + $nargs];
    return if @fields < 9 + $nargs + $nenv;
    my @message = splice(@fields, 0, 9 + $nargs + $nenv);
    my @args = @message[8 .. 7 + $nargs];
    my @env = map { [split /=/, $_, 2] } @message[9 + $nargs .. $#message];
    start(@message[1 .. 6], \@args, \@env);
  }
}

my $wanted = '';
vec($wanted, fileno(STDIN), 1) = 1;
while (1) {
  reap();
  # The timeout covers a program that ends between reap and select (its SIGCHLD is then missed);
  # with none running, the launcher sleeps until the worker writes.
  my $ready = select(my $got = $wanted, undef, undef, %pid_of ? 0.1 : undef);
  next if $ready <= 0;
  my $n = sysread(STDIN, my $chunk, 65536);
  if (!defined $n) { next if $! == POSIX::EINTR; last }
  last if $n == 0;
  my @parts = split /\0/, $partial . $chunk, -1;
  $partial = pop @parts;
  push @fields, @parts;
  handle();
}
kill 'KILL', -$_ for values %pid_of;
exit 0;
`;
