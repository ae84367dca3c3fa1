// The two ways a command ends badly, and the option parsers that catch bad input while the command line
// is read. Exit codes: 0 ok, 1 the command failed (the gateway refused it, nothing found, a check
// failed), 2 usage error (unknown command or option, a value that cannot be read).
import { InvalidArgumentError, Option, type Command } from "commander";
import { parseSince } from "../audit/since.ts";

/** The options every command accepts (declared once, on the program). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  dataDir?: string;
  config?: string;
}

/** The global options as seen from a subcommand's action. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** The command line itself is wrong: one line and exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The command ran and failed in a way the user can act on: one line (and any `details` below it), exit 1, no stack trace. */
export class CommandFailed extends Error {
  override readonly name = "CommandFailed";
  readonly details: readonly string[];
  constructor(message: string, details: readonly string[] = []) {
    super(message);
    this.details = details;
  }
}

export type ListFormat = "table" | "json" | "csv";
export const LIST_FORMATS: readonly ListFormat[] = ["table", "json", "csv"];

/** `--format table|json|csv` (table by default, on a terminal or not); `--json` is kept as a short form. */
export function listFormatOptions(defaultFormat: ListFormat = "table"): Option[] {
  return [
    new Option("--format <format>", "output format").choices(LIST_FORMATS).default(defaultFormat),
    new Option("--json", "same as --format json").implies({ format: "json" }).hideHelp(),
  ];
}

/** `--format text|json` for commands that show one thing. */
export function showFormatOption(): Option {
  return new Option("--format <format>", "output format").choices(["text", "json"]).default("text");
}

export function parsePositiveInteger(value: string): number {
  return parseWholeNumber(value, 1, "Expected a positive whole number.");
}

export function parseNonNegativeInteger(value: string): number {
  return parseWholeNumber(value, 0, "Expected a whole number (0 or more).");
}

function parseWholeNumber(value: string, min: number, expected: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min) throw new InvalidArgumentError(expected);
  return number;
}

/** A parser for a whole number from 1 to `max` (page sizes the gateway accepts). */
export function positiveIntegerUpTo(max: number): (value: string) => number {
  return (value) => {
    const number = parsePositiveInteger(value);
    if (number > max) throw new InvalidArgumentError(`Expected at most ${max}.`);
    return number;
  };
}

/** Repeatable options (`--public-key a.pem --public-key b.pem`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--since 2h` / `--until 2025-01-31T09:00:00Z`: read once, against the time the command started. */
export function parseTime(value: string): Date {
  try {
    return parseSince(value, new Date());
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
