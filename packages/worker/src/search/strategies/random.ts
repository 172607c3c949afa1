/**
 * Random search: each asked set drawn independently from the space. Learns nothing; it is the
 * baseline the other strategies must beat, and often a hard one in many dimensions.
 */
import { seededRandom } from '../_rng.js';
import type { Strategy } from '../search.js';
import { checkSpace, type Space, sampleSpace } from '../space.js';

export interface RandomSearchOptions {
  /** The same seed proposes the same sets (default 1). */
  seed?: number;
}

export function randomSearch(space: Space, options: RandomSearchOptions = {}): Strategy {
  const checked = checkSpace(space, 'randomSearch');
  const random = seededRandom(options.seed ?? 1);
  return {
    ask: (n) => Array.from({ length: n }, () => sampleSpace(checked, random)),
    tell: () => {},
  };
}
