import fs from 'node:fs';
import path from 'node:path';
import { ALERT_SCRIPTS } from '../src/alerts/alert-scripts';
import { createKeys, EMAIL_BUCKETS, LISTPACK_VALUE_MAX, RECORDS_PER_BUCKET, SUBSCRIBER_SHARDS } from '../src/keys';
import { defineScripts, loadCommands, type RunScript } from '../src/redis-scripts';
import { MAX_SOURCES_PER_DAY, OTHER_SOURCE } from '../src/subscribers/signup-stats';
import { decodeRecord } from '../src/subscribers/subscriber-record';
import { SUBSCRIBER_SCRIPTS } from '../src/subscribers/subscriber-scripts';
import { startTestRedis, type TestRedis } from './helpers/redis-server';

// Every Lua script, run on a real redis-server: what it is given (KEYS, ARGV), what it answers and
// what a reader of Redis then sees. A script without a row here fails the last test.
const k = createKeys('t');
const NOW = Date.UTC(2026, 11, 2, 1, 0, 0);
const T36 = Math.floor(NOW / 1000).toString(36);
const T36_EARLIER = Math.floor((NOW - 60_000) / 1000).toString(36);
const SHARD = 1;
const P = k.subscriberShard(SHARD);
/** Id of seq 1 (and 2) in SHARD: the records below live there. */
const ID1 = 1 * SUBSCRIBER_SHARDS + SHARD;
const ID2 = 2 * SUBSCRIBER_SHARDS + SHARD;
const R0 = k.records(SHARD, 0);
const A = '7';
const ledger = [k.ledger(A, 'sent'), k.ledger(A, 'failed'), k.ledger(A, 'skipped')];
const recordKeys = [R0, k.records(SHARD, 0, true), P];
const OLD_SOURCE = JSON.stringify({ kind: 'page', source: '', locale: 'id', at: '2026-11-01T00:00:00.000Z' });
const NEW_SOURCE = JSON.stringify({ kind: 'form', source: 'https://berita.example/a', locale: 'en', at: new Date(NOW).toISOString() });
const SIGNUP_DAY = k.signupDay('2026-12-02');

/** A packed record as record.lua writes it. */
const rec = (status: string, opts: { locale?: string; confirmed?: string; nonce?: string; topics?: string; email?: string } = {}) =>
  `${status}${opts.locale ?? 'id'}|${T36_EARLIER}|${opts.confirmed ?? ''}|${opts.nonce ?? 'n1'}|${opts.topics ?? 'politik'}|${opts.email ?? 'ani@contoh.co.id'}`;
const email = 'ani@contoh.co.id';
const index = k.addressIndex(email);

type Command = [string, ...(string | number)[]];
interface Row {
  script: string;
  does: string;
  setup?: Command[];
  keys: string[];
  args: (string | number)[];
  reply: unknown;
  /** Redis commands and what they answer after the script ran. */
  then?: [Command, unknown][];
}

