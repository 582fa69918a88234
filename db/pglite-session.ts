import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/*
 * Why this exists. PGlite is ONE Postgres session. @electric-sql/pglite-socket
 * 0.2.17 (the newest release) serves every client connection from that one
 * session through a queue of single wire-protocol messages: each Parse, Bind,
 * Execute or Sync runs on its own, in arrival order, and only once a client
 * has an explicit transaction open (BEGIN done, `isInTransaction()`) are the
 * other clients' messages held back. An extended-protocol exchange outside a
 * transaction (Parse/Bind/Execute/Sync, which is every postgres.js query) is
 * therefore interleaved with other clients' exchanges: client B's Bind replaces
 * the unnamed portal client A just bound, or B's Sync ends the implicit
 * transaction that held it, and A's Execute fails with `portal "" does not
 * exist` (or runs B's portal). The same goes for an error: the session skips
 * messages until the next Sync, whoever sent them. Two processes with a
 * connection each hit this at once (test/e2e/pglite-sessions.test.ts).
 *
 * The fix: a queue with the same interface that gives the session to one
 * connection for a whole exchange. A connection takes the session with its
 * first message and keeps it until a message that ends an exchange (Sync,
 * simple Query, the startup packet, a function call, the end of a COPY) has run
 * AND no transaction is open (`isInTransaction()` is also true for a failed
 * transaction, so that stays held until its ROLLBACK). Meanwhile other
 * connections' messages wait, in arrival order. A connection that goes away
 * while holding the session has it reset (Sync, then ROLLBACK if needed).
 * This is what a real server gives each connection: its own session state for
 * the length of its exchange or transaction.
 */

/** First byte of the frontend messages after which the backend answers ReadyForQuery. */
const ENDS_EXCHANGE = new Set([
  0x00, // startup packet (no type byte: its length's first byte)
  0x53, // 'S' Sync
  0x51, // 'Q' simple Query
  0x46, // 'F' FunctionCall
  0x63, // 'c' CopyDone
  0x66, // 'f' CopyFail
  0x58, // 'X' Terminate (no answer, but nothing of the exchange is left)
]);
const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]);

interface PendingMessage {
  handlerId: number;
  run: () => Promise<number>;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

/** Drop-in for pglite-socket's internal QueryQueueManager (same four methods). */
export class ExclusiveSessionQueue {
  private pending: PendingMessage[] = [];
  /** The handler that holds the session, or null when it is free. */
  private owner: number | null = null;
  private running = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return this.schedule(handlerId, async () => {
      let bytes = 0;
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data) => {
            bytes += data.length;
            onData(data);
          },
        }),
      );
      if (ENDS_EXCHANGE.has(message[0]!)) this.releaseIfIdle(handlerId);
      return bytes;
    });
  }

  getQueueLength(): number {
    return this.pending.length;
  }

  /** The handler disconnected: its waiting messages will never be answered. */
  clearQueueForHandler(handlerId: number): void {
    this.pending = this.pending.filter((message) => {
      if (message.handlerId !== handlerId) return true;
      message.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /**
   * The handler disconnected: if it held the session, end its exchange and
   * transaction, then free it. Never throws: pglite-socket calls this from a
   * close handler nobody awaits.
   */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    await this.schedule(handlerId, async () => {
      if (this.db.closed) return 0;
      await this.db.runExclusive(() => this.db.execProtocolRaw(SYNC_MESSAGE));
      // Outside runExclusive: exec takes that lock itself.
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
      return 0;
    })
      .catch((error: unknown) => {
        if (!this.db.closed) console.error('[pglite] could not reset the session of a closed connection:', error);
      })
      .finally(() => {
        if (this.owner === handlerId) this.owner = null;
        this.drain();
      });
  }

  private releaseIfIdle(handlerId: number): void {
    if (this.owner === handlerId && !this.db.isInTransaction()) this.owner = null;
  }

  private schedule(handlerId: number, run: () => Promise<number>): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ handlerId, run, resolve, reject });
      this.drain();
    });
  }

  /** Runs waiting messages one at a time: the owner's, or, when the session is free, the oldest. */
  private drain(): void {
    if (this.running) return;
    const index = this.owner === null ? 0 : this.pending.findIndex((message) => message.handlerId === this.owner);
    if (index === -1 || this.pending.length === 0) return;
    const [next] = this.pending.splice(index, 1);
    this.owner = next!.handlerId;
    this.running = true;
    next!
      .run()
      .then(next!.resolve, next!.reject)
      .finally(() => {
        this.running = false;
        this.drain();
      });
  }
}

/**
 * Makes `server` (before `start()`) serve its connections with
 * ExclusiveSessionQueue. pglite-socket builds its queue privately and hands
 * it to each connection's handler, so it is swapped here; the version is
 * pinned, and a change of that field fails loudly at start-up.
 */
export function serveOneExchangeAtATime(server: PGLiteSocketServer, db: PGlite): void {
  const internals = server as unknown as { queryQueue?: { enqueue?: unknown } };
  if (typeof internals.queryQueue?.enqueue !== 'function') {
    throw new Error(
      '@electric-sql/pglite-socket no longer keeps its queue in `queryQueue`: review db/pglite-session.ts',
    );
  }
  internals.queryQueue = new ExclusiveSessionQueue(db) as unknown as typeof internals.queryQueue;
}
