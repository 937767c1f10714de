import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals a broker token with AES-256-GCM before it leaves the process, so a Redis
 * dump or `MONITOR` shows no usable credential. Output: base64 of iv(12) · tag(16) · data.
 */
export function sealToken(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
}

/** Opens what `sealToken` sealed; throws when the key is wrong or the value was altered. */
export function openToken(key: Buffer, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