const rows: Row[] = [
  // --- subscribers
  {
    script: 'signup',
    does: 'a new address gets the next id of its shard, a pending record and an index entry',
    keys: [index.key, k.idCounter(index.shard), k.subscriberShard(index.shard), k.suppressed(index.shard), k.pendingChanges(index.shard)],
    args: [email, 'id', 'politik,dunia', 'n1', NOW, index.shard, SUBSCRIBER_SHARDS],
    reply: [String(SUBSCRIBER_SHARDS + index.shard), 'created'],
    then: [
      [['HGET', k.records(index.shard, 0), '1'], `pid|${T36}||n1|politik,dunia|${email}`],
      [['HGET', index.key, email], String(SUBSCRIBER_SHARDS + index.shard)],
    ],
  },
  {
    script: 'signup',
    does: 'an address whose complaint outlived its record (kept keyed hash) is suppressed, nothing written',
    setup: [['HSET', k.suppressed(index.shard), 'h1', 'complained:1']],
    keys: [index.key, k.idCounter(index.shard), k.subscriberShard(index.shard), k.suppressed(index.shard), k.pendingChanges(index.shard)],
    args: [email, 'id', 'politik', 'n1', NOW, index.shard, SUBSCRIBER_SHARDS, 'h0', 'h1'],
    reply: ['0', 'suppressed'],
    then: [[['EXISTS', index.key], 0]],
  },
  {
    script: 'signup',
    does: 'a confirmed subscriber signing up again: the record stays, the choices wait as a pending change',
    setup: [['HSET', index.key, email, String(SUBSCRIBER_SHARDS + index.shard)], ['HSET', k.records(index.shard, 0), '1', rec('c', { confirmed: T36_EARLIER })]],
    keys: [index.key, k.idCounter(index.shard), k.subscriberShard(index.shard), k.suppressed(index.shard), k.pendingChanges(index.shard)],
    args: [email, 'en', 'dunia', 'n2', NOW, index.shard, SUBSCRIBER_SHARDS],
    reply: [String(SUBSCRIBER_SHARDS + index.shard), 'change'],
    then: [
      [['HGET', k.records(index.shard, 0), '1'], rec('c', { confirmed: T36_EARLIER })],
      [['HGET', k.pendingChanges(index.shard), '1'], 'n2|en|dunia'],
    ],
  },
  {
    script: 'confirm',
    does: "the record's nonce confirms a pending sign-up and sets its bit in the locale's bitmap",
    setup: [['HSET', R0, '1', rec('p')]],
    keys: [...recordKeys, k.pendingChanges(SHARD)],
    args: ['n1', NOW, 1],
    reply: 'confirmed',
    then: [
      [['HGET', R0, '1'], rec('c', { confirmed: T36 })],
      [['GETBIT', k.active(SHARD, 'id'), 1], 1],
    ],
  },
  {
    script: 'confirm',
    does: 'a nonce that is not the current one is stale',
    setup: [['HSET', R0, '1', rec('p')]],
    keys: [...recordKeys, k.pendingChanges(SHARD)],
    args: ['old', NOW, 1],
    reply: 'stale',
    then: [[['HGET', R0, '1'], rec('p')]],
  },
  {
    script: 'confirm',
    does: "a pending change's nonce applies the change: the subscriber moves bitmap",
    setup: [['HSET', R0, '1', rec('c', { confirmed: T36_EARLIER })], ['SETBIT', k.active(SHARD, 'id'), 1, 1], ['HSET', k.pendingChanges(SHARD), '1', 'n2|en|dunia']],
    keys: [...recordKeys, k.pendingChanges(SHARD)],
    args: ['n2', NOW, 1],
    reply: 'changed',
    then: [
      [['HGET', R0, '1'], rec('c', { locale: 'en', topics: 'dunia', confirmed: T36_EARLIER })],
      [['GETBIT', k.active(SHARD, 'id'), 1], 0],
      [['GETBIT', k.active(SHARD, 'en'), 1], 1],
      [['EXISTS', k.pendingChanges(SHARD)], 0],
    ],
  },
  {
    script: 'confirm',
    does: 'no record: not_found',
    keys: [...recordKeys, k.pendingChanges(SHARD)],
    args: ['n1', NOW, 1],
    reply: 'not_found',
  },
  {
    script: 'set-status',
    does: 'confirmed -> paused answers the status before and leaves fan-out',
    setup: [['HSET', R0, '1', rec('c', { confirmed: T36_EARLIER })], ['SETBIT', k.active(SHARD, 'id'), 1, 1]],
    keys: recordKeys,
    args: ['paused', 1, NOW],
    reply: 'confirmed',
    then: [
      [['HGET', R0, '1'], rec('z', { confirmed: T36_EARLIER })],
      [['GETBIT', k.active(SHARD, 'id'), 1], 0],
      // the audience counters move with it: out of confirmed (locale, topic), into paused
      [['HGETALL', k.audienceTotals(SHARD)], ['st:c', '-1', 'loc:id', '-1', 'top:politik', '-1', 'st:z', '1']],
      [['HGETALL', k.audienceDay(SHARD, '2026-12-02')], ['pause', '1']],
    ],
  },
  {
    script: 'set-status',
    does: 'an unsubscribe is counted by how it came',
    setup: [['HSET', R0, '1', rec('c', { confirmed: T36_EARLIER }), '2', rec('c', { email: 'b@contoh.co.id' })]],
    keys: recordKeys,
    args: ['unsubscribed', 1, NOW, 'footer'],
    reply: 'confirmed',
    then: [
      [['HGET', k.audienceDay(SHARD, '2026-12-02'), 'unsub:footer'], '1'],
      [['HGET', k.audienceTotals(SHARD), 'st:u'], '1'],
      [['EXISTS', k.lastBounce(SHARD)], 0],
    ],
  },
  {
    script: 'set-status',
    does: "a hard bounce is the day's bounce and the subscriber's last bounce",
    setup: [['HSET', R0, '1', rec('c', { confirmed: T36_EARLIER })]],
    keys: recordKeys,
    args: ['bounced', 1, NOW],
    reply: 'confirmed',
    then: [
      [['HGET', k.audienceDay(SHARD, '2026-12-02'), 'bounce'], '1'],
      [['HGET', k.lastBounce(SHARD), '1'], `${NOW}|hard`],
      [['TTL', k.audienceDay(SHARD, '2026-12-02')], 400 * 86400],
    ],
  },
  {
    script: 'set-status',
    does: 'the status it already has: unchanged',
    setup: [['HSET', R0, '1', rec('u')]],
    keys: recordKeys,
    args: ['unsubscribed', 1, NOW, 'one-click'],
    reply: 'unchanged',
    then: [[['EXISTS', k.audienceTotals(SHARD), k.audienceDay(SHARD, '2026-12-02')], 0]],
  },
  {
    script: 'set-preferences',
    does: 'a confirmed subscriber changing locale moves from one bitmap to the other',
    setup: [['HSET', R0, '1', rec('c', { confirmed: T36_EARLIER })], ['SETBIT', k.active(SHARD, 'id'), 1, 1]],
    keys: recordKeys,
    args: ['en', '', 1],
    reply: 'ok',
    then: [
      [['HGET', R0, '1'], rec('c', { locale: 'en', topics: '', confirmed: T36_EARLIER })],
      [['GETBIT', k.active(SHARD, 'id'), 1], 0],
      [['GETBIT', k.active(SHARD, 'en'), 1], 1],
    ],
  },
  {
    script: 'import',
    does: 'confirmed mode: a new address is created confirmed, a pending one is confirmed, one who left stays out',
    setup: [
      ['HSET', R0, '1', rec('p', { email: 'lama@contoh.co.id' })],
      ['HSET', R0, '2', rec('u', { email: 'pergi@contoh.co.id' })],
      ['SET', k.idCounter(SHARD), 2],
      ['HSET', k.addressIndex('lama@contoh.co.id').key.replace(/\{s\d+\}/, `{s${SHARD}}`), 'lama@contoh.co.id', String(ID1)],
      ['HSET', k.addressIndex('pergi@contoh.co.id').key.replace(/\{s\d+\}/, `{s${SHARD}}`), 'pergi@contoh.co.id', String(ID2)],
    ],
    keys: [k.idCounter(SHARD), P],
    args: ['confirmed', NOW, SHARD, SUBSCRIBER_SHARDS, 'baru@contoh.co.id', 'en', 'dunia', 'n3', 'lama@contoh.co.id', 'id', '', 'n4', 'pergi@contoh.co.id', 'id', '', 'n5'],
    reply: [String(3 * SUBSCRIBER_SHARDS + SHARD), 'created', String(ID1), 'confirmed', String(ID2), 'opted_out'],
    then: [
      [['HGET', R0, '3'], `cen|${T36}|${T36}|n3|dunia|baru@contoh.co.id`],
      [['HGET', R0, '1'], rec('c', { email: 'lama@contoh.co.id', confirmed: T36 })],
      [['GETBIT', k.active(SHARD, 'en'), 3], 1],
      [['HGET', R0, '2'], rec('u', { email: 'pergi@contoh.co.id' })],
    ],
  },
  {
    script: 'resume',
    does: 'paused -> confirmed, back in the bitmap',
    setup: [['HSET', R0, '1', rec('z', { confirmed: T36_EARLIER })]],
    keys: recordKeys,
    args: [1, 'paused', NOW],
    reply: 'resumed',
    then: [
      [['HGET', R0, '1'], rec('c', { confirmed: T36_EARLIER })],
      [['GETBIT', k.active(SHARD, 'id'), 1], 1],
    ],
  },
  {
    script: 'resume',
    does: 'a bounced subscriber is not resumed by a plain resume: it answers the status it has',
    setup: [['HSET', R0, '1', rec('b')]],
    keys: recordKeys,
    args: [1, 'paused', NOW],
    reply: 'bounced',
  },
  {
    script: 'resume',
    does: "with 'bounced' (the breaker's undo), a bounced subscriber comes back",
    setup: [['HSET', R0, '1', rec('b')], ['HSET', k.audienceDay(SHARD, '2026-12-02'), 'bounce', 1], ['HSET', k.lastBounce(SHARD), '1', `${NOW}|hard`]],
    keys: recordKeys,
    args: [1, 'bounced', NOW],
    reply: 'resumed',
    then: [
      [['GETBIT', k.active(SHARD, 'id'), 1], 1],
      // the day's bounce is taken back: it was the relay's
      [['HGET', k.audienceDay(SHARD, '2026-12-02'), 'bounce'], '0'],
      [['EXISTS', k.lastBounce(SHARD)], 0],
    ],
  },
  {
    script: 'erase',
    does: 'removes record, index entry, bit, soft bounces, pending change and digest sets; keeps the keyed hash',
    setup: [
      ['HSET', R0, '1', rec('c', { email: 'hapus@contoh.co.id' })],
      ['HSET', k.addressIndex('hapus@contoh.co.id').key.replace(/\{s\d+\}/, `{s${SHARD}}`), 'hapus@contoh.co.id', String(ID1)],
      ['SETBIT', k.active(SHARD, 'id'), 1, 1],
      ['HSET', k.softBounces(SHARD), String(ID1), 2],
      ['HSET', k.pendingChanges(SHARD), '1', 'n2|en|'],
      ['SADD', k.digestSubscribers(SHARD), String(ID1)],
      ['SADD', k.digestSent(SHARD, '2026-12-02'), String(ID1)],
      ['HSET', k.audienceTotals(SHARD), 'st:c', 1, 'loc:id', 1, 'top:politik', 1],
      ['HSET', k.received(SHARD, 0), '1', 7],
      ['HSET', k.lastBounce(SHARD), '1', `${NOW}|soft`],
    ],
    keys: [
      ...recordKeys,
      k.softBounces(SHARD),
      k.suppressed(SHARD),
      k.pendingChanges(SHARD),
      k.digestSubscribers(SHARD),
      ...['2026-12-03', '2026-12-02', '2026-12-01', '2026-11-30', '2026-11-29'].map((d) => k.digestSent(SHARD, d)),
    ],
    args: [1, ID1, 'hash1', NOW],
    reply: 1,
    then: [
      [['EXISTS', R0, k.softBounces(SHARD), k.pendingChanges(SHARD), k.digestSubscribers(SHARD), k.digestSent(SHARD, '2026-12-02')], 0],
      [['GETBIT', k.active(SHARD, 'id'), 1], 0],
      [['HGET', k.addressIndex('hapus@contoh.co.id').key.replace(/\{s\d+\}/, `{s${SHARD}}`), 'hapus@contoh.co.id'], null],
      [['HGET', k.suppressed(SHARD), 'hash1'], `deleted:${NOW}`],
      [['HGETALL', k.audienceTotals(SHARD)], ['st:c', '0', 'loc:id', '0', 'top:politik', '0']],
      [['EXISTS', k.received(SHARD, 0), k.lastBounce(SHARD)], 0],
      [['HGET', k.audienceDay(SHARD, '2026-12-02'), 'delete'], '1'],
    ],
  },
  {
    script: 'count-received',
    does: 'one more accepted copy per id, in the bucket hash of its seq',
    setup: [['HSET', k.received(SHARD, 0), '1', 4]],
    keys: [P],
    args: [SHARD, SUBSCRIBER_SHARDS, ID1, ID2, (RECORDS_PER_BUCKET + 1) * SUBSCRIBER_SHARDS + SHARD],
    reply: 3,
    then: [
      [['HGETALL', k.received(SHARD, 0)], ['1', '5', '2', '1']],
      [['HGETALL', k.received(SHARD, 1)], [String(RECORDS_PER_BUCKET + 1), '1']],
    ],
  },
  {
    script: 'stats-repair',
    does: 'counters still as read before the scan (zeros aside) are replaced by the recount',
    setup: [['HSET', k.audienceTotals(SHARD), 'st:c', 5, 'st:u', 0]],
    keys: [k.audienceTotals(SHARD)],
    args: [JSON.stringify({ 'st:c': 5 }), JSON.stringify({ 'st:c': 3, 'loc:id': 3, 'top:': 3 })],
    reply: 'repaired',
    then: [[['HGETALL', k.audienceTotals(SHARD)], expect.arrayContaining(['st:c', '3', 'loc:id', '3', 'top:', '3'])]],
  },
  {
    script: 'stats-repair',
    does: 'counters an event moved during the scan are left alone: the recount must run again',
    setup: [['HSET', k.audienceTotals(SHARD), 'st:c', 6]],
    keys: [k.audienceTotals(SHARD)],
    args: [JSON.stringify({ 'st:c': 5 }), JSON.stringify({ 'st:c': 3 })],
    reply: 'changed',
    then: [[['HGETALL', k.audienceTotals(SHARD)], ['st:c', '6']]],
  },
  {
    script: 'soft-bounce',
    does: 'the failure that reaches the limit suppresses (bounced) and clears the count; others only count',
    setup: [['HSET', R0, '1', rec('c'), '2', rec('c', { email: 'b@contoh.co.id' })], ['SETBIT', k.active(SHARD, 'id'), 1, 1], ['HSET', k.softBounces(SHARD), String(ID1), 1]],
    keys: [k.softBounces(SHARD), P],
    args: [2, SHARD, SUBSCRIBER_SHARDS, NOW, ID1, ID2],
    reply: [String(ID1)],
    then: [
      [['HGET', R0, '1'], rec('b')],
      [['HGET', k.audienceDay(SHARD, '2026-12-02'), 'bounce'], '1'],
      [['HGETALL', k.lastBounce(SHARD)], ['1', `${NOW}|soft`, '2', `${NOW}|soft`]],
      [['GETBIT', k.active(SHARD, 'id'), 1], 0],
      [['HGETALL', k.softBounces(SHARD)], [String(ID2), '1']],
    ],
  },
  {
    script: 'read-pending-change',
    does: 'the waiting choices as {nonce, locale, topics}',
    setup: [['HSET', k.pendingChanges(SHARD), '1', 'n2|en|dunia,sains']],
    keys: [k.pendingChanges(SHARD)],
    args: [1],
    reply: ['n2', 'en', 'dunia,sains'],
  },
  {
    script: 'read-pending-change',
    does: 'none waiting: null',
    keys: [k.pendingChanges(SHARD)],
    args: [1],
    reply: null,
  },
  {
    script: 'signup-attribution',
    does: "a new reader's attribution replaces an earlier one",
    setup: [['HSET', k.signupSource(SHARD), String(ID1), OLD_SOURCE]],
    keys: [k.signupSource(SHARD)],
    args: [String(ID1), NEW_SOURCE, '1'],
    reply: 1,
    then: [[['HGET', k.signupSource(SHARD), String(ID1)], NEW_SOURCE]],
  },
  {
    script: 'signup-attribution',
    does: 'a known subscriber signing up again keeps the attribution they have',
    setup: [['HSET', k.signupSource(SHARD), String(ID1), OLD_SOURCE]],
    keys: [k.signupSource(SHARD)],
    args: [String(ID1), NEW_SOURCE, '0'],
    reply: 1,
    then: [[['HGET', k.signupSource(SHARD), String(ID1)], OLD_SOURCE]],
  },
  {
    script: 'signup-attribution',
    does: 'a known subscriber without one (signed up before attribution) gets this one',
    setup: [['HSET', k.signupSource(SHARD), String(ID2), OLD_SOURCE]],
    keys: [k.signupSource(SHARD)],
    args: [String(ID1), NEW_SOURCE, '0'],
    reply: 1,
    then: [[['HMGET', k.signupSource(SHARD), String(ID1), String(ID2)], [NEW_SOURCE, OLD_SOURCE]]],
  },
  {
    script: 'signup-count',
    does: "a sign-up is counted under its metric, kind and source; the day's hash is kept 400 days",
    setup: [['HSET', SIGNUP_DAY, 's|form|https://berita.example/a', 2]],
    keys: [SIGNUP_DAY],
    args: ['s', 'form', 'https://berita.example/a', MAX_SOURCES_PER_DAY, OTHER_SOURCE, 400 * 86400, 1],
    reply: 1,
    then: [
      [['HGETALL', SIGNUP_DAY], ['s|form|https://berita.example/a', '3']],
      [['TTL', SIGNUP_DAY], expect.closeTo(400 * 86400, -1)],
    ],
  },
  {
    script: 'signup-count',
    does: 'a day at its cap counts a source it does not hold under the "other" source',
    setup: [['HSET', SIGNUP_DAY, 's|form|a', 1, 'c|form|a', 1]],
    keys: [SIGNUP_DAY],
    args: ['s', 'iframe', 'b', 2, OTHER_SOURCE, 60, 1],
    reply: 1,
    then: [[['HGETALL', SIGNUP_DAY], ['s|form|a', '1', 'c|form|a', '1', `s|iframe|${OTHER_SOURCE}`, '1']]],
  },
  {
    script: 'signup-count',
    does: 'a day at its cap still counts a source it holds under that source',
    setup: [['HSET', SIGNUP_DAY, 's|form|a', 1, 'c|form|a', 1]],
    keys: [SIGNUP_DAY],
    args: ['c', 'form', 'a', 2, OTHER_SOURCE, 60, 1],
    reply: 1,
    then: [[['HGETALL', SIGNUP_DAY], ['s|form|a', '1', 'c|form|a', '2']]],
  },
  {
    script: 'signup-count',
    does: 'adding 0 (a known address signing up again) writes nothing',
    keys: [SIGNUP_DAY],
    args: ['s', 'form', 'a', MAX_SOURCES_PER_DAY, OTHER_SOURCE, 60, 0],
    reply: 0,
    then: [[['EXISTS', SIGNUP_DAY], 0]],
  },
  // --- alerts
  {
    script: 'record-outcome',
    does: 'marks only ids with no outcome yet, counts them on the alert, and a delivery pays the breaker down',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'breakerScore', 1, 'relayRun', 2], ['SETBIT', ledger[1]!, 2, 1], ['SADD', k.alertBreaker(A, 'burst'), '2']],
    keys: [k.alert(A), ...ledger, k.alertBreaker(A, 'burst'), k.alertBreaker(A, 'burst-batches')],
    args: ['sent', NOW, 'ids', 1, 2],
    reply: ['1'],
    then: [
      [['HMGET', k.alert(A), 'sent', 'firstSentAt', 'breakerScore', 'relayRun'], ['1', String(NOW), '0', '0']],
      [['GETBIT', ledger[0]!, 1], 1],
      [['EXISTS', k.alertBreaker(A, 'burst')], 0],
    ],
  },
  {
    script: 'record-outcome',
    does: "'count' answers how many were new",
    keys: [k.alert(A), ...ledger, k.alertBreaker(A, 'burst'), k.alertBreaker(A, 'burst-batches')],
    args: ['skipped', NOW, 'count', 4, 5, 4],
    reply: 2,
    then: [[['HGET', k.alert(A), 'skipped'], '2']],
  },
  {
    script: 'count-outcome',
    does: "one reader outcome counted on the alert's outcome hash",
    setup: [['HSET', k.alert(A), 'state', 'completed'], ['HSET', k.alertOutcomes(A), 'unsubscribed', 2]],
    keys: [k.alert(A), k.alertOutcomes(A)],
    args: ['unsubscribed'],
    reply: 3,
    then: [[['HGET', k.alertOutcomes(A), 'unsubscribed'], '3']],
  },
  {
    script: 'count-outcome',
    does: 'an alert id Kilat never stored: -1 and no counter left behind',
    keys: [k.alert('99'), k.alertOutcomes('99')],
    args: ['bounced'],
    reply: -1,
    then: [[['EXISTS', k.alertOutcomes('99')], 0]],
  },
  {
    script: 'count-click',
    does: "a reader's first click is unique and counted; their 2-bit counter in the bitfield says 1",
    setup: [['HSET', k.alert(A), 'state', 'completed']],
    keys: [k.alert(A), k.alertOutcomes(A), k.alertClicks(A)],
    args: [ID2],
    reply: [1, 1],
    then: [
      [['HMGET', k.alertOutcomes(A), 'uniqueClicks', 'clicks'], ['1', '1']],
      [['BITFIELD', k.alertClicks(A), 'GET', 'u2', `#${ID2}`], [1]],
    ],
  },
  {
    script: 'count-click',
    does: 'a repeat click adds to the total only; past 3 counted clicks (the u2 counter is full) nothing more counts',
    setup: [['HSET', k.alert(A), 'state', 'completed'], ['HSET', k.alertOutcomes(A), 'uniqueClicks', 1, 'clicks', 3], ['BITFIELD', k.alertClicks(A), 'SET', 'u2', `#${ID2}`, 3]],
    keys: [k.alert(A), k.alertOutcomes(A), k.alertClicks(A)],
    args: [ID2],
    reply: [0, 0],
    then: [[['HMGET', k.alertOutcomes(A), 'uniqueClicks', 'clicks'], ['1', '3']]],
  },
  {
    script: 'count-click',
    does: 'a second click by the same reader: counted in the total, not unique',
    setup: [['HSET', k.alert(A), 'state', 'completed'], ['HSET', k.alertOutcomes(A), 'uniqueClicks', 1, 'clicks', 1], ['BITFIELD', k.alertClicks(A), 'SET', 'u2', `#${ID2}`, 1]],
    keys: [k.alert(A), k.alertOutcomes(A), k.alertClicks(A)],
    args: [ID2],
    reply: [0, 1],
    then: [[['HMGET', k.alertOutcomes(A), 'uniqueClicks', 'clicks'], ['1', '2']]],
  },
  {
    script: 'count-click',
    does: 'no such alert: nothing written',
    keys: [k.alert('99'), k.alertOutcomes('99'), k.alertClicks('99')],
    args: [ID2],
    reply: [-1, 0],
    then: [[['EXISTS', k.alertClicks('99')], 0]],
  },
  {
    script: 'unsettled',
    does: 'the ids with no outcome in any of the three bitmaps',
    setup: [['SETBIT', ledger[0]!, 1, 1], ['SETBIT', ledger[2]!, 3, 1]],
    keys: ledger,
    args: [1, 2, 3, 4],
    reply: ['2', '4'],
  },
  {
    script: 'hard-bounce',
    does: 'below the limit: recorded as failed, joins the burst, suppress',
    setup: [['HSET', k.alert(A), 'state', 'sending']],
    keys: [k.alert(A), ...ledger, k.alertBreaker(A, 'burst'), k.alertBreaker(A, 'burst-batches'), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'unbounced')],
    args: [5, '1:0:99', '{"shard":1,"after":0,"upTo":99,"count":3}', 3, 'relay: {n}', NOW, 0],
    reply: ['suppress'],
    then: [
      [['GETBIT', ledger[1]!, 5], 1],
      [['HMGET', k.alert(A), 'failed', 'breakerScore'], ['1', '1']],
      [['SMEMBERS', k.alertBreaker(A, 'burst')], ['5']],
    ],
  },
  {
    script: 'hard-bounce',
    does: 'at the limit: the burst is undone, finished batches holding it reopen, the alert pauses with the count',
    setup: [
      ['HSET', k.alert(A), 'state', 'sending', 'failed', 1, 'breakerScore', 1],
      ['SETBIT', ledger[1]!, 5, 1],
      ['SADD', k.alertBreaker(A, 'burst'), '5'],
      ['HSET', k.alertBreaker(A, 'burst-batches'), '1:0:99', '{"shard":1}'],
      ['SADD', k.batchesDone(A), '1:0:99'],
    ],
    keys: [k.alert(A), ...ledger, k.alertBreaker(A, 'burst'), k.alertBreaker(A, 'burst-batches'), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'unbounced')],
    args: [6, '1:100:199', '{"shard":1,"after":100}', 2, 'relay: {n}', NOW, 0],
    reply: ['tripped', '1', expect.stringMatching(/^(5,6|6,5)$/), '[{"shard":1}]'],
    then: [
      [['HMGET', k.alert(A), 'state', 'pausedBy', 'pauseReason', 'failed', 'breakerScore', 'reopenTrip'], ['paused', 'kilat', 'relay: 2', '0', '0', '1']],
      [['BITCOUNT', ledger[1]!], 0],
      [['SMEMBERS', k.alertBreaker(A, 'reopened')], ['1:0:99']],
      [['SCARD', k.alertBreaker(A, 'unbounced')], 2],
    ],
  },
  {
    script: 'hard-bounce',
    does: 'an alert that is not sending holds the recipient, nothing recorded',
    setup: [['HSET', k.alert(A), 'state', 'paused']],
    keys: [k.alert(A), ...ledger, k.alertBreaker(A, 'burst'), k.alertBreaker(A, 'burst-batches'), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'unbounced')],
    args: [5, '1:0:99', '{}', 3, 'r', NOW, 0],
    reply: ['held'],
    then: [[['GETBIT', ledger[1]!, 5], 0]],
  },
  {
    script: 'hard-bounce',
    does: 'a refusal heard by a run older than the last resume holds the recipient: nobody suppressed, no burst',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'resumes', 1]],
    keys: [k.alert(A), ...ledger, k.alertBreaker(A, 'burst'), k.alertBreaker(A, 'burst-batches'), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'unbounced')],
    args: [5, '1:0:99', '{}', 3, 'r', NOW, 0],
    reply: ['held'],
    then: [
      [['GETBIT', ledger[1]!, 5], 0],
      [['HGET', k.alert(A), 'breakerScore'], null],
      [['EXISTS', k.alertBreaker(A, 'burst')], 0],
    ],
  },
  {
    script: 'relay-refusal',
    does: 'below the limit: counted',
    setup: [['HSET', k.alert(A), 'state', 'sending']],
    keys: [k.alert(A)],
    args: [3, 'relay refused', NOW, 0],
    reply: 'counted',
    then: [[['HGET', k.alert(A), 'relayRun'], '1']],
  },
  {
    script: 'relay-refusal',
    does: 'at the limit: Kilat pauses the alert with the reason',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'relayRun', 2]],
    keys: [k.alert(A)],
    args: [3, 'relay refused', NOW, 0],
    reply: 'paused',
    then: [[['HMGET', k.alert(A), 'state', 'pausedFrom', 'pausedAt', 'pauseReason', 'pausedBy', 'relayRun'], ['paused', 'sending', String(NOW), 'relay refused', 'kilat', '0']]],
  },
  {
    script: 'relay-refusal',
    does: 'at the limit, but heard by a run older than the last resume: held, the alert keeps sending',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'relayRun', 2, 'resumes', 2]],
    keys: [k.alert(A)],
    args: [3, 'relay refused', NOW, 1],
    reply: 'held',
    then: [[['HMGET', k.alert(A), 'state', 'relayRun'], ['sending', '2']]],
  },
  {
    script: 'note-deferrals',
    does: "keeps a batch's deferred count, and drops it at 0",
    setup: [['HSET', k.alertBreaker(A, 'deferring'), 'b2', 4]],
    keys: [k.alert(A), k.alertBreaker(A, 'deferring')],
    args: ['b2', 0, 0],
    reply: 1,
    then: [[['EXISTS', k.alertBreaker(A, 'deferring')], 0]],
  },
  {
    script: 'note-deferrals',
    does: 'a run older than the last resume notes nothing',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'resumes', 1]],
    keys: [k.alert(A), k.alertBreaker(A, 'deferring')],
    args: ['b2', 4, 0],
    reply: 0,
    then: [[['EXISTS', k.alertBreaker(A, 'deferring')], 0]],
  },
  {
    script: 'deferred-at-last',
    does: 'deferrals outnumbering deliveries alert-wide: the relay is deferring, pause',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'sent', 3], ['HSET', k.alertBreaker(A, 'deferring'), 'b1', 4]],
    keys: [k.alert(A), k.alertBreaker(A, 'deferring')],
    args: ['b2', 2, 5, '{d} deferred, {sent} sent', NOW, 0],
    reply: 'paused',
    then: [[['HMGET', k.alert(A), 'state', 'pauseReason', 'pausedBy'], ['paused', '6 deferred, 3 sent', 'kilat']]],
  },
  {
    script: 'deferred-at-last',
    does: 'the same deferrals heard by a run older than the last resume: held, neither a pause nor soft bounces',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'sent', 3, 'resumes', 1], ['HSET', k.alertBreaker(A, 'deferring'), 'b1', 4]],
    keys: [k.alert(A), k.alertBreaker(A, 'deferring')],
    args: ['b2', 2, 5, '{d} deferred, {sent} sent', NOW, 0],
    reply: 'held',
    then: [
      [['HGET', k.alert(A), 'state'], 'sending'],
      [['HGETALL', k.alertBreaker(A, 'deferring')], ['b1', '4']],
    ],
  },
  {
    script: 'deferred-at-last',
    does: 'fewer than the minimum: the mailboxes (soft bounces), the batch forgotten',
    setup: [['HSET', k.alert(A), 'state', 'sending']],
    keys: [k.alert(A), k.alertBreaker(A, 'deferring')],
    args: ['b2', 2, 5, 'r', NOW, 0],
    reply: 'soft',
    then: [
      [['HGET', k.alert(A), 'state'], 'sending'],
      [['EXISTS', k.alertBreaker(A, 'deferring')], 0],
    ],
  },
  {
    script: 'reopen-queued',
    does: "forgets the reopened batches of that trip, not of a later one",
    setup: [['HSET', k.alert(A), 'reopen', '[]', 'reopenTrip', 2]],
    keys: [k.alert(A)],
    args: [1],
    reply: 1,
    then: [[['HGET', k.alert(A), 'reopenTrip'], '2']],
  },
  {
    script: 'reopen-queued',
    does: 'its own trip: forgotten',
    setup: [['HSET', k.alert(A), 'reopen', '[]', 'reopenTrip', 2]],
    keys: [k.alert(A)],
    args: [2],
    reply: 1,
    then: [[['HMGET', k.alert(A), 'reopen', 'reopenTrip'], [null, null]]],
  },
  {
    script: 'finish-batch',
    does: 'the last batch of a fanned-out alert completes it; its correction to the total applies once',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'fanoutDone', '1', 'batches', 2], ['SADD', k.batchesDone(A), 'b1']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened')],
    args: ['b2', -1, NOW],
    reply: 'completed',
    then: [[['HMGET', k.alert(A), 'state', 'completedAt', 'adjust'], ['completed', String(NOW), '-1']]],
  },
  {
    script: 'finish-batch',
    does: 'a reopened batch still owed keeps the alert sending',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'fanoutDone', '1', 'batches', 2], ['SADD', k.batchesDone(A), 'b1'], ['SADD', k.alertBreaker(A, 'reopened'), 'b1']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened')],
    args: ['b2', 0, NOW],
    reply: 'sending',
  },
  {
    script: 'finish-batch',
    does: "a paused alert's batch does not finish",
    setup: [['HSET', k.alert(A), 'state', 'paused', 'fanoutDone', '1', 'batches', 1]],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened')],
    args: ['b1', 0, NOW],
    reply: 'paused',
    then: [[['SCARD', k.batchesDone(A)], 0]],
  },
  {
    script: 'fanout-done',
    does: 'records the plan; batches that all finished already complete the alert',
    setup: [['HSET', k.alert(A), 'state', 'sending'], ['SADD', k.batchesDone(A), 'b1']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened')],
    args: [10, 1, NOW],
    reply: 'completed',
    then: [[['HMGET', k.alert(A), 'planned', 'batches', 'fanoutDone', 'state'], ['10', '1', '1', 'completed']]],
  },
  {
    script: 'fanout-done',
    does: 'batches still to finish: the state stays',
    setup: [['HSET', k.alert(A), 'state', 'sending']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened')],
    args: [10, 1, NOW],
    reply: 'sending',
  },
  {
    script: 'mark-sending',
    does: 'queued -> sending, answering the state before',
    setup: [['HSET', k.alert(A), 'state', 'queued']],
    keys: [k.alert(A)],
    args: [NOW],
    reply: 'queued',
    then: [[['HMGET', k.alert(A), 'state', 'startedAt'], ['sending', String(NOW)]]],
  },
  {
    script: 'mark-sending',
    does: 'a scheduled alert whose publishAt has come: scheduled -> sending',
    setup: [['HSET', k.alert(A), 'state', 'scheduled', 'publishAt', NOW - 5]],
    keys: [k.alert(A)],
    args: [NOW],
    reply: 'scheduled',
    then: [[['HMGET', k.alert(A), 'state', 'startedAt'], ['sending', String(NOW)]]],
  },
  {
    script: 'mark-sending',
    does: 'a scheduled alert whose publishAt is still ahead (an edit moved it): early, nothing changes',
    setup: [['HSET', k.alert(A), 'state', 'scheduled', 'publishAt', NOW + 5000]],
    keys: [k.alert(A)],
    args: [NOW],
    reply: 'early',
    then: [[['HMGET', k.alert(A), 'state', 'startedAt'], ['scheduled', null]]],
  },
  {
    script: 'edit-scheduled',
    does: 'a scheduled alert takes the new article, request and time',
    setup: [['HSET', k.alert(A), 'state', 'scheduled', 'article', '{"title":"a"}', 'publishAt', NOW]],
    keys: [k.alert(A)],
    args: ['{"title":"b"}', '{"title":"b","body":"x"}', NOW + 60_000],
    reply: ['changed', 'scheduled'],
    then: [[['HMGET', k.alert(A), 'article', 'input', 'publishAt'], ['{"title":"b"}', '{"title":"b","body":"x"}', String(NOW + 60_000)]]],
  },
  {
    script: 'edit-scheduled',
    does: 'an alert that has started is not edited: conflict with its state',
    setup: [['HSET', k.alert(A), 'state', 'sending', 'article', '{"title":"a"}']],
    keys: [k.alert(A)],
    args: ['{"title":"b"}', '{}', NOW],
    reply: ['conflict', 'sending'],
    then: [[['HGET', k.alert(A), 'article'], '{"title":"a"}']],
  },
  {
    script: 'edit-scheduled',
    does: 'a missing alert: missing, nothing written',
    keys: [k.alert(A)],
    args: ['{}', '{}', NOW],
    reply: ['missing', ''],
    then: [[['EXISTS', k.alert(A)], 0]],
  },
  {
    script: 'sent-among',
    does: 'the ids whose bit is set in the sent bitmap (who got the earlier alert)',
    setup: [['SETBIT', ledger[0]!, 2, 1], ['SETBIT', ledger[0]!, 40, 1], ['SETBIT', ledger[1]!, 3, 1]],
    keys: [ledger[0]!],
    args: [2, 3, 40, 41],
    reply: ['2', '40'],
  },
  {
    script: 'mark-sending',
    does: 'a missing alert: null',
    keys: [k.alert(A)],
    args: [NOW],
    reply: null,
  },
  {
    script: 'control',
    does: 'an operator pauses a sending alert',
    setup: [['HSET', k.alert(A), 'state', 'sending']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['pause', NOW, ''],
    reply: ['changed', 'paused'],
    then: [[['HMGET', k.alert(A), 'state', 'pausedFrom', 'pausedBy'], ['paused', 'sending', 'operator']]],
  },
  {
    script: 'control',
    does: 'resume runs the completion rule: the last batch finished while paused',
    setup: [['HSET', k.alert(A), 'state', 'paused', 'pausedFrom', 'sending', 'pausedBy', 'kilat', 'pauseReason', 'r', 'fanoutDone', '1', 'batches', 1], ['SADD', k.batchesDone(A), 'b1']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['resume', NOW, ''],
    reply: ['changed', 'completed'],
    then: [[['HMGET', k.alert(A), 'state', 'pausedBy', 'pauseReason'], ['completed', null, null]]],
  },
  {
    script: 'control',
    does: 'resume counts itself and forgets what the relay did before it (deferrals, the run of refusals)',
    setup: [
      ['HSET', k.alert(A), 'state', 'paused', 'pausedFrom', 'sending', 'pausedBy', 'kilat', 'pauseReason', 'r', 'relayRun', 2, 'resumes', 1, 'batches', 2],
      ['HSET', k.alertBreaker(A, 'deferring'), 'b1', 4],
    ],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['resume', NOW, ''],
    reply: ['changed', 'sending'],
    then: [
      [['HMGET', k.alert(A), 'state', 'relayRun', 'resumes'], ['sending', '0', '2']],
      [['EXISTS', k.alertBreaker(A, 'deferring')], 0],
    ],
  },
  {
    script: 'control',
    does: "Kilat's own pause from a run older than the last resume: stale, the alert keeps sending",
    setup: [['HSET', k.alert(A), 'state', 'sending', 'resumes', 1]],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['autopause', NOW, 'relay refused the login', 0],
    reply: ['stale', 'sending'],
    then: [[['HMGET', k.alert(A), 'state', 'pauseReason'], ['sending', null]]],
  },
  {
    script: 'control',
    does: 'cancelling a completed alert is a conflict',
    setup: [['HSET', k.alert(A), 'state', 'completed']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['cancel', NOW, ''],
    reply: ['conflict', 'completed'],
  },
  {
    script: 'control',
    does: 'a scheduled alert can be cancelled (it never fires) but not paused',
    setup: [['HSET', k.alert(A), 'state', 'scheduled']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['cancel', NOW, ''],
    reply: ['changed', 'cancelled'],
    then: [[['HMGET', k.alert(A), 'state', 'cancelledAt'], ['cancelled', String(NOW)]]],
  },
  {
    script: 'control',
    does: 'pausing a scheduled alert is a conflict (edit its time instead)',
    setup: [['HSET', k.alert(A), 'state', 'scheduled']],
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['pause', NOW, ''],
    reply: ['conflict', 'scheduled'],
    then: [[['HGET', k.alert(A), 'state'], 'scheduled']],
  },
  {
    script: 'control',
    does: 'a missing alert: missing',
    keys: [k.alert(A), k.batchesDone(A), k.alertBreaker(A, 'reopened'), k.alertBreaker(A, 'deferring')],
    args: ['resume', NOW, ''],
    reply: ['missing', ''],
  },
  {
    script: 'mark-failed',
    does: 'a paused alert fails for good with the reason',
    setup: [['HSET', k.alert(A), 'state', 'paused', 'pausedFrom', 'sending']],
    keys: [k.alert(A)],
    args: ['template broken', NOW],
    reply: 1,
    then: [[['HMGET', k.alert(A), 'state', 'error', 'failedAt', 'pausedFrom'], ['failed', 'template broken', String(NOW), null]]],
  },
  {
    script: 'mark-failed',
    does: 'a completed alert stays completed',
    setup: [['HSET', k.alert(A), 'state', 'completed']],
    keys: [k.alert(A)],
    args: ['x', NOW],
    reply: 0,
  },
  {
    script: 'take-tokens',
    does: 'a full bucket grants what is wanted',
    keys: [k.sendRate()],
    args: [10, 5, 3],
    reply: [3, 0],
    then: [[['HGET', k.sendRate(), 'tokens'], expect.stringMatching(/^2(\.\d+)?$/)]],
  },
  {
    script: 'take-tokens',
    does: 'an empty bucket grants none and answers how long until the next token',
    // `at` in the future: no time has passed for the bucket, so it stays empty.
    setup: [['HSET', k.sendRate(), 'tokens', 0, 'at', 9_999_999_999_999]],
    keys: [k.sendRate()],
    args: [10, 5, 3],
    reply: [0, 100],
  },
];

describe('Lua scripts on a real redis-server', () => {
  let redis: TestRedis;
  let run: RunScript;
  beforeAll(async () => {
    redis = await startTestRedis();
    run = defineScripts(redis.client, [...SUBSCRIBER_SCRIPTS, ...ALERT_SCRIPTS]);
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    await redis.client.flushall();
  });

  test.each(rows.map((r) => [r.script, r.does, r] as const))('%s: %s', async (_script, _does, row) => {
    for (const [cmd, ...args] of row.setup ?? []) await redis.client.call(cmd, ...args.map(String));
    expect(await run(row.script, row.keys, row.args)).toEqual(row.reply);
    for (const [[cmd, ...args], answer] of row.then ?? []) expect([cmd, ...args, await redis.client.call(cmd, ...args.map(String))]).toEqual([cmd, ...args, answer]);
  });

  test('the TypeScript decoder reads what the scripts write, every status included', async () => {
    const confirm = rows.find((r) => r.script === 'confirm')!;
    for (const [cmd, ...args] of confirm.setup!) await redis.client.call(cmd, ...args.map(String));
    await run('confirm', confirm.keys, confirm.args);
    expect(decodeRecord(ID1, (await redis.client.hget(R0, '1'))!)).toEqual({
      id: ID1,
      email,
      locale: 'id',
      topics: ['politik'],
      status: 'confirmed',
      createdAt: Math.floor((NOW - 60_000) / 1000) * 1000,
      confirmedAt: Math.floor(NOW / 1000) * 1000,
      nonce: 'n1',
    });
    const statuses = { p: 'pending', c: 'confirmed', z: 'paused', u: 'unsubscribed', b: 'bounced', x: 'complained' };
    for (const [code, status] of Object.entries(statuses)) {
      await redis.client.hset(R0, '1', rec('p'));
      await run('set-status', recordKeys, [code === 'c' ? 'pending' : status, 1, NOW]);
      if (code === 'c') await run('confirm', [...recordKeys, k.pendingChanges(SHARD)], ['n1', NOW, 1]);
      expect(decodeRecord(ID1, (await redis.client.hget(R0, '1'))!)?.status).toBe(status);
    }
  });

  test('every script has a row, and every row a script', () => {
    const scripts = [...SUBSCRIBER_SCRIPTS, ...ALERT_SCRIPTS].map((s) => s.name).sort();
    expect([...new Set(rows.map((r) => r.script))].sort()).toEqual(scripts);
  });

  test('each script file opens with its KEYS/ARGV header, and includes resolve to files', () => {
    for (const dir of ['src/subscribers/commands', 'src/alerts/commands']) {
      for (const script of loadCommands(path.join(__dirname, '..', dir))) {
        const source = fs.readFileSync(path.join(__dirname, '..', dir, `${script.name}-${script.keys}.lua`), 'utf8');
        expect([script.name, /^--\[\[[\s\S]*KEYS\[1\][\s\S]*Returns[\s\S]*?\]\]/.test(source)]).toEqual([script.name, true]);
        expect([script.name, script.lua]).not.toEqual([script.name, expect.stringContaining('@include')]);
      }
    }
  });

  test("the Lua layout's sizes are the ones keys.ts uses", () => {
    const layout = fs.readFileSync(path.join(__dirname, '../src/subscribers/commands/includes/layout.lua'), 'utf8');
    expect(layout).toContain(`local RPB, VMAX, EB = ${RECORDS_PER_BUCKET}, ${LISTPACK_VALUE_MAX}, ${EMAIL_BUCKETS}`);
  });
});
