// Node 20's JSON.parse does not always say where a document broke ("Unexpected token '}'"), and a
// policy author needs a line and column. This scanner only runs after JSON.parse has failed.

export interface JsonSyntaxProblem {
  line: number;
  column: number;
  message: string;
}

export function locateJsonSyntaxError(text: string): JsonSyntaxProblem {
  const scanner = new Scanner(text);
  const failure = scanner.document();
  const offset = failure?.offset ?? text.length;
  const before = text.slice(0, offset).split("\n");
  return {
    line: before.length,
    column: (before.at(-1)?.length ?? 0) + 1,
    message: failure?.message ?? "invalid JSON",
  };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

interface Failure {
  offset: number;
  message: string;
}

class Scanner {
  private index = 0;
  constructor(private readonly text: string) {}

  document(): Failure | null {
    const failure = this.value();
    if (failure) return failure;
    this.skipWhitespace();
    return this.index < this.text.length ? this.fail("unexpected text after the end of the document") : null;
  }

  private value(): Failure | null {
    this.skipWhitespace();
    const char = this.text[this.index];
    if (char === undefined) return this.fail("unexpected end of input, expected a value");
    if (char === "{") return this.object();
    if (char === "[") return this.array();
    if (char === '"') return this.string();
    if (char === "-" || (char >= "0" && char <= "9")) return this.number();
    for (const word of ["true", "false", "null"]) {
      if (this.text.startsWith(word, this.index)) {
        this.index += word.length;
        return null;
      }
    }
    return this.fail(`unexpected ${describe(char)}, expected a value`);
  }

  private object(): Failure | null {
    this.index += 1;
    this.skipWhitespace();
    if (this.text[this.index] === "}") return this.advance();
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.index] !== '"') return this.fail(`unexpected ${this.current()}, expected a double-quoted property name`);
      const keyFailure = this.string();
      if (keyFailure) return keyFailure;
      this.skipWhitespace();
      if (this.text[this.index] !== ":") return this.fail(`unexpected ${this.current()}, expected ":"`);
      this.index += 1;
      const valueFailure = this.value();
      if (valueFailure) return valueFailure;
      this.skipWhitespace();
      if (this.text[this.index] === "}") return this.advance();
      if (this.text[this.index] !== ",") return this.fail(`unexpected ${this.current()}, expected "," or "}"`);
      this.index += 1;
    }
  }

  private array(): Failure | null {
    this.index += 1;
    this.skipWhitespace();
    if (this.text[this.index] === "]") return this.advance();
    for (;;) {
      const failure = this.value();
      if (failure) return failure;
      this.skipWhitespace();
      if (this.text[this.index] === "]") return this.advance();
      if (this.text[this.index] !== ",") return this.fail(`unexpected ${this.current()}, expected "," or "]"`);
      this.index += 1;
    }
  }

  private string(): Failure | null {
    this.index += 1;
    for (;;) {
      const char = this.text[this.index];
      if (char === undefined) return this.fail("unterminated string");
      if (char === '"') return this.advance();
      if (char < " ") return this.fail(`invalid character ${describe(char)} in string`);
      if (char === "\\") {
        const escape = this.text.slice(this.index + 1, this.index + 6);
        if (!/^(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(escape)) return this.fail("invalid escape in string");
        this.index += escape.startsWith("u") ? 6 : 2;
        continue;
      }
      this.index += 1;
    }
  }

  private number(): Failure | null {
    NUMBER.lastIndex = this.index;
    if (!NUMBER.test(this.text)) return this.fail("invalid number");
    this.index = NUMBER.lastIndex;
    return null;
  }

  private skipWhitespace(): void {
    while (/[ \t\r\n]/.test(this.text[this.index] ?? "")) this.index += 1;
  }

  private advance(): null {
    this.index += 1;
    return null;
  }

  private current(): string {
    const char = this.text[this.index];
    return char === undefined ? "end of input" : describe(char);
  }

  private fail(message: string): Failure {
    return { offset: this.index, message };
  }
}

function describe(char: string): string {
  return JSON.stringify(char);
}

/**
 * Where the field a JSON Pointer names is written in a valid JSON text (its key, for an object member),
 * or its nearest existing ancestor when the field is missing: so an editor can underline the problem.
 */
export function locateJsonPointer(text: string, pointer: string): { line: number; column: number } {
  const segments = pointer === "" ? [] : pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  let index = skipSpace(text, text.startsWith("\uFEFF") ? 1 : 0);
  let found = index;
  for (const segment of segments) {
    const member = text[index] === "{" ? findMember(text, index, segment) : text[index] === "[" ? findItem(text, index, Number(segment)) : null;
    if (member === null) break;
    found = member.at;
    index = member.value;
  }
  const before = text.slice(0, found).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function findMember(text: string, open: number, name: string): { at: number; value: number } | null {
  let index = skipSpace(text, open + 1);
  while (text[index] === '"') {
    const keyEnd = skipValue(text, index);
    const key = JSON.parse(text.slice(index, keyEnd)) as string;
    const value = skipSpace(text, skipSpace(text, keyEnd) + 1);
    if (key === name) return { at: index, value };
    index = skipSpace(text, skipValue(text, value));
    if (text[index] !== ",") return null;
    index = skipSpace(text, index + 1);
  }
  return null;
}

function findItem(text: string, open: number, wanted: number): { at: number; value: number } | null {
  let index = skipSpace(text, open + 1);
  for (let position = 0; text[index] !== "]" && index < text.length; position++) {
    if (position === wanted) return { at: index, value: index };
    index = skipSpace(text, skipValue(text, index));
    if (text[index] !== ",") return null;
    index = skipSpace(text, index + 1);
  }
  return null;
}

/** End offset of the value starting at `index` (the text is known to be valid JSON). */
function skipValue(text: string, index: number): number {
  let depth = 0;
  let at = index;
  do {
    const char = text[at];
    if (char === '"') {
      at += 1;
      while (text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
    } else if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") depth -= 1;
    else if (depth === 0) {
      while (at < text.length && !/[\s,\]}]/.test(text[at]!)) at += 1;
      return at;
    }
    at += 1;
  } while (depth > 0 && at < text.length);
  return at;
}

function skipSpace(text: string, index: number): number {
  let at = index;
  while (/[ \t\r\n]/.test(text[at] ?? "")) at += 1;
  return at;
}
