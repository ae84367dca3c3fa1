// Wire errors for HTTP: JSON-RPC error objects on /mcp, problem JSON on /api.
import type { NextFunction, Request, Response } from "express";

export function jsonRpcError(code: number, message: string, id: string | number | null = null) {
  return { jsonrpc: "2.0" as const, error: { code, message }, id };
}

/** The answer to an /mcp body that is not JSON. */
export const MCP_PARSE_ERROR = jsonRpcError(-32700, "Parse error: the request body is not valid JSON");

/** RFC 9457 problem details: `code` (also the `title`) is the stable code clients branch on, `detail` the sentence for people. */
export function problem(res: Response, status: number, code: string, detail: string, errors?: ReadonlyArray<{ path: string; message: string }>): void {
  res
    .status(status)
    .type("application/problem+json")
    .json({ type: `urn:gatehouse:problem:${code}`, title: code, code, status, detail, ...(errors && errors.length > 0 ? { errors } : {}) });
}

/** Body-parser failures (bad JSON, oversize) become precise answers instead of HTML stack traces. */
export function createErrorHandler(onUnexpected: (error: unknown) => void) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const err = error as { type?: string; status?: number; limit?: number };
    const isMcp = req.path.startsWith("/mcp");
    if (err.type === "entity.parse.failed") {
      if (isMcp) res.status(400).json(MCP_PARSE_ERROR);
      else problem(res, 400, "invalid_json", "The request body is not valid JSON");
      return;
    }
    if (err.type === "entity.too.large") {
      const detail = `Request body exceeds the limit of ${err.limit ?? "?"} bytes`;
      if (isMcp) res.status(413).json(jsonRpcError(-32600, detail));
      else problem(res, 413, "body_too_large", detail);
      return;
    }
    onUnexpected(error);
    if (isMcp) res.status(500).json(jsonRpcError(-32603, "Internal gateway error"));
    else problem(res, 500, "internal", "Internal gateway error");
  };
}
