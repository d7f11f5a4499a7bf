// CSV records on csv-parse with the line each starts on; we count lines because csv-parse counts a CRLF inside a quoted field as two (7.0.3).
import { CsvError, parse, type Options } from 'csv-parse/sync';
import { DataError } from '../errors.js';

/** One CSV record and the physical line (1-based) it starts on. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

// What every CSV reader here agrees on: a BOM is skipped; a line may end in CRLF, LF or CR (files
// pass through Excel and old Mac tools); a blank line is no record, but a line holding `""` is one;
// rows of any length come back, for the caller to report against its own header.
const SHARED: Options = {
  bom: true,
  record_delimiter: ['\r\n', '\n', '\r'],
  skip_empty_lines: true,
  relax_column_count: true,
};

const LINE_BREAK = /\r\n|\r|\n/g;

function lineBreaks(cells: string[]): number {
  let n = 0;
  for (const c of cells) n += c.match(LINE_BREAK)?.length ?? 0;
  return n;
}

/** What is wrong, in the reader's words, for csv-parse's error codes a hand-edited file can hit. */
function describe(e: CsvError): string {
  const column = typeof e.column === 'number' ? ` in column ${e.column + 1}` : '';
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `unterminated quoted field${column}`;
    case 'INVALID_OPENING_QUOTE':
      return `quote inside an unquoted field${column}; quote the whole field and double the quote ("")`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `text after a closing quote${column} (write "" for a quote inside a quoted field)`;
    default:
      return e.message;
  }
}

/**
 * Parses CSV text (RFC 4180) into records with their start lines. `options` adds csv-parse options
 * to the shared rules. Throws a DataError at `file:line` (the line the bad record starts on).
 */
export function parseCsvRecords(text: string, file: string, options: Options = {}): CsvRecord[] {
  // The line after the last record, not counting the blank lines csv-parse skipped (info.empty_lines).
  let next = 1;
  const lines: number[] = [];
  try {
    const rows = parse(text, {
      ...SHARED,
      ...options,
      on_record: (cells: string[], info) => {
        lines.push(next + info.empty_lines);
        next += 1 + lineBreaks(cells);
        return cells;
      },
    });
    return rows.map((cells, i) => ({ line: lines[i], cells }));
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const skipped = typeof e.empty_lines === 'number' ? e.empty_lines : 0;
    throw new DataError(`${file}:${next + skipped}: ${describe(e)}`, { cause: e });
  }
}

/**
 * Parses a result CSV into rows of fields: no trimming, and a stray quote inside an unquoted field is
 * kept as text (simulations print these by hand). Throws a DataError at `file:line`.
 */
export function parseCsv(text: string, file = 'CSV'): string[][] {
  // at a tenth of csv-parse's cost (setting a parser up per file was half of `collect --from` over 10^4 one-row files)
  if (isPlainCsv(text)) return splitPlainCsv(text);
  return parseCsvRecords(text, file, { relax_quotes: true }).map((r) => r.cells);
}

/**
 * Whether a CSV text holds no quote and no BOM: then a record is its line split at commas, what csv-parse returns for
 * it (blank lines skipped, any line break).
 */
export function isPlainCsv(text: string): boolean {
  return !text.includes('"') && text.charCodeAt(0) !== 0xfeff;
}

/** The records of a CSV text holding no quote character: non-empty lines (CRLF, LF or CR) split at commas. */
function splitPlainCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(LINE_BREAK)) if (line !== '') rows.push(line.split(','));
  return rows;
}
