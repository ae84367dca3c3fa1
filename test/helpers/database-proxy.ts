// A database a test can take away and bring back: a PGlite socket of its own (embedded runs) or a fresh
// schema on the PostgreSQL of DATABASE_URL, reached through a TCP proxy (`proxy.cut()` / `restore()`).
import { randomBytes } from "node:crypto";
import { openEmbeddedDatabase } from "../../src/db/index.ts";
import { dropSchema } from "./gateway.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

export interface DatabaseBehindProxy {
  /** Connection string through the proxy: pass it as `databaseUrl`, with `schema`. */
  url: string;
  schema: string;
  proxy: TcpProxy;
  /** After the gateways using it are closed. */
  close(): Promise<void>;
}

export async function openDatabaseBehindProxy(schemaPrefix: string): Promise<DatabaseBehindProxy> {
  const embedded = process.env.DATABASE_URL ? null : await openEmbeddedDatabase(null);
  const target = new URL(process.env.DATABASE_URL ?? embedded!.url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const viaProxy = new URL(target);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  const schema = embedded ? "public" : `${schemaPrefix}_${randomBytes(4).toString("hex")}`;
  return {
    url: viaProxy.toString(),
    schema,
    proxy,
    async close() {
      proxy.restore();
      await proxy.close();
      await embedded?.close();
      if (!embedded) await dropSchema(schema);
    },
  };
}
