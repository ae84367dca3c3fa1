// What commands print: listings as an aligned table (for people), JSON or CSV (for tools), with the same
// escaping as the audit export (control characters stripped from tables, spreadsheet formulas defused).
import { csvCell, toTable } from "../audit/format.ts";
import type { ListFormat } from "./usage.ts";

export function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** A listing column: its CSV header (the table shows it upper-cased) and how to read it from a row. */
export interface Column<Row> {
  name: string;
  value(row: Row): string | number | boolean | null | undefined;
}

/** JSON prints the rows as they are; CSV and the table print the columns. `empty` is the table's text for no rows. */
export function formatRows<Row>(rows: readonly Row[], columns: readonly Column<Row>[], format: ListFormat, empty: string): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(rows, null, 2)}\n`;
    case "csv": {
      const lines = [columns.map((c) => c.name).join(","), ...rows.map((row) => columns.map((c) => csvCell(c.value(row))).join(","))];
      return `${lines.join("\r\n")}\r\n`;
    }
    case "table":
      if (rows.length === 0) return `${empty}\n`;
      return toTable(
        columns.map((c) => [c.name.toUpperCase(), (row: Row) => tableCell(c.value(row))] as [string, (row: Row) => string]),
        rows,
      );
  }
}

function tableCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === "") return "-";
  return typeof value === "boolean" ? (value ? "yes" : "no") : String(value);
}
