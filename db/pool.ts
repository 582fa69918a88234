import postgres from 'postgres';
import type { Config } from '../config/schema.ts';

export type Sql = postgres.Sql;

/** Set by `npm start` (main/launcher.ts) for its worker and API when the database is its embedded PGlite. */
export const EMBEDDED_DATABASE_VARIABLE = 'DATABASE_EMBEDDED';

export function isEmbeddedPglite(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[EMBEDDED_DATABASE_VARIABLE] === 'pglite';
}

/** The bounds of a pool, from config; a caller that names only `db_pool_size` gets the defaults of config/default.yaml. */
export type PoolConfig = Pick<Config, 'db_pool_size'> &
  Partial<Pick<Config, 'db_connect_timeout' | 'db_statement_timeout'>>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 300_000;
/** The client's own bound on a statement is a little longer than the server's, so the server's error wins when it can. */
const CLIENT_GRACE_MS = 1_000;

/**
 * One pool per process, sized from config so concurrency cannot outgrow it.
 * `singleConnection` is for embedded PGlite: it is one session, which serves
 * one connection's exchange or transaction at a time (db/pglite-session.ts),
 * so more connections add no parallelism. With one connection per process,
 * postgres.js queues the process's queries, and the API waits behind at most
 * one exchange of the worker instead of one per worker connection.
 *
 * Every wait on the pool is bounded: opening a connection by
 * `db_connect_timeout`; a query, or a whole transaction, by
 * `db_statement_timeout`, which real PostgreSQL also applies to each statement
 * itself (`statement_timeout`, lock waits included; PGlite ignores it, so the
 * client's bound is what holds there). A wait that runs out rejects with
 * DatabaseUnavailableError: a worker's activity fails and Temporal retries it
 * instead of hanging until its heartbeat times out. The API lays its own,
 * shorter bound over this one (`db_request_timeout`, api/app.ts).
 */
export function createPool(databaseUrl: string, config: PoolConfig, options: { singleConnection?: boolean } = {}): Sql {
  const statementTimeoutMs = config.db_statement_timeout ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const sql = postgres(databaseUrl, {
    max: options.singleConnection ? 1 : config.db_pool_size,
    idle_timeout: 30,
    connect_timeout: (config.db_connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_MS) / 1_000,
    connection: { statement_timeout: statementTimeoutMs },
    onnotice: () => {},
    transform: { undefined: null },
  });
  return limitDatabaseWaits(sql, {
    name: 'db_statement_timeout',
    ms: statementTimeoutMs + CLIENT_GRACE_MS,
    cancelSentQueries: !options.singleConnection && !isEmbeddedPglite(),
  });
}

/**
 * A wait on the database that failed for want of the database, not because of
 * what was asked: no answer within a configured limit, or no connection (refused,
 * closed under the query, the server shutting down). The API answers 503; an
 * activity fails and is retried. The error of postgres.js is the `cause`.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(
    message: string,
    /** The config key whose limit ran out, when it was a limit. */
    readonly limit?: { name: string; ms: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface WaitLimit {
  /** The config key that sets it, named in the error. */
  name: string;
  ms: number;
  /**
   * Also cancel a query the server is already running (a CancelRequest on a
   * new connection). Only for real PostgreSQL: PGlite's socket server drops a
   * CancelRequest and keeps its connection open. A query still waiting for a
   * connection is always taken out of the pool's queue. Default: as the
   * limited `sql` does (createPool's choice), else false.
   */
  cancelSentQueries?: boolean;
}

/** Whether a limited `sql` cancels sent queries, so that a limit laid over it does the same. */
const cancelsSentQueries = new WeakMap<Sql, boolean>();

/** postgres.js codes of a connection that failed, and the socket errors it passes on as they are. */
const CONNECTION_FAILURES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that cannot serve right now: connection exceptions
 * (08…), too many connections, operator intervention (shutdown, recovery),
 * and a statement cancelled by `statement_timeout` or a cancel request (the
 * client's bound sends one) or a lock wait given up (`lock_timeout`).
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || ['53300', '57P01', '57P02', '57P03', '57014', '55P03'].includes(code);
}

/** Whether `error`, thrown by postgres.js, says the database is unavailable rather than that the query is wrong. */
export function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return error instanceof postgres.PostgresError ? isUnavailableSqlState(code) : CONNECTION_FAILURES.has(code);
}

function unavailable(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !isConnectionFailure(error)) return error;
  return new DatabaseUnavailableError(`the database is unavailable: ${(error as Error).message}`, undefined, {
    cause: error,
  });
}

