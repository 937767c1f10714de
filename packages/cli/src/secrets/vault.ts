import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, TradeNovaError } from '@tradenova/core';

/** A vault problem: no key to open it, the wrong key (or an altered file), or a file that is not a vault. */
export class VaultError extends TradeNovaError {
  /** The vault file it is about. */
  readonly file: string;
  constructor(
    code: typeof ErrorCode.VaultKeyMissing | typeof ErrorCode.VaultLocked | typeof ErrorCode.VaultInvalid,
    file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `vault ${file}: ${message}`, { ...options, disposition: 'fatal' });
    this.file = file;
  }
}

/** Names a `${secret:name}` reference can use (the same characters the config loader accepts). */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * scrypt cost: N = 2^17, r = 8, p = 1 is OWASP's minimum for scrypt (128 MiB,
 * a few hundred ms once per command). Stored in the file, so a later release
 * can raise it and still open older vaults.
 */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/** Shortest passphrase a new vault accepts, from the prompt or the environment alike. */
export const MIN_PASSPHRASE_LENGTH = 8;

/**
 * scrypt settings a vault file may ask for. The header is in clear, so it is bounded before
 * use: an edited N, r or p would otherwise make Node throw (not a power of two, over its memory
 * limit) or spend minutes and gigabytes before authentication could fail. 1 GiB at most.
 */
export const SCRYPT_BOUNDS = { minLog2N: 10, maxLog2N: 20, maxR: 16, maxP: 4, maxMemBytes: 2 ** 30 } as const;

/** Whether scrypt settings are within `SCRYPT_BOUNDS`. */
export function scryptWithinBounds(k: { N: number; r: number; p: number }): boolean {
  const b = SCRYPT_BOUNDS;
  const log2N = Math.log2(k.N);
  return (
    Number.isInteger(log2N) &&
    log2N >= b.minLog2N &&
    log2N <= b.maxLog2N &&
    Number.isInteger(k.r) &&
    k.r >= 1 &&
    k.r <= b.maxR &&
    Number.isInteger(k.p) &&
    k.p >= 1 &&
    k.p <= b.maxP &&
    128 * k.N * k.r * k.p <= b.maxMemBytes
  );
}

/** How the AES key was made: scrypt over a passphrase, or given raw (`TRADENOVA_SECRETS_KEY`). */
export type KdfParams = { name: 'scrypt'; N: number; r: number; p: number; salt: string } | { name: 'raw' };

/** The key material a caller has: a passphrase (derived with the file's scrypt settings) or a 32-byte key. */
export type VaultKey = { passphrase: string } | { raw: Buffer };

/** The file as stored: a header in clear (authenticated as AAD) and one AES-256-GCM ciphertext of every secret. */
interface VaultFile {
  format: 'tradenova-vault';
  version: 1;
  kdf: KdfParams;
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  data: string;
}

/** An opened vault: names and values in memory, written back whole (with a fresh IV) by `save`. */
export class Vault {
  readonly file: string;
  readonly #kdf: KdfParams;
  readonly #key: Buffer;
  readonly #entries: Map<string, string>;

  private constructor(file: string, kdf: KdfParams, key: Buffer, entries: Map<string, string>) {
    this.file = file;
    this.#kdf = kdf;
    this.#key = key;
    this.#entries = entries;
  }

  /** Whether a vault file exists at this path. */
  static exists(file: string): boolean {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  }

  /** A new, empty vault (not written until `save`). A passphrase gets a fresh random salt. */
  static create(
    file: string,
    key: VaultKey,
    scrypt: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
  ): Vault {
    if ('raw' in key) return new Vault(file, { name: 'raw' }, checkRawKey(file, key.raw), new Map());
    if (key.passphrase.length < MIN_PASSPHRASE_LENGTH)
      throw new VaultError(
        ErrorCode.VaultKeyMissing,
        file,
        `the passphrase needs ${MIN_PASSPHRASE_LENGTH} characters or more`,
      );
    const kdf: KdfParams = { name: 'scrypt', ...scrypt, salt: randomBytes(16).toString('base64') };
    return new Vault(file, kdf, derive(file, kdf, key), new Map());
  }

