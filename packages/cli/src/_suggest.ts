/**
 * "Did you mean": yargs' strict mode names an unknown option or command but suggests nothing.
 * The closest known name within a few typos is offered.
 */

/** The unknown names in yargs' message `Unknown argument(s): a, b`. */
export function unknownNames(message: string): string[] {
  const match = /^Unknown arguments?: (.*)$/s.exec(message);
  if (!match) return [];
  const names = (match[1] ?? '').split(', ').filter((name) => name !== '');
  // yargs repeats a kebab-case name in camelCase (retry-if-emtpy, retryIfEmtpy): keep the first.
  return names.filter((name) => !(/[A-Z]/.test(name) && names.includes(kebab(name))));
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit (stauts: status). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * `Did you mean --retry-if-empty?` lines for the unknown names of `message`, given the known
 * option names (without dashes) and command names. A former spelling (`renamed`) is matched as
 * typed and suggested under its new name.
 */
export function suggestionFor(
  message: string,
  options: string[],
  commands: string[],
  renamed: ReadonlyMap<string, string> = new Map(),
): string {
  const candidates = [
    ...options
      .filter((name) => name.length > 1)
      .map((name) => ({ name, shown: `--${renamed.get(name) ?? name}` })),
    ...commands.map((name) => ({ name, shown: name })),
  ];
  const lines: string[] = [];
  for (const unknown of unknownNames(message)) {
    let best: { shown: string; distance: number } | undefined;
    for (const candidate of candidates) {
      const distance = editDistance(unknown, candidate.name);
      if (!best || distance < best.distance) best = { shown: candidate.shown, distance };
    }
    if (best && best.distance <= Math.max(1, Math.floor(unknown.length / 3))) {
      lines.push(`Did you mean ${best.shown}?`);
    }
  }
  return lines.join('\n');
}
