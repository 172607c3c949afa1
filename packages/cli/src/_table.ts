/** Narrowest a column is squeezed to, ellipsis included. */
const FLOOR = 8;

/**
 * Aligns rows into columns that fit `width` (`Infinity`: never cut), truncating the widest cells
 * with an ellipsis; `floors` gives a column a larger minimum (e.g. a task key keeps a prefix).
 */
export function renderTable(
  header: string[],
  rows: string[][],
  width = 100,
  floors: Record<number, number> = {},
): string {
  const columns = header.length;
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const gap = 2;
  let total = widths.reduce((sum, w) => sum + w, 0) + gap * (columns - 1);
  const shrinkable = (i: number) => ((widths[i] ?? 0) > (floors[i] ?? FLOOR) ? (widths[i] ?? 0) : 0);
  while (total > width) {
    const candidates = widths.map((_, i) => shrinkable(i));
    const widest = candidates.indexOf(Math.max(...candidates));
    if ((candidates[widest] ?? 0) === 0) break;
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
