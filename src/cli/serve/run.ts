// `gatehouse start` and `gatehouse stdio`: run the gateway in this process, print the banner, stop cleanly on
// the first signal.
import { resolve } from "node:path";
import { openEmbeddedDatabase, type EmbeddedDatabase } from "../../db/embedded.ts";
import type { Logger } from "../../log/index.ts";
import type { GatewayInstance } from "../../main.ts";
import { PROJECT_ROOT } from "../../package-root.ts";
import type { Gateway, SessionEnd } from "../../proxy/index.ts";
import type { CliContext } from "../context.ts";
import { print } from "../output.ts";
import { dataDirOf as locateCliDataDir } from "../target.ts";
import type { GlobalOptions } from "../usage.ts";
import { CommandFailed, UsageError } from "../usage.ts";

/** `gatehouse start`: the gateway over HTTP until a signal stops it. */
export async function runStart(globals: GlobalOptions): Promise<void> {
  const { instance, logger } = await launch(globals, { isHttp: true });
  print(startupBanner(instance));
  await untilSignal(instance, logger);
}

/**
 * Starts the gateway of this deployment in this process. The embedded database (when there is no
 * DATABASE_URL) starts first, in its own thread, from the data directory found without loading the
 * config: the WebAssembly Postgres boots while Node loads the config and the gateway's modules, which
 * takes most of a second off a start. If the full config names another data directory after all, that
 * start is closed and the gateway opens the right one; the database is closed here if the gateway fails
 * before taking it over.
 */
async function launch(
  globals: GlobalOptions,
  options: { isHttp: boolean; defaultLogLevel?: string; check?: (context: CliContext) => void | Promise<void> },
): Promise<{ instance: GatewayInstance; logger: Logger; context: CliContext }> {
  let logger: Logger | undefined;
  const onFailure = (error: Error) => {
    const message = "the embedded database failed; requests that need it fail until the gateway is restarted";
    if (logger) logger.error({ err: error.message }, message);
    else process.stderr.write(`gatehouse: ${message}: ${error.message}\n`);
  };
  const earlyDir = process.env.DATABASE_URL ? undefined : await locateCliDataDir(globals);
  let embedded: Promise<EmbeddedDatabase> | undefined = earlyDir ? openEmbeddedDatabase(earlyDir, { onFailure }) : undefined;
  embedded?.catch(() => {}); // reported where the gateway awaits it
  const closeEmbedded = () => embedded?.then((database) => database.close()).catch(() => {});
  try {
    const [{ loadCliContext }, { dataDirOf }, { createLogger }] = await Promise.all([import("../context.ts"), import("../../config/index.ts"), import("../../log/index.ts")]);
    const context = await loadCliContext(globals);
    await options.check?.(context);
    logger = createLogger(context.env.LOG_LEVEL ?? options.defaultLogLevel);
    if (earlyDir && resolve(dataDirOf(context.config, context.env)) !== earlyDir) {
      await closeEmbedded();
      embedded = undefined;
    }
    const { startGateway } = await import("../../main.ts");
    const instance = await startGateway({ ...context, logger, isHttp: options.isHttp, embedded });
    return { instance, logger, context };
  } catch (error) {
    await closeEmbedded();
    throw error;
  }
}

/** `gatehouse stdio`: MCP over stdin/stdout for desktop clients, acting as one grant. */
export async function runStdio(options: { grant?: string }, globals: GlobalOptions): Promise<void> {
  let grantName = options.grant;
  const check = async ({ config, env }: CliContext) => {
    grantName ??= config.isDemo ? "demo" : undefined;
    if (!grantName) throw new UsageError("gatehouse stdio needs --grant <name> (see `gatehouse grants list`)");
    const { separateStateNotice } = await import("./separate-state.ts");
    const notice = await separateStateNotice(config, env);
    if (notice) process.stderr.write(`${notice}\n`);
  };
  const { instance, logger } = await launch(globals, { isHttp: false, defaultLogLevel: "warn", check });
  const [{ createDownstreamServer }, { StdioServerTransport }] = await Promise.all([import("../../proxy/index.ts"), import("@modelcontextprotocol/sdk/server/stdio.js")]);
  const grant = await instance.grants.findByName(grantName!);
  if (!grant || grant.revokedAt) {
    await instance.close();
    throw new CommandFailed(`No active grant named "${grantName}" (see \`gatehouse grants list\`).`);
  }
  const sessionId = `stdio-${process.pid}`;
  // Closing stdin is the client ending the session: calls it still waits for are cancelled. A
  // signal stops the gateway: held calls get their pending answer and stay open.
  let endReason: SessionEnd | null = null;
  const calls = trackCalls(instance.gateway);
  const server = createDownstreamServer(calls.gateway, { grant, sessionId: () => sessionId, endReason: () => endReason }, { tasks: instance.tasksFor(grant), logger });
  const transport = new StdioServerTransport();
  let exiting: Promise<never> | undefined;
  // The client went away: end the session, let its calls record their cancellation (the database is
  // still open), then close and exit 0 like the signal path does.
  // (Started on the next tick: server.close() calls transport.onclose, which lands here again.)
  const endSession = () =>
    (exiting ??= Promise.resolve().then(async () => {
      endReason ??= "ended";
      await server.close();
      await calls.settled(CALLS_GRACE_MS);
      return closeAndExit(instance, logger);
    }));
  transport.onclose = () => void endSession();
  process.stdin.on("end", () => void endSession());
  await server.connect(transport);
  await untilSignal(
    instance,
    logger,
    () => {
      endReason ??= "stopping";
    },
    () => (exiting ??= closeAndExit(instance, logger)),
  );
}

