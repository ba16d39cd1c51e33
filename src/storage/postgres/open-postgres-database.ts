import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { Database } from '../request-log-store.js';
import { openSqlDatabase } from '../sql/open-sql-database.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export interface PostgresOptions {
  /** Pool size. */
  maxConnections?: number;
  /** Fail a query (and so a log flush) that takes longer than this, instead of waiting forever. */
  statementTimeoutMs?: number;
  onError?: (error: Error) => void;
}

/** Postgres through a pg Pool; bigint and numeric come back as numbers. */
export function openPostgresDatabase(url: string, options: PostgresOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
        return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
      },
    },
  });
  // An idle client losing its connection (database restarted) must not crash the process.
  pool.on('error', (error) => options.onError?.(error));
  // Nor a checked-out one: when Postgres stops, a client between queries of a transaction emits
  // 'error' itself, and the pool's handler covers only idle clients. The query fails on its own.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onError?.(error));
  });
  return openSqlDatabase('postgres', new PostgresDialect({ pool }));
}
