import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keys } from '../keys';
import type { Redis } from '../redis';

/** What a key may do. `admin` includes every other scope. */
export const SCOPES = ['publish', 'read', 'subscribers', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who acts: the key's id and name (what the audit log records). */
export interface KeyIdentity {
  id: string;
  name: string;
  scopes: Scope[];
}

export interface ApiKeyRecord extends KeyIdentity {
  createdAt: string;
  /** The id and name of the key (or CLI user) that created it. */
  createdBy: { id: string; name: string };
  revokedAt: string | null;
}

/** PUBLISHER_TOKEN's identity: every scope, cannot be revoked (change the setting instead). */
export const BOOTSTRAP_ID = 'bootstrap';
export const NAME_MAX = 64;

export class KeyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyInputError';
  }
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** A key name: 1–64 characters after trimming, no control or format characters (they would forge log lines or hide text). */
export function parseKeyName(value: unknown): string {
  if (typeof value !== 'string') throw new KeyInputError('name: a name is required (who holds the key, e.g. "Desk: Rina").');
  const name = value.normalize('NFC').trim();
  if (name.length === 0) throw new KeyInputError('name: a name is required (who holds the key, e.g. "Desk: Rina").');
  if ([...name].length > NAME_MAX) throw new KeyInputError(`name: at most ${NAME_MAX} characters.`);
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name)) throw new KeyInputError('name: control characters and line breaks are not allowed.');
  if (name.toLowerCase() === BOOTSTRAP_ID) throw new KeyInputError(`name: "${BOOTSTRAP_ID}" is reserved for PUBLISHER_TOKEN.`);
  return name;
}

/** Scopes as a list or a comma-separated string; each one known, at least one, no repeats kept. */
export function parseScopes(value: unknown): Scope[] {
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!items || items.length > 16 || items.some((s) => typeof s !== 'string')) throw new KeyInputError(`scopes: a list of ${SCOPES.join(', ')}.`);
  const scopes = new Set<Scope>();
  for (const raw of items as string[]) {
    const s = raw.trim();
    if (s === '') continue;
    if (!(SCOPES as readonly string[]).includes(s)) throw new KeyInputError(`scopes: "${s.slice(0, 20)}" is not one of ${SCOPES.join(', ')}.`);
    scopes.add(s as Scope);
  }
  if (scopes.size === 0) throw new KeyInputError(`scopes: at least one of ${SCOPES.join(', ')}.`);
  return SCOPES.filter((s) => scopes.has(s));
}

export const hasScope = (key: Pick<KeyIdentity, 'scopes'>, scope: Scope) => key.scopes.includes('admin') || key.scopes.includes(scope);

const KEY_ID = /^k_[0-9a-f]{12}$/;
export const isKeyId = (v: unknown): v is string => typeof v === 'string' && KEY_ID.test(v);

export interface ApiKeysDeps {
  redis: Redis;
  keys: Keys;
  /** PUBLISHER_TOKEN: the bootstrap key. */
  publisherToken: string;
}

/**
 * Named API keys. Only sha256(secret) is stored: secrets are 256 random bits, so a plain hash
 * cannot be reversed, and a lookup by hash is one GET — cheap enough to make on every request,
 * which is what makes a revoke take effect on the very next one (no cache to invalidate).
 */
export class ApiKeys {
  private readonly bootstrapHash: Buffer;
  readonly bootstrap: KeyIdentity = { id: BOOTSTRAP_ID, name: BOOTSTRAP_ID, scopes: ['admin'] };

  constructor(private readonly deps: ApiKeysDeps) {
    this.bootstrapHash = createHash('sha256').update(deps.publisherToken).digest();
  }

  /** The key a secret belongs to, or undefined (unknown or revoked). PUBLISHER_TOKEN is compared in constant time. */
  async authenticate(secret: string): Promise<KeyIdentity | undefined> {
    if (secret.length === 0 || secret.length > 256) return undefined;
    const digest = createHash('sha256').update(secret).digest();
    if (timingSafeEqual(digest, this.bootstrapHash)) return this.bootstrap;
    return this.byHash(digest.toString('hex'));
  }

