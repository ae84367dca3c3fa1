// Requests an upstream sends its client (sampling/createMessage, elicitation/create, roots/list) go to
// the agent session whose call caused them (routing.ts), on that call's stream, and its answer goes back
// unchanged. One that cannot be attributed is refused: a model or a person is never asked on another
// agent's behalf. roots/list that cannot be attributed is answered with no roots: the upstream's one
// session serves every agent, so roots it kept from one agent's client would apply to all of them.
// A session whose client lacks the capability gets the error that client would give.
import { ErrorCode, McpError, ResultSchema, type ClientCapabilities, type ClientResult, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { readOrigin, withoutOrigin } from "../origin.ts";
import type { ClientRequestExtra, ClientRequestHandler, UpstreamClientRequest, UpstreamConnection } from "../upstream.ts";
import type { RelayCore } from "./core.ts";
import { isRecord } from "./content.ts";
import { relayedError, WireError } from "./errors.ts";
import { routeFromUpstream } from "./routing.ts";
import { notifySession, type RelaySession } from "./sessions.ts";

/** The upstream decides how long it waits for a person or a model; the gateway adds no timeout of its own. */
const NO_TIMEOUT_MS = 2_147_483_647;

export interface ClientRequestRelay {
  handle: ClientRequestHandler;
  /** notifications/elicitation/complete goes to the session that was sent that URL elicitation. */
  deliverElicitationComplete(upstream: UpstreamConnection, params: { elicitationId: string }): void;
  dropSession(key: string): void;
}

export function createClientRequestRelay(core: RelayCore): ClientRequestRelay {
  /** `<upstream> <elicitationId>` → session key, for URL elicitations awaiting their completion notice. */
  const urlElicitations = new Map<string, string>();

  async function handle(upstreamName: string, request: UpstreamClientRequest, extra: ClientRequestExtra): Promise<ClientResult> {
    const upstream = core.upstreams.get(upstreamName);
    const route = routeFromUpstream(readOrigin(request.params), upstream?.inFlight() ?? []);
    const session = route.kind === "session" ? core.sessions.get(route.origin.session) : undefined;
    if (!session || route.kind !== "session") {
      if (request.method === "roots/list") return { roots: [] };
      core.logger.warn({ upstream: upstreamName, method: request.method, route: route.kind }, "upstream request not attributable to one client session; refused");
      throw new McpError(
        ErrorCode.InvalidRequest,
        `Gatehouse cannot tell which of its client sessions this ${request.method} request is for (${route.kind === "ambiguous" ? "requests of several sessions are in flight" : "it does not come with a request of a session that is still connected"}), so it is refused: no agent answers another agent's request.`,
      );
    }
    const params = withoutOrigin(request.params) as Record<string, unknown>;
    assertClientCanAnswer(session, request.method, params);
    const meta = isRecord(params._meta) ? params._meta : {};
    const { progressToken, ...otherMeta } = meta;
    // The client's progress token is the SDK's own (it asks for progress below when the upstream did).
    const forwarded: Record<string, unknown> = { ...params };
    delete forwarded._meta;
    if (Object.keys(otherMeta).length > 0) forwarded._meta = otherMeta;
    const isTokenValid = typeof progressToken === "string" || typeof progressToken === "number";
    try {
      const result = await session.server.request({ method: request.method, params: forwarded } as never, ResultSchema, {
        relatedRequestId: route.origin.requestId,
        signal: extra.signal,
        timeout: NO_TIMEOUT_MS,
        ...(isTokenValid && {
          onprogress: (progress: Progress) =>
            void extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken } }).catch(() => {}),
        }),
      });
      if (request.method === "elicitation/create" && params.mode === "url" && typeof params.elicitationId === "string") {
        urlElicitations.set(`${upstreamName} ${params.elicitationId}`, session.key);
      }
      return result as ClientResult;
    } catch (error) {
      throw relayedError(error, upstreamName);
    }
  }

  return {
    handle,
    deliverElicitationComplete(upstream, params) {
      const key = `${upstream.name} ${params.elicitationId}`;
      const session = core.sessions.get(urlElicitations.get(key) ?? "");
      urlElicitations.delete(key);
      if (session) notifySession(session, { method: "notifications/elicitation/complete", params: withoutOrigin(params) });
    },
    dropSession(key) {
      for (const [id, owner] of urlElicitations) if (owner === key) urlElicitations.delete(id);
    },
  };
}

/** The answer of a client with no handler for the method, word for word. */
function methodNotFound(): WireError {
  return new WireError(ErrorCode.MethodNotFound, "Method not found");
}

/** What an SDK client without that capability would answer, so the upstream sees the same error. */
function assertClientCanAnswer(session: RelaySession, method: UpstreamClientRequest["method"], params: Record<string, unknown>): void {
  const capabilities: ClientCapabilities = session.server.getClientCapabilities() ?? {};
  if (method === "roots/list" && !capabilities.roots) throw methodNotFound();
  if (method === "sampling/createMessage") {
    if (!capabilities.sampling) throw methodNotFound();
    if ((params.tools !== undefined || params.toolChoice !== undefined) && !capabilities.sampling.tools) {
      throw new McpError(ErrorCode.InvalidParams, "Client does not support sampling tools capability.");
    }
  }
  if (method === "elicitation/create") {
    const elicitation = capabilities.elicitation;
    if (!elicitation) throw methodNotFound();
    // An empty elicitation capability means form mode (the form it had before modes existed).
    const supportsForm = elicitation.form !== undefined || elicitation.url === undefined;
    if (params.mode === "url" ? elicitation.url === undefined : !supportsForm) {
      throw new McpError(ErrorCode.InvalidParams, `Client does not support ${params.mode === "url" ? "URL" : "form"}-mode elicitation requests`);
    }
  }
}
