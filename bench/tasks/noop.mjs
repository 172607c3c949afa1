// The no-op task of every benchmark, in the form each system runs. `Stamp` variants return the
// moment their run starts on CLOCK_MONOTONIC (see ../_measure.mjs `now`), which costs one clock read.
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** bottle: `noop.Task` does nothing, `noop.Stamp` returns its start time. */
export class Task {
  run() {
    return null;
  }
}
export class Stamp {
  run() {
    return { t: now() };
  }
}

/** BullMQ's sandboxed processor (this file is its processor module) and in-process processor. */
export default function processor(job) {
  return job.data.stamp ? now() : null;
}

/** graphile-worker's task list. */
export const graphileTasks = {
  noop: async () => {},
  stamp: async () => {
    process.send?.({ stamp: now() });
  },
};
