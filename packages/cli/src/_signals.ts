/**
 * The CLI's signal policy for long-running commands: the first SIGINT/SIGTERM asks for a graceful
 * stop, the second forces it. Returns a function that removes the handlers.
 */
export function onStopSignals(graceful: () => void, forced: () => void): () => void {
  let count = 0;
  const handler = () => {
    count += 1;
    if (count === 1) graceful();
    else forced();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
