import { createHash } from 'node:crypto';
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLValidator } from 'fast-xml-parser';
import type { Redis } from 'ioredis';
import type { FeedConfig } from '../config';
import type { Keys } from '../keys';
import type { Logger } from '../logger';
import { articleSchema, type ArticleInput } from '../article';
import type { PublishResult } from '../alerts/publish';
import { htmlToBlocks } from './article-text/html-to-blocks';
import type { LeftOutLine } from './article-text/read-article-text';
import { fetchContent, FetchError, type AllowList, type FetchedContent } from './fetch-content';

export interface FeedWatcherDeps {
  redis: Redis;
  keys: Keys;
  feeds: FeedConfig[];
  topics: readonly string[];
  publish(input: ArticleInput): Promise<PublishResult>;
  logger: Logger;
  timeoutMs: number;
  /** FETCH_ALLOW_HOSTS: internal hosts a feed may live on. */
  allow: AllowList;
  /** How long one feed stays locked by the process polling it (ms). */
  lockMs?: number;
  /**
   * Most alerts one poll may create. A feed that suddenly shows many unseen items (a CMS that
   * rewrote its GUIDs) would otherwise mail its whole backlog; the rest are marked seen and logged.
   */
  maxNewPerPoll?: number;
}

export type PollOutcome =
  | { status: 'locked' | 'not_modified' }
  | { status: 'initialised'; seen: number }
  | { status: 'polled'; published: number; suppressed: number }
  | { status: 'error'; error: string };

const MAX_FEED_BYTES = 10 * 1024 * 1024;

export const feedHash = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 16);

/**
 * Newsroom feeds (RSS or Atom) turned into alerts. Each poll is a conditional GET (ETag /
 * Last-Modified); the first successful poll of a feed only records what is there (no backlog is
 * mailed); after that an item whose GUID (or link) was never seen becomes an alert. Seen GUIDs live
 * in Redis, so a restart never alerts an item twice; the alert's article id is derived from the
 * GUID too, so even a crash between publishing and recording sends nothing twice.
 */
