process.on("uncaughtException", (e) => console.log("uncaught:", e.message));
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { useSessionQueue } from "../src/db/pglite-session-queue.ts";
for (const fixed of [false, true]) {
  const db = await PGlite.create("memory://");
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 64 });
  if (fixed) useSessionQueue(server, db);
  await server.start();
  let errors = 0, wrong = 0; const msgs = new Set<string>();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  const pools = [new pg.Pool({ connectionString: url, max: 4 }), new pg.Pool({ connectionString: url, max: 4 })];
  for (const p of pools) p.on("error", (e) => { errors++; msgs.add("idle: " + e.message); });
  await pools[0]!.query("CREATE TABLE t (id int primary key, v text)");

  const run = async (i: number) => {
    const pool = pools[i % 2]!;
    try {
      if (i % 3 === 0) {
        const c = await pool.connect();
        try { await c.query("BEGIN"); await c.query("INSERT INTO t VALUES ($1, $2)", [i, "v" + i]); await c.query("COMMIT"); } finally { c.release(); }
      } else {
        const r = await pool.query("SELECT $1::int AS n, (SELECT count(*) FROM t WHERE id < $2) AS c", [i, i]);
        if (r.rows[0].n !== i) wrong++;
      }
    } catch (e) { errors++; msgs.add((e as Error).message); }
  };
  const done = await Promise.race([Promise.all(Array.from({ length: 600 }, (_, i) => run(i))).then(() => "done"), new Promise((r) => setTimeout(() => r("HUNG"), 10000))]);
  console.log(fixed ? "session queue" : "stock queue", done, { errors, wrong, msgs: [...msgs].slice(0, 3).join(" / ") });
  await Promise.race([Promise.all(pools.map((p) => p.end())), new Promise((r) => setTimeout(r, 500))]); await server.stop(); await db.close();
}
process.exit(0);
process.on("uncaughtException", () => {});
