/**
 * The seed's dummy sweep: 7 × 5 + 2 = 37 parameter sets, each run by `Task`, which writes its
 * parameters into its output directory.
 *
 *   bottle-server -p examples/dummy.scan      # submits 37 tasks named examples/dummy.Task
 *   bottle-worker http://127.0.0.1:1988 -x 2
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pset } from '@bottle/protocol';
import { TaskBase } from '@bottle/worker/task';

export function scan() {
  return pset('a', [1, 2, 3, 4, 5, 6, 7])
    .times(pset('b', ['a', 'b', 'c', 'd', 'e']))
    .plus(pset('x', [1000, 10001]))
    .named('dummy1');
}

export class Task extends TaskBase {
  run() {
    // processedParams() creates <outDir>/<paramsHash>/ and adds its path as `outputDir`.
    const { outputDir } = this.processedParams();
    writeFileSync(join(outputDir, 'params.json'), `${JSON.stringify(this.params, null, 2)}\n`);
    console.log('dummy task ran with', JSON.stringify(this.params));
    return { ok: true };
  }
}
