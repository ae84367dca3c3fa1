// OAuth discovery, answered honestly. MCP clients (mcp-remote, the Inspector, the SDK) meet a 401 by looking
// for OAuth metadata and registering themselves with an authorization server. Gatehouse has none: agents
// present grant tokens made with `gatehouse grants create`. So /mcp's 401 points at Protected Resource
// Metadata (RFC 9728) that lists no authorization server, and every authorization-server address a client
// tries (RFC 8414 metadata, OpenID configuration, /register, /authorize, /token) answers a 404 that says
// what to do instead, in the OAuth error shape these clients print (RFC 6749 §5.2).
import { Router, type Request, type Response } from "express";

const GRANT_TOKEN_HELP =
  "This server needs a Gatehouse grant token, not an OAuth sign-in: send `Authorization: Bearer <grant token>` " +
  "(an operator creates one with `gatehouse grants create --name <agent>`). Gatehouse has no OAuth authorization server to register with or sign in to.";

/** Where a client learns how /mcp is protected (RFC 9728 §3.1: the path of /mcp appended). */
export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

export interface OAuthMetadataOptions {
  /** auth.mode "none": /mcp takes no token, so there is nothing to describe. */
  isTokenRequired: boolean;
  /** dashboard.publicUrl: its scheme applies when a request comes in under its host (TLS ends at a proxy). */
  publicUrl?: string | undefined;
}

/** The base URL a client used to reach this gateway: scheme and Host of the request. */
export function baseUrlOf(req: Request, publicUrl: string | undefined): string {
  const host = req.header("host") ?? "localhost";
  if (publicUrl) {
    const configured = new URL(publicUrl);
    if (configured.host === host.toLowerCase()) return configured.origin;
  }
  return `${req.protocol}://${host}`;
}

/** The body and WWW-Authenticate header of /mcp's 401 (RFC 6750 §3: an error code only when a token was sent). */
export function unauthorizedAnswer(req: Request, publicUrl: string | undefined): { challenge: string; message: string } {
  const metadataUrl = `${baseUrlOf(req, publicUrl)}${RESOURCE_METADATA_PATH}/mcp`;
  const presented = req.header("authorization") !== undefined;
  const challenge = presented
    ? `Bearer realm="gatehouse", resource_metadata="${metadataUrl}", error="invalid_token", error_description="The grant token is unknown or revoked"`
    : `Bearer realm="gatehouse", resource_metadata="${metadataUrl}"`;
  const message = presented
    ? "Unauthorized: the grant token is unknown or revoked. This server needs an active Gatehouse grant token in Authorization: Bearer <token> (see `gatehouse grants list`; create one with `gatehouse grants create --name <n>`)."
    : "Unauthorized: this server needs a Gatehouse grant token: send Authorization: Bearer <token> (create one with `gatehouse grants create --name <n>`). Gatehouse has no OAuth sign-in.";
  return { challenge, message };
}

export function createOAuthMetadataRouter(options: OAuthMetadataOptions): Router {
  const router = Router();
  const describe = (resourcePath: string) => (req: Request, res: Response) => {
    if (!options.isTokenRequired) return notServed(res, "no_token_required", "This gateway takes no token (auth.mode is \"none\"): connect to /mcp without one.");
    res.set("Cache-Control", "no-store").json({
      resource: `${baseUrlOf(req, options.publicUrl)}${resourcePath}`,
      resource_name: "Gatehouse MCP gateway",
      bearer_methods_supported: ["header"],
      // No authorization_servers: there is none to send a client to.
      gatehouse_grant_tokens: GRANT_TOKEN_HELP,
    });
  };
  router.get(RESOURCE_METADATA_PATH, describe(""));
  router.get(`${RESOURCE_METADATA_PATH}/mcp`, describe("/mcp"));
  router.all(`${RESOURCE_METADATA_PATH}/*rest`, (req, res) => notServed(res, "not_found", `No protected resource at ${req.path.slice(RESOURCE_METADATA_PATH.length)}: the MCP endpoint is /mcp. ${GRANT_TOKEN_HELP}`));
  const noAuthorizationServer = (_req: Request, res: Response) => notServed(res, "grant_token_required", GRANT_TOKEN_HELP);
  for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
    router.all(path, noAuthorizationServer);
    router.all(`${path}/*rest`, noAuthorizationServer);
  }
  for (const path of ["/mcp/.well-known/openid-configuration", "/register", "/authorize", "/token"]) router.all(path, noAuthorizationServer);
  return router;
}

/**
 * 404 in the OAuth error shape (RFC 6749 §5.2), not problem JSON: the clients that ask here are OAuth clients,
 * and they print `error_description` or the raw body ("Dynamic Client Registration rejected (HTTP 404): …").
 */
function notServed(res: Response, error: string, description: string): void {
  res.status(404).set("Cache-Control", "no-store").json({ error, error_description: description });
}
