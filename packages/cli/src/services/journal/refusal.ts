import { ServiceRefusedError } from '../errors.js';

/** What the journal was doing when PostgreSQL answered with an error. */
export interface JournalStep {
  /** `open`: making sure the schema is there; `migrate`: reading or making the tables. */
  step: 'open' | 'migrate';
  /** The journal's schema (`public` when none is set). */
  schema?: string;
}

/**
 * PostgreSQL's refusals that are set-up to fix, by SQLSTATE, as one `ServiceRefusedError`
 * that says what to change; `undefined` for anything else (an outage, a bug), which the
 * caller reports as before. The reason is the server's own text: it names objects, never
 * a password.
 */
export function journalRefusal(
  error: unknown,
  url: string,
  at: JournalStep,
): ServiceRefusedError | undefined {
  // A failed migration comes wrapped (`journal migration failed: …`), the server's error as its cause.
  const cause = (error as { cause?: unknown } | null)?.cause;
  const e = (hasCode(error) ? error : hasCode(cause) ? cause : null) as {
    code?: unknown;
    message?: unknown;
  } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === undefined) return undefined;
  const reason = String(e?.message ?? code);
  const schema = at.schema ?? 'public';
  let fix: string | undefined;
  if (code === '42501') {
    // insufficient_privilege
    fix =
      at.step === 'open' && at.schema !== undefined
        ? `the journal's role needs CREATE on the database to make schema "${schema}", or create that schema for it beforehand`
        : `the journal's role needs CREATE on schema "${schema}" to make its tables: grant it, or set services.journal.schema to a schema of its own`;
  } else if (code === '3D000') {
    // invalid_catalog_name: the database in the URL does not exist
    fix = 'create the database, or name another one in services.journal.url';
  } else if (code === '28P01' || code === '28000') {
    // invalid_password / invalid_authorization_specification
    fix = 'check the user and password of services.journal.url';
  }
  return fix === undefined
    ? undefined
    : new ServiceRefusedError('postgres', url, reason, fix, { cause: error });
}

function hasCode(value: unknown): boolean {
  return typeof (value as { code?: unknown } | null)?.code === 'string';
}
