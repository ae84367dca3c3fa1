// Redaction before anything reaches the audit tables, Slack or logs: values under secret-sounding keys,
// and substrings that look like credentials whatever the key. The hash is taken over the UNREDACTED
// canonical form, so a reviewer can still prove which exact arguments a row stands for.
import { canonicalJson, sha256Hex } from "./canonical.ts";
import { toStorableJson } from "./storable.ts";

export const REDACTED = "[REDACTED]";

/**
 * `redacted`: what may be shown and stored (secrets replaced, then NUL and unpaired surrogates escaped,
 * see storable.ts); `hash`: SHA-256 of the caller's original arguments in canonical JSON.
 */
export function redactArguments(args: unknown): { redacted: unknown; hash: string } {
  return { redacted: toStorableJson(redactValue(args)), hash: sha256Hex(canonicalJson(args)) };
}

/** Credentials inside free text (log lines, error messages, Slack text) replaced by `[REDACTED]`. */
export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_VALUE_PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  out = out.replace(KEY_VALUE, (match, key: string, separator: string) =>
    isSecretKey(key) ? `${key}${separator}${REDACTED}` : match,
  );
  return out.replace(LONG_TOKEN, (candidate) => (looksRandom(candidate) ? REDACTED : candidate));
}

/** True for keys such as `password`, `apiKey`, `X-Auth-Token`, `client_secret` (but not `api_key_id`). */
export function isSecretKey(key: string): boolean {
  const words = splitWords(key);
  const last = words.at(-1);
  if (last === undefined) return false;
  if (words.length > 1 && NOT_SECRET_SUFFIXES.has(last)) return false;
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  for (let i = 1; i < words.length; i++) if (SECRET_PAIRS.has(`${words[i - 1]} ${words[i]}`)) return true;
  const collapsed = words.join("");
  return SECRET_FRAGMENTS.some((fragment) => collapsed.includes(fragment));
}

/** Redacts a JSON-like value (no hash): what `redactArguments` stores. */
export function redactValue(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== "object") return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return redactValue((value as { toJSON: () => unknown }).toJSON());
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty: a "__proto__" key stays a key instead of replacing the prototype.
    Object.defineProperty(out, key, { value: isSecretKey(key) && !isHarmless(item) ? REDACTED : redactValue(item), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// null and booleans carry no secret ("auth": false), and keeping them keeps rows readable.
function isHarmless(value: unknown): boolean {
  return value === null || value === undefined || typeof value === "boolean";
}

function splitWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

const SECRET_WORDS = new Set([
  "password", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "auth", "authorization",
  "cookie", "cookies", "credential", "credentials", "apikey", "privatekey", "clientsecret",
]);
const SECRET_PAIRS = new Set([
  "api key", "private key", "client secret", "session key", "session token", "session secret", "access key",
  "secret key", "access token", "refresh token", "id token", "bearer token", "set cookie", "signing key",
  "encryption key", "master key",
]);
// For keys written without separators: `smtppassword`, `xapikey`, `AUTHTOKEN`.
const SECRET_FRAGMENTS = [
  "password", "passwd", "passphrase", "secret", "apikey", "privatekey", "accesstoken", "refreshtoken",
  "authtoken", "sessiontoken", "sessionkey", "authorization", "credential", "cookie",
];
// `api_key_id`, `token_type`, `auth_url`, `password_length`: about a secret, not the secret.
const NOT_SECRET_SUFFIXES = new Set([
  "id", "ids", "type", "types", "count", "length", "len", "name", "names", "url", "uri", "endpoint",
  "method", "methods", "mode", "enabled", "required", "expiry", "expires", "ttl", "at", "policy", "header",
]);

// Each pattern replaces the whole credential, including a scheme word such as "Bearer".
const SECRET_VALUE_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /\bBearer\s+(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{8,}=*/gi,
  /\b(?:Basic|Digest)\s+(?=[A-Za-z0-9+/]*\d)[A-Za-z0-9+/]{12,}={0,2}/g,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /\bsk-(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}/g,
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bxapp-[A-Za-z0-9-]{10,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{22,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g,
];
// scheme://user:password@host
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^@\s/?#]+@/gi;
// password=…, "api_key": "…", Authorization: Basic …, ?token=…
const KEY_VALUE =
  /([A-Za-z_][A-Za-z0-9_.-]*)(["']?\s*[:=]\s*["']?)((?:(?:Basic|Bearer|Digest|Token)\s+)?(?!\[REDACTED\])[^\s"'&,;}\]]+)/g;
// Runs of base64/base64url/hex characters long enough to be a key; `looksRandom` decides.
const LONG_TOKEN = /[A-Za-z0-9+/=_-]{32,}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Random-looking means: hex with letters and digits, or base64-ish text whose characters switch class
 * (lower/upper/digit) far more often than words and identifiers do. Slugs and paths split on their
 * separators first, so `Campaign-Q3-2024-Outbound-Enterprise` and `/Users/ann/Documents` stay readable.
 */
export function looksRandom(candidate: string): boolean {
  const token = candidate.replace(/=+$/, "");
  if (token.length < 32 || UUID.test(token)) return false;
  if (/^[0-9a-f]+$/i.test(token)) return /\d/.test(token) && /[a-f]/i.test(token);
  const separators = token.match(/[-_/+]/g)?.length ?? 0;
  const joined = token.replace(/[-_/+]/g, "");
  if (separators / token.length <= 0.1) return isRandomSegment(joined);
  // Many separators: either words joined by them, or random text that happens to hold several.
  if (token.split(/[-_/+]/).some((segment) => segment.length >= 16 && isRandomSegment(segment))) return true;
  return classSwitchRate(joined) >= 0.45 && shannonEntropy(joined) >= 4.2 && /\d/.test(joined);
}

function isRandomSegment(segment: string): boolean {
  if (!/\d/.test(segment) || !/[A-Za-z]/.test(segment)) return false;
  if (shannonEntropy(segment) < 3.5) return false;
  const digitShare = (segment.match(/\d/g)?.length ?? 0) / segment.length;
  return classSwitchRate(segment) >= 0.3 || (digitShare >= 0.15 && shannonEntropy(segment) >= 4);
}

function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function classSwitchRate(text: string): number {
  const classOf = (char: string) => (char >= "a" && char <= "z" ? 0 : char >= "A" && char <= "Z" ? 1 : char >= "0" && char <= "9" ? 2 : 3);
  let switches = 0;
  for (let i = 1; i < text.length; i++) if (classOf(text[i] ?? "") !== classOf(text[i - 1] ?? "")) switches++;
  return switches / (text.length - 1);
}
