// Replacement for pglite-socket's query queue (0.2.x). PGlite is one Postgres session shared by every
// socket connection, and the stock queue interleaves protocol messages of different connections unless
// an explicit transaction is open. An extended-protocol query (Parse/Bind/Execute/Sync) is several
// messages, so two pooled `pg` clients querying at once clobber each other's unnamed statement and
// portal ("portal does not exist"); and an exception while processing left the queue stuck for good.
// Here a connection keeps the session from the first message of a protocol cycle until the cycle ends
// (Sync, or a simple Query) outside a transaction block.
import type { PGlite } from "@electric-sql/pglite";

interface Pending {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

// Parse, Bind, Describe, Execute, Close, Flush: more messages of the same cycle follow.
const MID_CYCLE = new Set(["P", "B", "D", "E", "C", "H"].map((c) => c.charCodeAt(0)));

export class PgliteSessionQueue {
  private readonly queue: Pending[] = [];
  private isProcessing = false;
  /** The connection whose protocol cycle or transaction is in progress; only it is served. */
  private owner: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const item = this.queue[i]!;
      if (item.handlerId !== handlerId) continue;
      this.queue.splice(i, 1);
      item.reject(new Error("Handler disconnected"));
    }
  }

  /** A connection that went away mid-cycle or mid-transaction must not keep the session. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK").catch(() => {});
    this.owner = null;
    void this.process();
  }

  private async process(): Promise<void> {
    if (this.isProcessing) return;
    this.isProcessing = true;
    try {
      for (;;) {
        const index = this.owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === this.owner);
        // The owner's next message has not arrived yet: everyone else waits for it.
        if (index === -1 || this.queue.length === 0) return;
        const [item] = this.queue.splice(index, 1);
        await this.run(item!);
      }
    } finally {
      this.isProcessing = false;
    }
  }

  private async run(item: Pending): Promise<void> {
    let bytes = 0;
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(item.message, {
          onRawData: (data) => {
            bytes += data.length;
            item.onData(data);
          },
        }),
      );
    } catch (error) {
      this.owner = this.db.isInTransaction() ? item.handlerId : null;
      item.reject(error as Error);
      return;
    }
    const isMidCycle = MID_CYCLE.has(item.message[0] ?? 0) || this.db.isInTransaction();
    this.owner = isMidCycle ? item.handlerId : null;
    item.resolve(bytes);
  }
}

/** Swaps the socket server's queue before it accepts connections (its handlers read it per connection). */
export function useSessionQueue(server: object, db: PGlite): void {
  (server as { queryQueue: unknown }).queryQueue = new PgliteSessionQueue(db);
}
