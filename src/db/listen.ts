// A dedicated connection that LISTENs on one channel and reconnects after a drop. Notifications are
// best-effort wake-ups: whoever relies on them also polls. Not for embedded PGlite, whose one shared
// session can deliver a NOTIFY to the wrong connection.
import pg from "pg";
import type { Logger } from "../log/index.ts";

export interface ChannelListener {
  /** Settles once the first LISTEN is in place, or has failed (then it retries in the background). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** A channel name scoped to the schema, so gateways (and test files) in other schemas are not woken. */
export function schemaChannel(prefix: string, schema: string): string {
  return `${prefix}_${schema}`.slice(0, 63).replace(/[^a-z0-9_]/gi, "_");
}

export function listenToChannel(connectionString: string, channel: string, onPayload: (payload: string) => void, logger: Logger): ChannelListener {
  let listener: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  let isClosed = false;
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  async function listen(): Promise<void> {
    if (isClosed) return;
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
    client.on("error", () => reconnect(client));
    client.on("end", () => reconnect(client));
    client.on("notification", (message) => {
      if (message.channel === channel && message.payload) onPayload(message.payload);
    });
    // Set before connecting, so a close() that comes first (a short CLI command) ends this client too.
    listener = client;
    try {
      await client.connect();
      if (isClosed) return void (await client.end().catch(() => {}));
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      logger.debug({ err: (error as Error).message, channel }, "LISTEN unavailable; polling only");
      reconnect(client);
    } finally {
      markReady();
    }
  }

  function reconnect(client: pg.Client): void {
    if (listener === client) listener = null;
    client.end().catch(() => {});
    if (isClosed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void listen();
    }, 2_000);
    retry.unref();
  }

  void listen();
  return {
    ready,
    async close() {
      isClosed = true;
      markReady();
      clearTimeout(retry);
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
    },
  };
}
