import type { Redis } from 'ioredis';
import type { Locale } from '../config';
import { SUBSCRIBER_SHARDS, type Keys } from '../keys';

/**
 * The confirmed subscribers of each shard and locale: one bitmap, bit = seq (the scripts set and
 * clear the bits). Fan-out reads them here a page of bytes at a time.
 */
export class ActiveSubscribers {
  private readonly redis: Redis;
  private readonly keys: Keys;

  constructor(deps: { redis: Redis; keys: Keys }) {
    this.redis = deps.redis;
    this.keys = deps.keys;
  }

  /** Confirmed ids of one shard and locale with `after < id <= upTo`, ascending, at most `limit`. */
  async ids(shard: number, locale: Locale, after: number, upTo: number | '+inf', limit: number): Promise<number[]> {
    const key = this.keys.active(shard, locale);
    // Sequence numbers whose ids fall in (after, upTo].
    let seq = Math.max(0, Math.floor((after - shard) / SUBSCRIBER_SHARDS) + 1);
    const last = upTo === '+inf' ? Infinity : Math.floor((upTo - shard) / SUBSCRIBER_SHARDS);
    const ids: number[] = [];
    // Read a few bytes more than a dense page needs, then more if the bits are sparse there.
    let chunk = Math.max(64, Math.ceil(limit / 8) + 8);
    while (ids.length < limit && seq <= last) {
      const firstByte = Math.floor(seq / 8);
      const lastByte = Math.min(firstByte + chunk - 1, Math.floor(last / 8));
      const bytes = await this.redis.getrangeBuffer(key, firstByte, lastByte);
      for (let i = 0; i < bytes.length && ids.length < limit; i++) {
        const byte = bytes[i]!;
        if (byte === 0) continue;
        for (let bit = 0; bit < 8 && ids.length < limit; bit++) {
          // Redis numbers bits from the most significant bit of byte 0.
          if ((byte & (0x80 >> bit)) === 0) continue;
          const s = (firstByte + i) * 8 + bit;
          if (s >= seq && s <= last) ids.push(s * SUBSCRIBER_SHARDS + shard);
        }
      }
      // Fewer bytes than asked for: the bitmap ends here.
      if (bytes.length < lastByte - firstByte + 1) break;
      seq = (lastByte + 1) * 8;
      chunk = Math.min(chunk * 2, 64 * 1024);
    }
    return ids;
  }

  async count(shard: number, locale: Locale, after: number, upTo: number): Promise<number> {
    return (await this.ids(shard, locale, after, upTo, Number.MAX_SAFE_INTEGER)).length;
  }
}
