// An upstream built on the TypeScript SDK v2 (@modelcontextprotocol/server): the 2026-07-28 revision,
// served with `createMcpHandler` on plain node:http. `legacy: "stateless"` (the SDK's default) also
// answers 2025-era clients one request at a time; `legacy: "reject"` answers only 2026-07-28.
// `delete_notes` asks its client for a confirmation the 2026-07-28 way (an `input_required` result).
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { acceptedContent, createMcpHandler, inputRequired, McpServer, type InMemoryServerEventBus } from "@modelcontextprotocol/server";
import { z } from "zod";

export interface ModernUpstream {
  url: string;
  /** How many times `record_note` ran. */
  runs(): number;
  /** Tells open `subscriptions/listen` streams that the tool list changed. */
  toolsChanged(): void;
  /** How many `subscriptions/listen` streams are open. */
  listeners(): number;
  close(): Promise<void>;
}

export async function startModernUpstream(legacy: "stateless" | "reject"): Promise<ModernUpstream> {
  let runs = 0;
  const handler = createMcpHandler(
    () => {
      const server = new McpServer({ name: "modern-notes", version: "2.4.0" });
      server.registerTool("record_note", { description: "Records a note", inputSchema: z.object({ text: z.string() }) }, async ({ text }) => {
        runs += 1;
        return { content: [{ type: "text", text: `recorded: ${text}` }] };
      });
      // Asks its client to confirm (2026-07-28: an input_required result, then the same call with the answer).
      const confirmation = z.object({ confirm: z.boolean() });
      server.registerTool("delete_notes", { description: "Deletes every note after a confirmation", inputSchema: z.object({}) }, async (_args, ctx) => {
        const answer = acceptedContent(ctx.mcpReq.inputResponses, "confirm", confirmation);
        if (answer === undefined) return inputRequired({ inputRequests: { confirm: inputRequired.elicit({ message: "Delete every note?", requestedSchema: confirmation }) } });
        if (!answer.confirm) return { content: [{ type: "text", text: "kept the notes" }] };
        runs = 0;
        return { content: [{ type: "text", text: "deleted the notes" }] };
      });
      server.registerTool("read_notes", { description: "Reads the notes", inputSchema: z.object({}) }, async () => ({ content: [{ type: "text", text: `${runs} notes` }] }));
      return server;
    },
    { legacy },
  );
  const http = createServer(async (req, res) => {
    try {
      const response = await handler.fetch(await toRequest(req));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    runs: () => runs,
    toolsChanged: () => handler.notify.toolsChanged(),
    listeners: () => (handler.bus as InMemoryServerEventBus).listenerCount,
    async close() {
      await handler.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

async function toRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
  const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
  return new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body });
}
