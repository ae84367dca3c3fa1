// resources/list, resources/templates/list, resources/read, resources/subscribe and
// resources/unsubscribe for one client session: routed by the exposed URI, decided by the upstream's
// policy (a template is decided as if its text were a URI), and answered with exposed URIs.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { decideResource } from "../../policy/index.ts";
import { enforceAccess } from "./access.ts";
import { exposeContents } from "./content.ts";
import { forwardOptions, forwardParams, upstreamOffering, type RelayCore } from "./core.ts";
import { relayedError, resourceNotFound } from "./errors.ts";
import { listAcross, type ListPlan } from "./listing.ts";
import type { RelayedCapabilities } from "./capabilities.ts";
import type { RelaySession } from "./sessions.ts";
import type { Subscriptions } from "./subscriptions.ts";

export function installResourceHandlers(server: Server, offered: RelayedCapabilities, session: RelaySession, core: RelayCore, subscriptions: Subscriptions): void {
  const resources: ListPlan = {
    method: "resources/list",
    field: "resources",
    capability: "resources",
    expose: (upstream, policy, item) =>
      typeof item.uri === "string" && decideResource(policy, item.uri).kind === "allow" ? { ...item, uri: core.naming.exposedUri(upstream, item.uri) } : null,
  };
  const templates: ListPlan = {
    method: "resources/templates/list",
    field: "resourceTemplates",
    capability: "resources",
    expose: (upstream, policy, item) =>
      typeof item.uriTemplate === "string" && decideResource(policy, item.uriTemplate).kind === "allow"
        ? { ...item, uriTemplate: core.naming.exposedUri(upstream, item.uriTemplate) }
        : null,
  };
  const origin = (requestId: string | number) => ({ session: session.key, requestId });

  server.setRequestHandler(ListResourcesRequestSchema, (request, extra) =>
    listAcross(core, resources, request.params?.cursor, { origin: origin(extra.requestId), signal: extra.signal }),
  );
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (request, extra) =>
    listAcross(core, templates, request.params?.cursor, { origin: origin(extra.requestId), signal: extra.signal }),
  );

  /** The upstream and its own URI for an exposed URI the policy lets this session use; throws otherwise. */
  async function resolve(exposed: string, isAudited: boolean) {
    const route = core.naming.resolveUri(exposed);
    const upstream = upstreamOffering(core, route?.upstream, "resources");
    if (!route || !upstream) throw resourceNotFound(exposed);
    // Hidden reads as the upstream's own "not found" would, naming its URI.
    await enforceAccess(core, { kind: "resource", upstream: upstream.name, name: route.uri, context: session.context(), isAudited }, () => resourceNotFound(route.uri));
    return { upstream, uri: route.uri };
  }

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const { upstream, uri } = await resolve(request.params.uri, true);
    try {
      const result = await upstream.request({ method: "resources/read", params: { ...forwardParams(request.params), uri } }, forwardOptions(session, extra, request.params));
      return { ...result, contents: exposeContents(core.naming, upstream.name, result.contents) };
    } catch (error) {
      throw relayedError(error, upstream.name);
    }
  });
  if (!offered.resources?.subscribe) return;
  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const { upstream, uri } = await resolve(request.params.uri, false);
    return subscriptions.subscribe(session, upstream, uri, forwardParams(request.params), forwardOptions(session, extra, request.params));
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
    const route = core.naming.resolveUri(request.params.uri);
    const upstream = upstreamOffering(core, route?.upstream, "resources");
    if (!route || !upstream) throw resourceNotFound(request.params.uri);
    return subscriptions.unsubscribe(session, upstream, route.uri, forwardParams(request.params), forwardOptions(session, extra, request.params));
  });
}
