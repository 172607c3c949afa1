/**
 * Aligns rows into columns that fit `width`, truncating the widest cells with an ellipsis;
 * columns listed in `keep` (e.g. task keys, which users copy) are never truncated.
 */
export function renderTable(header: string[], rows: string[][], width = 100, keep: number[] = []): string {
  const columns = header.length;
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const gap = 2;
  let total = widths.reduce((sum, w) => sum + w, 0) + gap * (columns - 1);
  const shrinkable = (i: number) => (keep.includes(i) ? 0 : (widths[i] ?? 0));
  while (total > width) {
    const candidates = widths.map((_, i) => shrinkable(i));
    const widest = candidates.indexOf(Math.max(...candidates));
    if ((candidates[widest] ?? 0) <= 8) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    total -= 1;
  }
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((row) => /^-?[\d.,]+%?$/.test(row[i] ?? '')),
  );
  const fit = (cell: string, i: number) => {
    const w = widths[i] ?? 0;
    const text = cell.length > w ? `${cell.slice(0, Math.max(0, w - 1))}…` : cell;
    return numeric[i] ? text.padStart(w) : text.padEnd(w);
  };
  const lines = [header, ...rows].map((row) =>
    row
      .map((cell, i) => fit(cell, i))
      .join(' '.repeat(gap))
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
