/**
 * Result rows as text: an aligned table that fits the terminal, CSV (RFC 4180), a JSON array, or
 * JSON lines. Nested values (lists, objects) print as compact JSON in table and CSV cells.
 */
import type { JsonValue } from '@bottle/protocol';
import { columnsOf, type ResultRow } from './results.js';

export type ResultFormat = 'table' | 'csv' | 'json' | 'jsonl';
export const resultFormats: readonly ResultFormat[] = ['table', 'csv', 'json', 'jsonl'];

export interface FormatOptions {
  /** Table only: the most characters per line (e.g. `process.stdout.columns`); no limit when absent. */
  width?: number;
}

/** Smallest width a table column is squeezed to, ellipsis included. */
const MIN_COLUMN_WIDTH = 4;
const GAP = '  ';

function cellText(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function csvCell(value: JsonValue | undefined): string {
  const text = cellText(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Characters as a terminal counts them (code points; wide CJK is not measured). */
function length(text: string): number {
  return [...text].length;
}

function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Shrinks the widest columns, one character at a time, until the line fits or all are at the minimum. */
function fitWidths(widths: number[], maxWidth: number): number[] {
  const fitted = [...widths];
  const total = () => fitted.reduce((sum, w) => sum + w, 0) + GAP.length * (fitted.length - 1);
  while (total() > maxWidth) {
    let widest = 0;
    for (let i = 1; i < fitted.length; i++) if (fitted[i]! > fitted[widest]!) widest = i;
    if (fitted[widest]! <= MIN_COLUMN_WIDTH) break;
    fitted[widest]!--;
  }
  return fitted;
}

function formatTable(rows: ResultRow[], columns: string[], width: number | undefined): string {
  if (columns.length === 0) return '';
  // Line breaks and tabs inside a cell would break the grid.
  const flat = (text: string) => text.replace(/[\r\n\t]+/g, ' ');
  const cells = rows.map((row) => columns.map((name) => flat(cellText(row[name]))));
  const natural = columns.map((name, i) => Math.max(length(name), ...cells.map((line) => length(line[i]!))));
  const widths = width === undefined ? natural : fitWidths(natural, width);
  const line = (texts: string[], numeric: boolean[]) =>
    texts
      .map((text, i) => {
        const cut = truncate(text, widths[i]!);
        const pad = ' '.repeat(widths[i]! - length(cut));
        return numeric[i] ? pad + cut : cut + pad;
      })
      .join(GAP)
      .trimEnd();
  // Headers of columns that hold only numbers align right, like their cells.
  const numericColumn = columns.map(
    (name) =>
      rows.some((row) => row[name] !== null) &&
      rows.every((row) => row[name] === null || typeof row[name] === 'number'),
  );
  const out = [
    line(columns, numericColumn),
    line(
      widths.map((w) => '-'.repeat(w)),
      numericColumn,
    ),
  ];
  rows.forEach((row, r) => {
    out.push(
      line(
        cells[r]!,
        columns.map((name) => typeof row[name] === 'number'),
      ),
    );
  });
  return `${out.join('\n')}\n`;
}

/** Renders `rows` (from resultRows or readLocalResults); the text ends with a newline unless empty. */
export function formatRows(rows: ResultRow[], format: ResultFormat, options: FormatOptions = {}): string {
  const columns = columnsOf(rows);
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'jsonl':
      return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    case 'csv':
      if (columns.length === 0) return '';
      // RFC 4180: CRLF line ends, fields with comma, quote or line break quoted, quotes doubled.
      return [columns, ...rows.map((row) => columns.map((name) => row[name]))]
        .map((fields) => `${fields.map((field) => csvCell(field)).join(',')}\r\n`)
        .join('');
    case 'table':
      return formatTable(rows, columns, options.width);
    default:
      throw new TypeError(`format must be one of ${resultFormats.join(', ')}; got ${String(format)}`);
  }
}
