import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { CliError } from '../errors.js';
import { unauthorized } from './errors.js';

/** What a token lets its holder do: `read` sees; `control` also acts. */
export type Scope = 'read' | 'control';

/** Who is calling, from a verified token. */
export interface Principal {
  /** The token's id (`jti`): what revocation and the audit trail name. */
  readonly id: string;
  /** The label given at creation (`--name`), or the id. */
  readonly name: string;
  readonly scope: Scope;
  /** Follower names or account ids the token is limited to; absent: every account. */
  readonly accounts?: readonly string[];
  /** ms since epoch. */
  readonly expiresAt: number;
}

const ISSUER = 'tradenova';
const AUDIENCE = 'tradenova-api';
/** The longest a token may live: a leaked one must not be good forever. */
export const MAX_TTL_S = 366 * 24 * 3600;

/** Parses `--ttl`: `90s`, `30m`, `8h`, `7d`, or a number of seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m?.[2] ?? ''];
  const seconds = m && unit ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TTL_S)
    throw new CliError(`--ttl ${text}: expected a duration such as 30m, 8h or 7d (at most 366d)`);
  return seconds;
}

/** Signs a token (HS256). Returns it with its id and when it expires. */
export async function createToken(
  key: Uint8Array,
  claims: { scope: Scope; accounts?: readonly string[]; name?: string; ttlS: number },
  now: number = Date.now(),
): Promise<{ token: string; id: string; expiresAt: number }> {
  const id = randomUUID();
  const iat = Math.floor(now / 1000);
  const exp = iat + claims.ttlS;
  const token = await new SignJWT({
    scope: claims.scope,
    ...(claims.accounts && claims.accounts.length > 0 ? { accounts: [...claims.accounts] } : {}),
    ...(claims.name ? { name: claims.name } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setJti(id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, id, expiresAt: exp * 1000 };
}

/**
 * Checks a token's signature, issuer, audience and expiry (HS256 only: a token naming
 * another algorithm, `none` included, is refused) and returns who it is. Throws a 401
 * `ApiError` whose message says why without quoting the token.
 */
export async function verifyToken(key: Uint8Array, token: string): Promise<Principal> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['jti', 'exp'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized('the token has expired');
    throw unauthorized('the token is not valid');
  }
  const scope = payload.scope;
  if (scope !== 'read' && scope !== 'control') throw unauthorized('the token has no valid scope');
  const accounts = payload.accounts;
  if (accounts !== undefined && (!Array.isArray(accounts) || !accounts.every((a) => typeof a === 'string')))
    throw unauthorized('the token has malformed accounts');
  const id = String(payload.jti);
  return {
    id,
    name: typeof payload.name === 'string' ? payload.name : id,
    scope,
    ...(accounts && (accounts as string[]).length > 0 ? { accounts: accounts as string[] } : {}),
    expiresAt: Number(payload.exp) * 1000,
  };
}