  /** The live key stored under this secret hash (sessions keep the hash, not the secret). */
  async byHash(secretHash: string): Promise<KeyIdentity | undefined> {
    if (!/^[0-9a-f]{64}$/.test(secretHash)) return undefined;
    if (timingSafeEqual(Buffer.from(secretHash, 'hex'), this.bootstrapHash)) return this.bootstrap;
    const raw = await this.deps.redis.get(this.deps.keys.apiKeyByHash(secretHash));
    if (!raw) return undefined;
    const k = JSON.parse(raw) as KeyIdentity;
    return { id: k.id, name: k.name, scopes: k.scopes };
  }

  /** Creates a key; the secret is in the answer and nowhere else. */
  async create(input: { name: unknown; scopes: unknown; createdBy: { id: string; name: string } }, now = Date.now()): Promise<{ key: ApiKeyRecord; secret: string }> {
    const name = parseKeyName(input.name);
    const scopes = parseScopes(input.scopes);
    const id = `k_${randomBytes(6).toString('hex')}`;
    const secret = `kilat_${randomBytes(32).toString('base64url')}`;
    const hash = hashSecret(secret);
    const key: ApiKeyRecord = { id, name, scopes, createdAt: new Date(now).toISOString(), createdBy: input.createdBy, revokedAt: null };
    const { keys, redis } = this.deps;
    // One slot ({keys}), one MULTI: the lookup and the listing appear together or not at all.
    await redis
      .multi()
      .set(keys.apiKeyByHash(hash), JSON.stringify({ id, name, scopes }))
      .hset(keys.apiKeyIndex(), id, JSON.stringify({ ...key, hash }))
      .exec()
      .then(execOk);
    return { key, secret };
  }

  /** Every key ever created (revoked ones too, for the record), newest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const { keys, redis } = this.deps;
    const [index, revoked] = await Promise.all([redis.hgetall(keys.apiKeyIndex()), redis.hgetall(keys.apiKeyRevoked())]);
    return Object.values(index)
      .map((raw) => {
        const { hash: _hash, ...k } = JSON.parse(raw) as ApiKeyRecord & { hash: string };
        const at = revoked[k.id];
        return { ...k, revokedAt: at ? new Date(Number(at)).toISOString() : null };
      })
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    if (!isKeyId(id)) return undefined;
    return (await this.list()).find((k) => k.id === id);
  }

  /**
   * Revokes a key: its lookup entry goes, so the next request with it (API, /admin session, Bull
   * Board) is refused. `revoked: false` when it was already revoked (HSETNX: exactly one revoke
   * wins, so the audit log gets one entry however many editors press the button at once).
   */
  async revoke(id: string, now = Date.now()): Promise<{ ok: true; key: ApiKeyRecord; revoked: boolean } | { ok: false; reason: 'not_found' | 'bootstrap' }> {
    if (id === BOOTSTRAP_ID) return { ok: false, reason: 'bootstrap' };
    if (!isKeyId(id)) return { ok: false, reason: 'not_found' };
    const { keys, redis } = this.deps;
    const raw = await redis.hget(keys.apiKeyIndex(), id);
    if (!raw) return { ok: false, reason: 'not_found' };
    const { hash, ...key } = JSON.parse(raw) as ApiKeyRecord & { hash: string };
    const res = execOk(await redis.multi().hsetnx(keys.apiKeyRevoked(), id, String(now)).del(keys.apiKeyByHash(hash)).exec());
    const revoked = res[0] === 1;
    const at = revoked ? now : Number(await redis.hget(keys.apiKeyRevoked(), id));
    return { ok: true, revoked, key: { ...key, revokedAt: new Date(at).toISOString() } };
  }
}

function execOk(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('Redis transaction was aborted');
  for (const [err] of results) if (err) throw err;
  return results.map(([, v]) => v);
}
