import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, type MigrationResult, Migrator } from 'kysely/migration';

// Migrations are code in the package (not files found at run time), so a bundled CLI
// carries them. Append only: a released migration is never edited.
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists, as kysely recommends.
type AnyDb = Kysely<any>;

const initial: Migration = {
  async up(db: AnyDb) {
    const now = sql`now()`;
    await db.schema
      .createTable('signals')
      .addColumn('signal_id', 'text', (c) => c.primaryKey())
      .addColumn('leader_account', 'text')
      .addColumn('action', 'text')
      .addColumn('instrument', 'text')
      .addColumn('detected_at', 'bigint')
      .addColumn('received_at', 'bigint')
      .addColumn('completed_at', 'bigint')
      .addColumn('outcomes', 'jsonb')
      .addColumn('payload', 'jsonb')
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createTable('intents')
      .addColumn('intent_id', 'text', (c) => c.primaryKey())
      .addColumn('signal_id', 'text', (c) => c.notNull())
      .addColumn('follower', 'text', (c) => c.notNull())
      .addColumn('broker', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('leg', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('instrument', 'text', (c) => c.notNull())
      .addColumn('side', 'text', (c) => c.notNull())
      .addColumn('qty', 'integer', (c) => c.notNull())
      .addColumn('order_type', 'text', (c) => c.notNull())
      .addColumn('reducing', 'boolean', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createIndex('intents_account_time')
      .on('intents')
      .columns(['account_id', 'created_at'])
      .execute();
    await db.schema
      .createTable('orders')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('intent_id', 'text')
      .addColumn('follower', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('code', 'text')
      .addColumn('reason', 'text')
      .addColumn('latency_ms', 'integer')
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema.createIndex('orders_account_time').on('orders').columns(['account_id', 'time']).execute();
    await db.schema.createIndex('orders_intent').on('orders').column('intent_id').execute();
    await db.schema
      .createTable('executions')
      .addColumn('broker', 'text', (c) => c.notNull())
      .addColumn('execution_id', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('intent_id', 'text')
      .addColumn('follower', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('instrument', 'text', (c) => c.notNull())
      .addColumn('side', 'text', (c) => c.notNull())
      .addColumn('qty', 'integer', (c) => c.notNull())
      .addColumn('price_ticks', 'bigint', (c) => c.notNull())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addPrimaryKeyConstraint('executions_pk', ['broker', 'execution_id'])
      .execute();
    await db.schema
      .createIndex('executions_account_time')
      .on('executions')
      .columns(['account_id', 'time'])
      .execute();
    await db.schema
      .createTable('positions')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('follower', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('instrument', 'text', (c) => c.notNull())
      .addColumn('net_qty', 'integer', (c) => c.notNull())
      .addColumn('avg_price', 'numeric', (c) => c.notNull())
      .addColumn('realized_pnl', 'bigint', (c) => c.notNull())
      .addColumn('unrealized_pnl', 'bigint', (c) => c.notNull())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createIndex('positions_account_time')
      .on('positions')
      .columns(['account_id', 'time'])
      .execute();
    await db.schema
      .createTable('account_status')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('follower', 'text')
      .addColumn('account_id', 'text')
      .addColumn('broker', 'text')
      .addColumn('connection', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('pnl', 'bigint')
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createTable('errors')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('signal_id', 'text')
      .addColumn('intent_id', 'text')
      .addColumn('follower', 'text')
      .addColumn('account_id', 'text')
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('field', 'text')
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema.createIndex('errors_account_time').on('errors').columns(['account_id', 'time']).execute();
  },
  async down(db: AnyDb) {
    for (const table of [
      'errors',
      'account_status',
      'positions',
      'executions',
      'orders',
      'intents',
      'signals',
    ]) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};

// The control API's audit trail: who (token id and name) did what, when, and how it went.
const apiAudit: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('api_audit')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('token_id', 'text', (c) => c.notNull())
      .addColumn('token_name', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('detail', 'jsonb', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('api_audit_time').on('api_audit').column('time').execute();
  },
  async down(db: AnyDb) {
    await db.schema.dropTable('api_audit').ifExists().execute();
  },
};

/** Every migration of the journal, by name; names sort in the order they run. */
export const JOURNAL_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-api-audit': apiAudit,
};

const provider: MigrationProvider = { getMigrations: async () => ({ ...JOURNAL_MIGRATIONS }) };

// With a schema the bookkeeping tables are looked up there; without one kysely would find
// another schema's tables of the same name in the database and skip creating its own.
function migrator(db: AnyDb, schema?: string): Migrator {
  return new Migrator({
    db,
    provider,
    migrationTableName: 'tn_migration',
    migrationLockTableName: 'tn_migration_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/** Runs the migrations not yet applied (what `tradenova migrate` does); returns their names. */
export async function migrateToLatest(db: AnyDb, schema?: string): Promise<string[]> {
  let results: MigrationResult[] | undefined;
  try {
    results = await readingCatalog(schema, async () => {
      // Each migration runs in its own transaction and is recorded there: a second try
      // after a failed catalog read applies only what the first did not.
      const outcome = await migrator(db, schema).migrateToLatest();
      if (outcome.error) throw outcome.error;
      return outcome.results;
    });
  } catch (error) {
    throw new Error(`journal migration failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations not yet applied to this database. */
export async function pendingMigrations(db: AnyDb, schema?: string): Promise<string[]> {
  const all = await readingCatalog(schema, () => migrator(db, schema).getMigrations());
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** PostgreSQL's `invalid_schema_name`. */
const INVALID_SCHEMA_NAME = '3F000';
const CATALOG_ATTEMPTS = 8;

/**
 * kysely's migrator looks for its tables by reading the whole catalog, and that query asks
 * `has_schema_privilege(<name>, …)` of every schema in the database: a schema another client
 * drops in that instant fails the read with `schema "…" does not exist`, though nothing is
 * wrong with ours (seen when tests dropped their schemas beside another's `migrate`: exit 70;
 * 17 of 300 reads failed beside three clients creating and dropping schemas). Such a read is
 * tried again; an error about our own schema, or any other error, is not.
 */
export async function readingCatalog<T>(schema: string | undefined, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= CATALOG_ATTEMPTS || !droppedElsewhere(error, schema)) throw error;
    }
  }
}

function droppedElsewhere(error: unknown, schema: string | undefined): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== INVALID_SCHEMA_NAME) return false;
  return schema === undefined || !String(e.message).includes(`"${schema}"`);
}