interface QueryInternals {
  state: unknown;
  canceller: ((query: unknown) => Promise<void>) | null;
}

/**
 * `sql` with every wait on it bounded by `limit`: a query (tagged template,
 * `unsafe`, `file`) from the moment it is awaited, and a transaction
 * (`begin`) as a whole. When the limit runs out the wait rejects with
 * DatabaseUnavailableError; the query is taken out of the pool's queue if it
 * was still waiting for a connection (or cancelled on the server, see
 * `cancelSentQueries`), and a transaction's callback gets an error from its
 * next query, so it rolls back instead of committing after its caller gave up.
 * A connection failure is reported as DatabaseUnavailableError too. Queries
 * used as fragments of another are never awaited, so never timed.
 */
export function limitDatabaseWaits(sql: Sql, limit: WaitLimit): Sql {
  const cancelSentQueries = limit.cancelSentQueries ?? cancelsSentQueries.get(sql) ?? false;
  const timedOut = () =>
    new DatabaseUnavailableError(`the database did not answer within ${limit.name} (${limit.ms} ms)`, {
      name: limit.name,
      ms: limit.ms,
    });

  /** Races `wait` against the limit; `onTimeout` runs when the limit wins. */
  function bounded<T>(wait: PromiseLike<T>, onTimeout: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<T>((resolve, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(timedOut());
      }, limit.ms);
      wait.then(resolve, (error: unknown) => reject(unavailable(error)));
    }).finally(() => clearTimeout(timer));
  }

  function limitQuery<T>(query: T): T {
    if (!(query instanceof Promise) || typeof (query as { execute?: unknown }).execute !== 'function') return query;
    const pending = query as unknown as Promise<unknown> & QueryInternals;
    const then = pending.then;
    let limited: Promise<unknown> | undefined;
    Object.defineProperty(pending, 'then', {
      configurable: true,
      writable: true,
      value(onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) {
        limited ??= bounded(new Promise((resolve, reject) => void then.call(pending, resolve, reject)), () => {
          // Still waiting for a connection (no backend yet): out of the pool's queue. Sent: cancelled on the server.
          if (pending.canceller && (pending.state === null || cancelSentQueries)) {
            const cancel = pending.canceller;
            pending.canceller = null;
            void Promise.resolve(cancel(pending)).catch(() => {});
          }
        });
        return limited.then(onFulfilled, onRejected);
      },
    });
    return query;
  }

  function limitBegin(begin: Sql['begin']): Sql['begin'] {
    return ((...args: unknown[]) => {
      const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
      let abandoned = false;
      const run = (tx: postgres.TransactionSql) => {
        if (abandoned) throw timedOut();
        return fn(abandonable(tx, () => abandoned, timedOut));
      };
      return bounded((begin as (...a: unknown[]) => Promise<unknown>)(...args, run), () => {
        abandoned = true;
      });
    }) as Sql['begin'];
  }

  const limited = new Proxy(sql, {
    apply(target, thisArg, args) {
      return limitQuery(Reflect.apply(target, thisArg, args));
    },
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'begin') return limitBegin(value as Sql['begin']);
      if (property === 'unsafe' || property === 'file')
        return (...args: unknown[]) => limitQuery((value as (...a: unknown[]) => unknown).apply(target, args));
      return value;
    },
  });
  cancelsSentQueries.set(limited, cancelSentQueries);
  return limited;
}

/** A transaction's `tx` whose queries fail once its caller has given up on it, so the transaction rolls back. */
function abandonable(
  tx: postgres.TransactionSql,
  abandoned: () => boolean,
  error: () => Error,
): postgres.TransactionSql {
  const check = <T>(query: T): T => {
    if (!(query instanceof Promise) || typeof (query as { execute?: unknown }).execute !== 'function') return query;
    const then = query.then;
    Object.defineProperty(query, 'then', {
      configurable: true,
      writable: true,
      value(onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) {
        if (abandoned()) return Promise.reject(error()).then(onFulfilled, onRejected);
        return then.call(query, onFulfilled, onRejected);
      },
    });
    return query;
  };
  return new Proxy(tx, {
    apply(target, thisArg, args) {
      return check(Reflect.apply(target, thisArg, args));
    },
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'unsafe' || property === 'file')
        return (...args: unknown[]) => check((value as (...a: unknown[]) => unknown).apply(target, args));
      return value;
    },
  });
}
