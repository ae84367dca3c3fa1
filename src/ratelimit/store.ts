import type { QuotaRequest } from "./keys.ts";

export interface Reservation {
  requests: readonly QuotaRequest[];
}

export type ReserveResult =
  | { ok: true; reservation: Reservation }
  | { ok: false; exceeded: QuotaRequest; retryAfterSeconds: number };

/** Reserves one unit on every counter of a call, all or nothing, and gives it back if the call fails. */
export interface QuotaStore {
  readonly kind: "redis" | "sql";
  reserve(requests: readonly QuotaRequest[], now: number): Promise<ReserveResult>;
  release(reservation: Reservation): Promise<void>;
  close(): Promise<void>;
}

export const NO_RESERVATION: Reservation = { requests: [] };
