/** What a worker offers in a claim: what it has, its labels, and what the tasks it holds leave free. */
import type { ClaimedTask, ClaimRequest, Resources } from '@bottle/protocol';

/**
 * `free` is what the worker has less what the tasks it holds ask (those waiting for a slot too), so
 * that the server hands out only tasks that fit beside them; absent while they ask nothing.
 */
export function claimOffer(
  resources: Resources,
  labels: readonly string[],
  held: Iterable<{ state: string; task: Pick<ClaimedTask, 'resources'> }>,
): Pick<ClaimRequest, 'resources' | 'free' | 'labels'> {
  let free: Resources | undefined;
  for (const { state, task } of held) {
    // A task being reported has ended: what it held is free again.
    if (state === 'reporting' || task.resources === undefined) continue;
    free ??= { ...resources };
    for (const [name, amount] of Object.entries(task.resources)) {
      free[name] = Math.max((free[name] ?? 0) - amount, 0);
    }
  }
  return { resources, ...(free ? { free } : {}), ...(labels.length > 0 ? { labels: [...labels] } : {}) };
}