  /**
   * Opens and decrypts a vault file. A wrong passphrase or key and a file
   * altered after it was written fail alike (GCM authentication): the message
   * never says which, and never echoes what was given.
   */
  static open(file: string, key: VaultKey): Vault {
    const stored = readVaultFile(file);
    if (stored.kdf.name === 'raw' && !('raw' in key)) {
      throw new VaultError(
        ErrorCode.VaultKeyMissing,
        file,
        'was made with a raw key: set TRADENOVA_SECRETS_KEY (a passphrase cannot open it)',
      );
    }
    if (stored.kdf.name === 'scrypt' && 'raw' in key) {
      throw new VaultError(
        ErrorCode.VaultKeyMissing,
        file,
        'was made with a passphrase: set TRADENOVA_SECRETS_PASSPHRASE or run on a terminal to be asked (TRADENOVA_SECRETS_KEY cannot open it)',
      );
    }
    if (stored.kdf.name === 'scrypt' && !scryptWithinBounds(stored.kdf)) {
      // The settings are authenticated with the data: ones no TradeNova writes mean an altered file.
      throw new VaultError(
        ErrorCode.VaultLocked,
        file,
        'cannot decrypt: wrong passphrase or key, or the file was altered (scrypt settings out of bounds)',
      );
    }
    const aesKey = 'raw' in key ? checkRawKey(file, key.raw) : derive(file, stored.kdf, key);
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', aesKey, Buffer.from(stored.iv, 'base64'));
      decipher.setAAD(headerAad(stored.kdf));
      decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(stored.data, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new VaultError(
        ErrorCode.VaultLocked,
        file,
        'cannot decrypt: wrong passphrase or key, or the file was altered',
      );
    }
    let entries: unknown;
    try {
      entries = JSON.parse(plain);
    } catch {
      throw new VaultError(ErrorCode.VaultInvalid, file, 'decrypted content is not a secret list');
    }
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
      throw new VaultError(ErrorCode.VaultInvalid, file, 'decrypted content is not a secret list');
    }
    const map = new Map<string, string>();
    for (const [name, value] of Object.entries(entries)) if (typeof value === 'string') map.set(name, value);
    return new Vault(file, stored.kdf, aesKey, map);
  }

  /** Secret names, sorted. */
  names(): string[] {
    return [...this.#entries.keys()].sort();
  }

  get(name: string): string | undefined {
    return this.#entries.get(name);
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  set(name: string, value: string): void {
    if (!SECRET_NAME.test(name)) {
      throw new TradeNovaError(
        ErrorCode.VaultInvalid,
        `secret name "${name}": use letters, digits, _ . - (starting with a letter or _), as in \${secret:name}`,
      );
    }
    this.#entries.set(name, value);
  }

  /** Removes a secret; false when there was none by that name. */
  delete(name: string): boolean {
    return this.#entries.delete(name);
  }

  /**
   * Encrypts every secret under a fresh IV and replaces the file atomically: a
   * temporary file created with mode 0600 (never readable by others, not even
   * for a moment), synced, then renamed over the old one. The folder is made
   * 0700 when it does not exist.
   */
  save(): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(headerAad(this.#kdf));
    const plain = Buffer.from(JSON.stringify(Object.fromEntries(this.#entries)), 'utf8');
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const stored: VaultFile = {
      format: 'tradenova-vault',
      version: 1,
      kdf: this.#kdf,
      cipher: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(stored, null, 2)}\n`);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw error;
    }
    closeSync(fd);
    renameSync(tmp, this.file);
    // An older file may have had looser permissions; the renamed one keeps 0600 whatever the umask.
    chmodSync(this.file, 0o600);
  }
}

/** Whether others than the owner may read the file (POSIX mode bits; false on Windows). */
export function vaultModeTooOpen(file: string): boolean {
  if (process.platform === 'win32') return false;
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

function readVaultFile(file: string): VaultFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new VaultError(
      ErrorCode.VaultInvalid,
      file,
      `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let parsed: Partial<VaultFile>;
  try {
    parsed = JSON.parse(text) as Partial<VaultFile>;
  } catch {
    throw new VaultError(ErrorCode.VaultInvalid, file, 'not a TradeNova vault (not JSON)');
  }
  if (parsed.format !== 'tradenova-vault' || parsed.version !== 1 || parsed.cipher !== 'aes-256-gcm') {
    throw new VaultError(
      ErrorCode.VaultInvalid,
      file,
      'not a TradeNova vault (format tradenova-vault, version 1)',
    );
  }
  const kdf = parsed.kdf as
    | { name?: string; N?: unknown; r?: unknown; p?: unknown; salt?: unknown }
    | undefined;
  const kdfOk =
    kdf?.name === 'raw' ||
    (kdf?.name === 'scrypt' &&
      Number.isInteger(kdf.N) &&
      Number.isInteger(kdf.r) &&
      Number.isInteger(kdf.p) &&
      typeof kdf.salt === 'string');
  if (
    !kdfOk ||
    typeof parsed.iv !== 'string' ||
    typeof parsed.tag !== 'string' ||
    typeof parsed.data !== 'string'
  ) {
    throw new VaultError(ErrorCode.VaultInvalid, file, 'damaged header (kdf, iv, tag or data missing)');
  }
  return parsed as VaultFile;
}

/** The header fields bound to the ciphertext: changing the KDF settings or the format breaks authentication. */
function headerAad(kdf: KdfParams): Buffer {
  return Buffer.from(
    JSON.stringify({ format: 'tradenova-vault', version: 1, cipher: 'aes-256-gcm', kdf }),
    'utf8',
  );
}

function derive(file: string, kdf: KdfParams, key: { passphrase: string }): Buffer {
  if (kdf.name !== 'scrypt') throw new VaultError(ErrorCode.VaultInvalid, file, 'no scrypt settings');
  if (key.passphrase.length === 0)
    throw new VaultError(ErrorCode.VaultKeyMissing, file, 'the passphrase is empty');
  // maxmem above 128·N·r so the default cost fits (Node's own limit is 32 MiB).
  return scryptSync(key.passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r * kdf.p,
  });
}

function checkRawKey(file: string, raw: Buffer): Buffer {
  if (raw.length !== 32) {
    throw new VaultError(
      ErrorCode.VaultKeyMissing,
      file,
      `TRADENOVA_SECRETS_KEY must be 32 bytes as base64 or 64 hex digits (it decodes to ${raw.length} bytes)`,
    );
  }
  return raw;
}