export function createFeedWatcher(deps: FeedWatcherDeps) {
  const schema = articleSchema(deps.topics);
  const maxNew = deps.maxNewPerPoll ?? 10;

  async function pollFeed(feed: FeedConfig): Promise<PollOutcome> {
    const h = feedHash(feed.url);
    const log = deps.logger.child({ feed: feed.url });
    // One process per feed at a time, even if two scheduler ticks overlap.
    const lock = await deps.redis.set(deps.keys.feedLock(h), String(process.pid), 'PX', deps.lockMs ?? deps.timeoutMs * 3, 'NX');
    if (lock !== 'OK') return { status: 'locked' };
    try {
      const state = await deps.redis.hgetall(deps.keys.feedState(h));
      const headers: Record<string, string> = { accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1' };
      if (state.etag) headers['if-none-match'] = state.etag;
      if (state.lastModified) headers['if-modified-since'] = state.lastModified;
      // Through the content fetcher: public addresses only (FETCH_ALLOW_HOSTS aside), on every
      // redirect too; the decoded body stops at MAX_FEED_BYTES, the whole poll at the timeout.
      let res: FetchedContent;
      try {
        res = await fetchContent(feed.url, { allow: deps.allow, timeoutMs: deps.timeoutMs, maxBytes: MAX_FEED_BYTES }, headers);
      } catch (err) {
        throw new Error(err instanceof FetchError ? err.message : `fetch failed: ${(err as Error).message}`);
      }
      if (res.status === 304) return { status: 'not_modified' };
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
      const body = res.body;
      const xml = body.toString('utf8');
      // feed-parser is lenient (it reads half a document); a broken feed must be reported instead.
      const valid = XMLValidator.validate(xml);
      if (valid !== true) throw new Error(`not a valid RSS or Atom feed: invalid XML at line ${valid.err.line}: ${valid.err.msg}`);
      let items;
      try {
        items = parseFeed(xml).items;
      } catch (err) {
        throw new Error(`not a valid RSS or Atom feed: ${(err as Error).message}`);
      }
      const entries = items
        .map((item) => ({ item, guid: (item.id || item.url || '').trim() }))
        .filter((e) => e.guid !== '');
      // Oldest first, so alerts go out in the order the stories were published.
      entries.sort((a, b) => (a.item.published?.getTime() ?? 0) - (b.item.published?.getTime() ?? 0));
      const validators: Record<string, string> = {};
      if (res.headers.etag) validators.etag = res.headers.etag.slice(0, 200);
      if (res.headers['last-modified']) validators.lastModified = res.headers['last-modified'].slice(0, 100);

      if (!state.initialised) {
        const p = deps.redis.multi();
        if (entries.length > 0) p.sadd(deps.keys.feedSeen(h), ...entries.map((e) => e.guid));
        p.hset(deps.keys.feedState(h), { ...validators, initialised: String(Date.now()) });
        await p.exec();
        log.info({ items: entries.length }, 'feed added: its current items are recorded, not alerted');
        return { status: 'initialised', seen: entries.length };
      }

      const seenFlags = entries.length > 0 ? await deps.redis.smismember(deps.keys.feedSeen(h), ...entries.map((e) => e.guid)) : [];
      const fresh = entries.filter((_, i) => seenFlags[i] === 0);
      const suppressed = fresh.slice(0, Math.max(0, fresh.length - maxNew));
      if (suppressed.length > 0) {
        await deps.redis.sadd(deps.keys.feedSeen(h), ...suppressed.map((e) => e.guid));
        log.warn({ unseen: fresh.length, alerted: maxNew, skipped: suppressed.length }, 'too many unseen items at once; only the newest become alerts');
      }
      let published = 0;
      for (const { item, guid } of fresh.slice(suppressed.length)) {
        const content = bodyOf(item.content, item.description, item.title);
        if (content.leftOut.length > 0) log.info({ guid, leftOut: content.leftOut.map((l) => `${l.reason}: ${l.text.slice(0, 80)}`) }, 'feed item: page furniture left out of the story');
        const input = {
          id: `feed-${createHash('sha256').update(`${feed.url}\n${guid}`).digest('hex').slice(0, 40)}`,
          title: (item.title ?? '').replace(/\s+/g, ' ').trim().slice(0, 300),
          url: httpUrl(item.url),
          body: content.body,
          locale: feed.locale,
          topics: feed.topics,
          author: item.authors[0]?.name?.replace(/\s+/g, ' ').trim().slice(0, 200) || undefined,
          publishedAt: item.published ? item.published.toISOString() : undefined,
          imageUrl: httpUrl(item.image?.url),
          ...(feed.breaking ? {} : { breaking: false }),
        };
        const parsed = schema.safeParse(input);
        if (parsed.success) {
          const r = await deps.publish(parsed.data);
          if (r.created) published++;
          log.info({ alertId: r.alertId, guid, created: r.created }, 'feed item published');
        } else {
          log.warn({ guid, error: parsed.error.issues[0]?.message, field: parsed.error.issues[0]?.path.join('.') }, 'feed item is not a valid article; skipped');
        }
        // Recorded after publishing: a crash in between republishes the same article id, a no-op.
        await deps.redis.sadd(deps.keys.feedSeen(h), guid);
      }
      if (Object.keys(validators).length > 0) await deps.redis.hset(deps.keys.feedState(h), validators);
      return { status: 'polled', published, suppressed: suppressed.length };
    } catch (err) {
      const error = (err as Error).message;
      await deps.redis.hset(deps.keys.feedState(h), { lastError: error.slice(0, 300), lastErrorAt: String(Date.now()) }).catch(() => undefined);
      log.warn({ error }, 'feed poll failed; will retry next interval');
      return { status: 'error', error };
    } finally {
      await deps.redis.del(deps.keys.feedLock(h)).catch(() => undefined);
    }
  }

  return {
    pollFeed,
    /** Polls every feed; one bad feed never stops the others. */
    async pollAll(): Promise<PollOutcome[]> {
      return Promise.all(deps.feeds.map((f) => pollFeed(f)));
    },
  };
}

export type FeedWatcher = ReturnType<typeof createFeedWatcher>;

function httpUrl(v: string | null | undefined): string | undefined {
  if (!v) return undefined;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && v.length <= 2048 ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** The item's story as text (blank lines between blocks), and the page furniture its HTML lost. */
function bodyOf(content: string | null, description: string | null, title: string | null): { body: string; leftOut: LeftOutLine[] } {
  for (const html of [content, description]) {
    if (!html) continue;
    const blocks = htmlToBlocks(html);
    const text = blocks.paragraphs.join('\n\n').slice(0, 200_000);
    if (text.trim()) return { body: text, leftOut: blocks.leftOut };
  }
  return { body: (title ?? '').trim() || '-', leftOut: [] };
}
