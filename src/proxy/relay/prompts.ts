// prompts/list, prompts/get and completion/complete for one client session: prompts are named like
// tools (`<upstream><separator><prompt>` with several upstreams), decided by the upstream's policy, and
// a completion's reference (a prompt name or a resource template URI) is mapped back and decided too.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CompleteRequestSchema, GetPromptRequestSchema, ListPromptsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { decidePrompt } from "../../policy/index.ts";
import type { UpstreamConnection } from "../upstream.ts";
import { enforceAccess } from "./access.ts";
import type { RelayedCapabilities } from "./capabilities.ts";
import { exposePromptMessages } from "./content.ts";
import { forwardOptions, forwardParams, upstreamOffering, type RelayCore } from "./core.ts";
import { promptNotFound, relayedError, resourceTemplateNotFound } from "./errors.ts";
import { listAcross, type ListPlan } from "./listing.ts";
import type { RelaySession } from "./sessions.ts";

/** Prompt handlers when prompts are offered; the completion handler when completions are. */
export function installPromptHandlers(server: Server, offered: RelayedCapabilities, session: RelaySession, core: RelayCore): void {
  if (offered.prompts) installPrompts(server, session, core);
  if (offered.completions) installCompletion(server, session, core);
}

function installPrompts(server: Server, session: RelaySession, core: RelayCore): void {
  const prompts: ListPlan = {
    method: "prompts/list",
    field: "prompts",
    capability: "prompts",
    expose: (upstream, policy, item) =>
      typeof item.name === "string" && decidePrompt(policy, item.name).kind === "allow" ? { ...item, name: core.naming.exposedName(upstream, item.name) } : null,
  };
  server.setRequestHandler(ListPromptsRequestSchema, (request, extra) =>
    listAcross(core, prompts, request.params?.cursor, { origin: { session: session.key, requestId: extra.requestId }, signal: extra.signal }),
  );
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const { upstream, name } = await resolvePrompt(core, session, request.params.name, true);
    try {
      const result = await upstream.request({ method: "prompts/get", params: { ...forwardParams(request.params), name } }, forwardOptions(session, extra, request.params));
      return { ...result, messages: exposePromptMessages(core.naming, upstream.name, result.messages) };
    } catch (error) {
      throw relayedError(error, upstream.name);
    }
  });
}

/** The upstream and its own name for an exposed prompt name the policy lets this session use; throws otherwise. */
async function resolvePrompt(core: RelayCore, session: RelaySession, exposed: string, isAudited: boolean) {
  const route = core.naming.resolve(exposed);
  const upstream = upstreamOffering(core, route?.upstream, "prompts");
  if (!route || !upstream) throw promptNotFound(exposed);
  // Hidden reads as the upstream's own "not found" would, naming its prompt.
  await enforceAccess(core, { kind: "prompt", upstream: upstream.name, name: route.tool, context: session.context(), isAudited }, () => promptNotFound(route.tool));
  return { upstream, name: route.tool };
}

async function resolveTemplate(core: RelayCore, session: RelaySession, exposed: string) {
  const route = core.naming.resolveUri(exposed);
  const upstream = upstreamOffering(core, route?.upstream, "resources");
  if (!route || !upstream) throw resourceTemplateNotFound(exposed);
  await enforceAccess(core, { kind: "resource", upstream: upstream.name, name: route.uri, context: session.context(), isAudited: false }, () => resourceTemplateNotFound(route.uri));
  return { upstream, uri: route.uri };
}

function installCompletion(server: Server, session: RelaySession, core: RelayCore): void {
  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const { ref } = request.params;
    let upstream: UpstreamConnection;
    let upstreamRef: typeof ref;
    if (ref.type === "ref/prompt") {
      const resolved = await resolvePrompt(core, session, ref.name, false);
      upstream = resolved.upstream;
      upstreamRef = { ...ref, name: resolved.name };
    } else {
      const resolved = await resolveTemplate(core, session, ref.uri);
      upstream = resolved.upstream;
      upstreamRef = { ...ref, uri: resolved.uri };
    }
    try {
      return await upstream.request({ method: "completion/complete", params: { ...forwardParams(request.params), ref: upstreamRef } }, forwardOptions(session, extra, request.params));
    } catch (error) {
      throw relayedError(error, upstream.name);
    }
  });
}
