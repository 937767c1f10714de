import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openJournalDb } from '../../../src/services/journal/index.js';
import { BUILT, runCli } from '../cli-process.js';
import { describeWithService } from '../require-service.js';

const PASSWORD = 'pw-not-to-print-7d2e';

/**
 * A journal role a DBA set up with less than the copier could ask for. Each refusal is set-up
 * to fix: exit 2 with what to change (before, a role without CREATE on its schema ended
 * `migrate` as an internal error, exit 70), and a schema made for the role is used as it is
 * (before, `create schema if not exists` asked for CREATE on the whole database and refused).
 */
describeWithService('postgres', 'a journal role with few privileges', (adminUrl) => {
  const id = randomUUID().replaceAll('-', '').slice(0, 10);
  const role = `tn_test_role_${id}`;
  const own = `tn_test_own_${id}`;
  const foreign = `tn_test_foreign_${id}`;
  const missing = `tn_test_missing_${id}`;
  let dir: string;
  let admin: Awaited<ReturnType<typeof openJournalDb>>['db'];
  const roleUrl = (() => {
    const url = new URL(adminUrl);
    url.username = role;
    url.password = PASSWORD;
    return url.toString();
  })();
  const migrate = (schema: string) => {
    writeFileSync(
      join(dir, `${schema}.yaml`),
      [
        'leader: { broker: paper, account: L1 }',
        'followers:',
        '  - { name: f1, broker: paper, account: P1 }',
        `services: { journal: { url: "${roleUrl}", schema: ${schema} } }`,
        '',
      ].join('\n'),
    );
    return runCli(['migrate', '-c', `${schema}.yaml`], dir);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tn-refusal-'));
    admin = (await openJournalDb({ url: adminUrl })).db;
    await sql`create role ${sql.id(role)} login`.execute(admin);
    // One schema made for the role by the DBA, one it may only look at.
    await sql`create schema ${sql.id(own)} authorization ${sql.id(role)}`.execute(admin);
    await sql`create schema ${sql.id(foreign)}`.execute(admin);
    await sql`grant usage on schema ${sql.id(foreign)} to ${sql.id(role)}`.execute(admin);
  });
  afterAll(async () => {
    for (const schema of [own, foreign, missing])
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin).catch(() => {});
    await sql`drop role if exists ${sql.id(role)}`.execute(admin).catch(() => {});
    await admin?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!BUILT)('a schema the DBA made for it is migrated and used as it is', () => {
    const r = migrate(own);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('applied 0001-initial');
  });

  it.skipIf(!BUILT)('a schema it may not create tables in: exit 2, the grant to give', () => {
    const r = migrate(foreign);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `TN_ERR_SERVICE_REFUSED: postgres at ${roleUrl.replace(PASSWORD, '***')} refused: permission denied for schema ${foreign} (the journal's role needs CREATE on schema "${foreign}" to make its tables`,
    );
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain('internal error');
  });

  it.skipIf(!BUILT)('a schema that is not there and may not be made: exit 2, what to ask the DBA', () => {
    const r = migrate(missing);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `refused: permission denied for database ${new URL(adminUrl).pathname.slice(1)} (the journal's role needs CREATE on the database to make schema "${missing}", or create that schema for it beforehand)`,
    );
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it.skipIf(!BUILT)('a database that does not exist: exit 2, naming it', () => {
    const url = new URL(adminUrl);
    url.pathname = `/tn_no_such_db_${id}`;
    const r = runCli(['migrate', '--journal', url.toString()], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `refused: database "tn_no_such_db_${id}" does not exist (create the database, or name another one in services.journal.url)`,
    );
  });
});
