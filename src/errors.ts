// Internal error family: broken infrastructure and bugs. Expected outcomes (deny, rate-limited,
// already decided) are values, never exceptions. `toWireMessage` is the one mapper to what a client sees.

export type GatewayErrorCode =
  | "config_invalid"
  | "policy_invalid"
  | "upstream_unavailable"
  | "upstream_failed"
  /** The call reached the upstream but no answer came back (connection lost, timeout, cancelled): it may have run. */
  | "upstream_outcome_unknown"
  | "storage_unavailable"
  | "audit_unavailable"
  | "ratelimit_unavailable"
  | "redis_misconfigured"
  | "unknown_tool"
  | "unauthorized"
  | "internal";

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { retryable?: boolean; context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

// Infrastructure errors carry driver text (SQL, hosts) for operators' logs; agents get a fixed sentence.
const WIRE_TEXT: Partial<Record<GatewayErrorCode, string>> = {
  storage_unavailable: "Gatehouse's database is unavailable",
  audit_unavailable: "Gatehouse's audit log is unavailable",
  ratelimit_unavailable: "Gatehouse's rate-limit store is unavailable",
  internal: "Internal gateway error",
};

/** The text a client may see for an unexpected failure: codes and messages of our own errors, nothing else. */
export function toWireMessage(error: unknown): { code: GatewayErrorCode; message: string } {
  if (isGatewayError(error)) return { code: error.code, message: WIRE_TEXT[error.code] ?? error.message };
  return { code: "internal", message: WIRE_TEXT.internal! };
}
