// Which agent session gets what an upstream sends on its own initiative (sampling, elicitation and roots
// requests, log messages). Pure. The rule, in order:
//   1. the message is stamped with the agent request it arrived for (Streamable HTTP: its POST stream);
//   2. otherwise, when every request in flight to that upstream was sent for one and the same session,
//      that session (its most recent request) — a stdio upstream's messages during one agent's call;
//   3. otherwise nobody can be named: "none" when nothing is in flight, "ambiguous" when requests of
//      several sessions (or requests sent for no agent) are in flight. Callers fail closed on both:
//      one session's sampling or elicitation never goes to another session.
import type { Origin } from "../origin.ts";

export type Route = { kind: "session"; origin: Origin } | { kind: "none" } | { kind: "ambiguous" };

export function routeFromUpstream(stamped: Origin | null, inFlight: ReadonlyArray<Origin | null>): Route {
  if (stamped) return { kind: "session", origin: stamped };
  if (inFlight.length === 0) return { kind: "none" };
  const last = inFlight.at(-1);
  if (!last || inFlight.some((origin) => origin === null || origin.session !== last.session)) return { kind: "ambiguous" };
  return { kind: "session", origin: last };
}
