// The SmartLead-shaped demo upstream served over Streamable HTTP in this process, so a test can count
// how often the upstream really ran a tool, whichever gateway (or gateway process) forwarded it.
import { startSmartleadHttpServer, type SmartleadHttpServer } from "../../examples/smartlead/http.ts";
import { countToolCalls } from "../../examples/smartlead/state.ts";

export interface CountingUpstream {
  /** Upstream config for gatehouse.json / startTestGateway. */
  config: { url: string };
  server: SmartleadHttpServer;
  /** How many times the upstream ran `tool`. */
  runs(tool: string): number;
  close(): Promise<void>;
}

export async function startCountingUpstream(options: { stepDelayMs?: number } = {}): Promise<CountingUpstream> {
  const server = await startSmartleadHttpServer({ port: 0, stepDelayMs: options.stepDelayMs ?? 0 });
  return {
    config: { url: server.url },
    server,
    runs: (tool) => countToolCalls(server.state, tool),
    close: () => server.close(),
  };
}
