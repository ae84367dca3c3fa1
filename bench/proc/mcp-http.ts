// The raw MCP Streamable HTTP client of the benchmark processes: JSON-RPC POSTs over a keep-alive
// node:http agent, carrying the session id once `initialize` has returned one.
import { Agent, request } from "node:http";

export interface Posted {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

export function createMcpPoster(url: string, options: { token?: string; sockets: number }) {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(1, options.sockets) });
  const session: { id?: string } = {};

  /** One POST; `onData` sees the body as it streams (held requests send heartbeats long before the end). */
  function post(body: unknown, onData?: (chunk: string) => void): Promise<Posted> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "content-length": Buffer.byteLength(payload),
            ...(options.token && { authorization: `Bearer ${options.token}` }),
            ...(session.id && { "mcp-session-id": session.id, "mcp-protocol-version": "2025-11-25" }),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
            onData?.(chunk);
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  return {
    post,
    /** initialize + notifications/initialized; keeps the session id the server returned, if any. */
    async initialize(clientName: string): Promise<void> {
      const init = await post({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: clientName, version: "1" } } });
      if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status}: ${init.text.slice(0, 200)}`);
      const header = init.headers["mcp-session-id"];
      session.id = typeof header === "string" ? header : undefined;
      await post({ jsonrpc: "2.0", method: "notifications/initialized" });
    },
    close: () => agent.destroy(),
  };
}