/** How long a client that closed stdin waits for its calls to record their end before the gateway closes anyway. */
const CALLS_GRACE_MS = 10_000;

/** The gateway with its tool calls counted, so the end of a session can wait for them to finish. */
function trackCalls(gateway: Gateway): { gateway: Gateway; settled(timeoutMs: number): Promise<void> } {
  const running = new Set<Promise<unknown>>();
  const callTool: Gateway["callTool"] = (...args) => {
    const call = gateway.callTool(...args);
    running.add(call);
    void call.finally(() => running.delete(call)).catch(() => {});
    return call;
  };
  return {
    gateway: { ...gateway, callTool },
    async settled(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}

// The first SIGINT/SIGTERM closes everything this process opened, then the process exits. It does not
// wait for the event loop to drain: work that outlived the close (a request still waiting for a timer, a
// socket some library keeps) can do nothing useful any more, and must not hold a deploy until SIGKILL.
// A second signal while closing gets Node's default: immediate termination.
async function untilSignal(instance: GatewayInstance, logger: Logger, onSignal?: () => void, stop = () => closeAndExit(instance, logger)): Promise<never> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ signal }, "stopping");
  onSignal?.();
  return stop();
}

async function closeAndExit(instance: GatewayInstance, logger: Logger): Promise<never> {
  await instance.close();
  logger.debug({ handles: process.getActiveResourcesInfo() }, "closed; exiting");
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.exit(process.exitCode ?? 0);
}

/** What `gatehouse start` prints once the gateway listens. */
export function startupBanner(instance: GatewayInstance): string {
  const mcpUrl = `${instance.url}/mcp`;
  const token = instance.demoToken ?? "<grant token from `gatehouse grants create --name <n>`>";
  const upstreams = [...instance.upstreams.keys()].join(", ");
  const bin = resolve(PROJECT_ROOT, "bin/gatehouse.js");
  const lines = [
    `Gatehouse is listening on ${instance.url}  (storage: ${instance.storageMode}${instance.config.isDemo ? ", demo config" : ""}; upstreams: ${upstreams})`,
    "",
    `  MCP endpoint   ${mcpUrl}`,
    instance.demoToken ? `  Demo token     ${instance.demoToken}` : `  Grant tokens   gatehouse grants create --name <agent>`,
    `  Dashboard      ${instance.url}/`,
    `  Health         ${instance.url}/readyz   Metrics ${instance.url}/metrics`,
    instance.slackMode
      ? `  Slack          on (${instance.slackMode === "socket" ? "Socket Mode" : `HTTP: ${instance.url}/slack/events`})`
      : "  Slack          off (no SLACK_BOT_TOKEN): decide held calls with `gatehouse approvals list|approve|deny` or /api/approvals",
  ];
  if (instance.slackMode) {
    const channel = instance.approvalsChannel;
    lines.push(
      channel
        ? `  Approvals to   ${channel.id}  (from ${channel.source}; a policy's approval.channel overrides it)`
        : "  Approvals to   no default channel: set SLACK_CHANNEL or approvals.channel, or approval.channel in each policy",
    );
  }
  if (instance.adminToken && instance.config.isDemo && !process.env.GATEHOUSE_ADMIN_TOKEN) lines.push(`  Admin token    ${instance.adminToken}  (for /api; set GATEHOUSE_ADMIN_TOKEN to fix it)`);
  const cursor = { mcpServers: { gatehouse: { url: mcpUrl, headers: { Authorization: `Bearer ${token}` } } } };
  const desktop = { mcpServers: { gatehouse: { command: "node", args: [bin, "stdio", "--grant", instance.demoToken ? "demo" : "<grant>"] } } };
  lines.push(
    "",
    "Cursor / any Streamable HTTP client (mcp.json):",
    JSON.stringify(cursor, null, 2),
    "",
    "Claude Desktop (claude_desktop_config.json, over stdio):",
    JSON.stringify(desktop, null, 2),
    "",
    "Try it with the MCP Inspector (its CLI cannot send headers, so it runs Gatehouse over stdio as the grant):",
    `  npx @modelcontextprotocol/inspector --cli node ${bin} stdio --grant ${instance.demoToken ? "demo" : "<grant>"}${instance.config.file ? ` --config ${instance.config.file}` : ""} --method tools/list`,
    "",
  );
  return lines.join("\n");
}
