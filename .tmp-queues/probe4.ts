import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { useSessionQueue } from "../src/db/pglite-session-queue.ts";
for (const fixed of [false, true]) {
  const db = await PGlite.create("memory://");
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 64 });
  if (fixed) useSessionQueue(server, db);
  await server.start();
  const pool = new pg.Pool({ connectionString: `postgres://postgres@${server.getServerConn()}/postgres`, max: 8 });
  let errors = 0, wrong = 0;
  const run = (i: number) => pool.query("SELECT $1::int AS n, repeat('x', $2::int) AS pad", [i, i % 50]).then((r) => { if (r.rows[0].n !== i) wrong++; }, () => { errors++; });
  await Promise.race([Promise.all(Array.from({ length: 400 }, (_, i) => run(i))), new Promise((r) => setTimeout(r, 10000))]);
  console.log(fixed ? "session queue" : "stock queue", { errors, wrong });
  await Promise.race([pool.end(), new Promise((r) => setTimeout(r, 1000))]); await server.stop(); await db.close();
}
process.exit(0);
