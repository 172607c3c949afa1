/**
 * What a pending job's reason (squeue's `%R`: `(PartitionConfig)`) means for a worker job, in the
 * words of someone who asked for workers: most reasons are a wait, a few mean the job can never start
 * as asked, which Slurm does not say at submission (it queues the job and leaves it pending).
 */
const HINTS: ReadonlyArray<[RegExp, string, 'never'?]> = [
  [
    /^(PartitionConfig|BadConstraints|PartitionNodeLimit)$/,
    'it asks for more than a node of its partition has (-x CPUs, --mem, --gres): it will not start; cancel it and ask for less',
    'never',
  ],
  [
    /^PartitionTimeLimit$/,
    "its --time is above the partition's limit: it will not start; cancel it and ask for less time",
    'never',
  ],
  [/^(PartitionDown|PartitionInactive)$/, 'its partition is down: it starts when the partition is up again'],
  [/^ReqNodeNotAvail/, 'the nodes it may run on are down, drained or reserved'],
  [
    /^(InvalidAccount|InvalidQOS)$/,
    'its --account or --qos is not one you may use: cancel it and give another',
    'never',
  ],
  [/^(QOS|Assoc)\w*Limit$/, 'a limit of your account or QOS holds it back: it starts as your other jobs end'],
  [/^(Resources|Priority|None)$/, 'it waits for free nodes'],
];

/** The hint for a pending job's reason, with or without its parentheses; undefined for one unknown. */
export function pendingReasonHint(reason: string): string | undefined {
  return find(reason)?.[1];
}

/** Whether a pending job with this reason will not start unless changed or cancelled. */
export function pendingForever(reason: string): boolean {
  return find(reason)?.[2] === 'never';
}

function find(reason: string) {
  const word = reason.replace(/^\(|\)$/g, '').trim();
  return HINTS.find(([pattern]) => pattern.test(word));
}
