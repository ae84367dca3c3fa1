// The CLI's side of the admin API: JSON over node:http (no fetch: its first use costs more start-up time
// than a whole command may take). Every request says it comes from the CLI (X-Gatehouse-Client: cli),
// so votes and policy saves are recorded with channel / source "cli". An answer with a problem document
// becomes a CommandFailed carrying its detail: one line for the user, exit 1.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { CommandFailed } from "./usage.ts";

export type Query = Record<string, string | number | boolean | undefined>;

export interface GatewayClient {
  readonly url: string;
  get<T>(path: string, query?: Query): Promise<T>;
  send<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T>;
}

/** A refusal from the gateway: its problem document's detail; a refused policy also lists each problem. */
export class GatewayRefusal extends CommandFailed {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail: string, errors: ReadonlyArray<{ path: string; message: string }>) {
    super(detail, code === "invalid_policy" ? errors.map((e) => `${e.path || "/"}: ${e.message}`) : []);
    this.status = status;
    this.code = code;
  }
}

export function createGatewayClient(url: string, token: string | undefined): GatewayClient {
  const base = url.replace(/\/+$/, "");
  const call = async (method: string, path: string, query: Query | undefined, body: unknown, accept: string) => {
    const target = new URL(`${base}/api${path}${queryString(query)}`);
    const headers: Record<string, string> = { accept, "x-gatehouse-client": "cli" };
    if (token) headers.authorization = `Bearer ${token}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers["content-type"] = "application/json";
    const response = await send(target, method, headers, payload, base);
    if (response.status >= 400) throw refusal(response, base);
    return response.text;
  };
  return {
    url: base,
    async get<T>(path: string, query?: Query) {
      return JSON.parse(await call("GET", path, query, undefined, "application/json")) as T;
    },
    async send<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown) {
      const text = await call(method, path, undefined, body, "application/json");
      return (text === "" ? undefined : JSON.parse(text)) as T;
    },
  };
}

function queryString(query: Query | undefined): string {
  const entries = Object.entries(query ?? {}).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined);
  return entries.length === 0 ? "" : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

function send(target: URL, method: string, headers: Record<string, string>, payload: string | undefined, base: string): Promise<RawResponse> {
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method, headers }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", (error: NodeJS.ErrnoException) => reject(new CommandFailed(`cannot reach the gateway at ${base}: ${error.code ?? error.message}`)));
    req.end(payload);
  });
}

function refusal(response: RawResponse, base: string): GatewayRefusal {
  if (response.contentType.includes("json")) {
    try {
      const problem = JSON.parse(response.text) as { code?: unknown; detail?: unknown; errors?: unknown };
      if (typeof problem.detail === "string") {
        const errors = Array.isArray(problem.errors) ? (problem.errors as Array<{ path: string; message: string }>) : [];
        return new GatewayRefusal(response.status, String(problem.code ?? response.status), problem.detail, errors);
      }
    } catch {
      // not a problem document: described below
    }
  }
  return new GatewayRefusal(response.status, String(response.status), `the gateway at ${base} answered HTTP ${response.status}${response.text ? `: ${response.text.trim().slice(0, 200)}` : ""}`, []);
}
