import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import pino from 'pino';
import { parseConfig, requireRedisUrl, type Config } from '../src/config';
import { freePort } from '../src/dev/embedded-redis';
import { createMailer } from '../src/mail/mailer';
import { projectRoot } from '../src/paths';
import { createCore, type Core } from '../src/core';
import { createRendererFromConfig } from '../src/mail/create-renderer';
import { toArticle, type ArticleInput } from '../src/article';
import { deliverySvg, type CurvePoint } from './chart';
import { childPids, findExecutable, memoryOf, ProcessGroup, runSmtpSource, startRedis, startRedisCluster, startSmtpSink, type SinkSample } from './processes';
import { signupLoad, type SignupLoad } from './signup-load';
import { cpuMsOf, summariseProfiles, type ProfileSummary } from './profile-summary';

/**
 * `npm run bench [-- --subscribers N] [--redis-cluster M]`: seeds N confirmed subscribers into a fresh redis-server
 * (or a local Redis Cluster of M masters),
 * starts Kilat as `npm start` would (API + WORKER_PROCESSES worker processes, default settings) with
 * Postfix's smtp-sink as the SMTP server, publishes the seed article and times every message the
 * sink accepts; measures the wire limit with Postfix's smtp-source into the same sink; then loads the
 * sign-up endpoint with autocannon, idle and while a second alert is sending. Everything it starts
 * runs on 127.0.0.1 and is stopped at the end, whatever happens.
 */

interface Options {
  subscribers: number;
  timeoutSeconds: number;
  wireMessages: number;
  signupSeconds: number;
  signupConnections: number;
  /**
   * --profile [DIR]: V8 CPU profiles of Kilat's processes (kept in DIR when given), summarised into
   * the worker's CPU µs per message by part; not a setting Kilat reads.
   */
  profile: boolean;
  profileDir?: string;
  /** --dkim: every copy DKIM-signed with a fresh 2048-bit RSA key (DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY). */
  dkim: boolean;
  /** Masters of a local Redis Cluster to run on (--redis-cluster N); 0: one redis-server. */
  redisCluster: number;
}

/** Redis Cluster needs at least three masters. */
function clusterMasters(n: number): number {
  if (n === 0 || n >= 3) return n;
  console.error('bench: --redis-cluster takes 3 or more masters (a Redis Cluster needs three)');
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    const a = argv[i]!;
    return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
  };
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const v = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(v) || v < min || v > max) {
      console.error(`bench: --${name} must be an integer from ${min} to ${max}`);
      process.exit(2);
    }
    return v;
  };
  const subscribers = num('subscribers', 100_000, 100, 20_000_000);
  return {
    subscribers,
    // Bounded: even a slow machine stops; 10 minutes plus 4 ms per subscriber.
    timeoutSeconds: num('timeout-seconds', 600 + Math.ceil(subscribers / 250), 10, 24 * 3600),
    wireMessages: num('wire-messages', Math.min(40_000, Math.max(5_000, Math.round(subscribers / 5))), 100, 1_000_000),
    signupSeconds: num('signup-seconds', 5, 0, 120),
    signupConnections: num('signup-connections', 16, 1, 512),
    profile: argv.some((a) => a === '--profile' || a.startsWith('--profile=')),
    dkim: argv.includes('--dkim'),
    profileDir: get('profile') && !get('profile')!.startsWith('--') ? path.resolve(get('profile')!) : undefined,
    redisCluster: clusterMasters(num('redis-cluster', 0, 0, 16)),
  };
}

// Random per run: Kilat runs as in production here, where guessable secrets stop the start.
const PUBLISHER_TOKEN = randomBytes(32).toString('base64url');
const SECRET_KEY = randomBytes(32).toString('base64url');
const MAIL_FROM = '"Kilat Berita" <alerts@kilat.example>';

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const sinkBin = findExecutable('smtp-sink');
  const sourceBin = findExecutable('smtp-source');
  if (!sinkBin || !sourceBin) {
    console.error(
      'bench: Postfix\'s smtp-sink and smtp-source are needed (Debian package "postfix"). Install them with:\n' +
        '  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postfix\n' +
        '(the benchmark only runs the two test tools on 127.0.0.1; the Postfix service itself is not used).',
    );
    process.exit(2);
  }
  if (!findExecutable('redis-server')) {
    console.error('bench: redis-server is needed: sudo apt-get install -y redis-server');
    process.exit(2);
  }

  const group = new ProcessGroup();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-bench-'));
  let cleaned = false;
  const cleanupNow = () => {
    if (cleaned) return;
    cleaned = true;
    group.killAllNow();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.once('exit', cleanupNow);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping everything`);
      cleanupNow();
      process.exit(130);
    });
  }

  const loadStart = os.loadavg();
  if (opts.profile) opts.profileDir ??= path.join(tmp, 'profiles');
  try {
    const result = await runBench(opts, group, tmp, sinkBin, sourceBin);
    result.machine.loadAverageAtStart = loadStart.map((l) => Number(l.toFixed(2)));
    if (opts.profileDir && result.profileWindow) {
      // Each process writes its profile as it exits.
      await group.stopAll();
      const w = result.profileWindow;
      const files = fs
        .readdirSync(opts.profileDir)
        .filter((f) => f.endsWith('.cpuprofile') && w.workerPids.some((pid) => f.includes(`.${pid}.`)))
        .map((f) => path.join(opts.profileDir!, f));
      if (files.length === 0) log(`no worker profiles in ${opts.profileDir}`);
      else result.profile = summariseProfiles(files, w, result.subscribers, w.workerCpuMs);
      if (!opts.profileDir.startsWith(tmp)) log(`CPU profiles kept in ${opts.profileDir}`);
    }
    delete result.profileWindow;
    writeResults(result);
  } finally {
    await group.stopAll();
    cleanupNow();
  }
}

interface Result {
  date: string;
  command: string;
  /** Masters of the local Redis Cluster it ran on; 0 = one redis-server. */
  redisCluster: number;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  settings: Pick<Config, 'workerProcesses' | 'smtpPoolSize' | 'batchSize' | 'sendConcurrency' | 'workerConcurrency'> & { dkim: boolean };
  subscribers: number;
  complete: boolean;
  messagesPerSecond: number;
  steadyMessagesPerSecond: number;
  wireLimitPerSecond: number;
  ratio: number;
  firstMessageMs: number;
  publishRequestMs: number;
  p50Ms: number;
  p90Ms: number;
  totalMs: number;
  accepted: number;
  alert: unknown;
  workerPeakRssMB: number;
  workerPeakRssMBEach: number[];
  redisBytesPerSubscriber: number;
  redisUsedMemoryMB: number;
  seedSeconds: number;
  messageBytes: number;
  wire: { sessions: number; messages: number; seconds: number };
  signup?: { idle: SignupLoad; duringAlert?: SignupLoad & { alertMessagesDuring: number } };
  curve: CurvePoint[];
  /** With --profile: the alert's window on the workers' clock, their pids and CPU time in it. */
  profileWindow?: { fromUs: number; toUs: number; workerPids: number[]; workerCpuMs: number };
  profile?: ProfileSummary;
}

async function runBench(opts: Options, group: ProcessGroup, tmp: string, sinkBin: string, sourceBin: string): Promise<Result> {
  log(`${opts.subscribers.toLocaleString('en')} subscribers; temp dir ${tmp}`);
  const redis = opts.redisCluster > 0 ? await startRedisCluster(group, tmp, opts.redisCluster) : await startRedis(group, tmp);
  if (opts.redisCluster > 0) log(`on a local Redis Cluster of ${opts.redisCluster} masters`);
  const sink = await startSmtpSink(group, sinkBin);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // Exactly what an operator sets; every tuning knob is left at its default.
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    REDIS_URL: redis.url,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    MAIL_FROM,
    PUBLISHER_TOKEN,
    SECRET_KEY,
    VAR_DIR: path.join(tmp, 'var'),
    // The sign-up load comes from one address (127.0.0.1): lift the per-IP abuse limit, which is
    // not a throughput setting, so the figure is the endpoint's own.
    SIGNUP_LIMIT_PER_IP: '0',
  };
  if (opts.dkim) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    Object.assign(env, { DKIM_DOMAIN: 'kilat.example', DKIM_SELECTOR: 'bench', DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  }
  const config = requireRedisUrl(parseConfig(env));

  // 1. Seed through the project's store, pipelined.
  const memBefore = await usedMemory(redis.clients);
  const seedStart = performance.now();
  // The same composition root as the service, for its store and links (its logger stays quiet).
  const core = createCore({ config, logger: pino({ level: 'silent' }), role: 'worker' });
  const store = core.subscribers;
  const CHUNK = 5_000;
  let seeded = 0;
  let nextLog = 0;
  for (let from = 0; from < opts.subscribers; from += CHUNK * 4) {
    const chunks: Promise<number>[] = [];
    for (let c = from; c < Math.min(opts.subscribers, from + CHUNK * 4); c += CHUNK) {
      const rows = [];
      for (let i = c; i < Math.min(opts.subscribers, c + CHUNK); i++) rows.push({ email: benchAddress(i), locale: 'id' as const, topics: [] });
      chunks.push(store.importConfirmed(rows));
    }
    seeded += (await Promise.all(chunks)).reduce((a, b) => a + b, 0);
    if (seeded >= nextLog) {
      log(`seeded ${seeded.toLocaleString('en')}`);
      nextLog += Math.max(100_000, opts.subscribers / 10);
    }
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;
  if (seeded !== opts.subscribers) throw new Error(`seeded ${seeded} of ${opts.subscribers}`);
  const memAfter = await usedMemory(redis.clients);
  const redisBytesPerSubscriber = (memAfter - memBefore) / opts.subscribers;
  log(`seeded in ${seedSeconds.toFixed(1)} s; Redis ${(redisBytesPerSubscriber).toFixed(0)} bytes/subscriber`);

  // 2. The message Kilat will send, built by Kilat's own renderer, for the wire-limit run.
  // Published just now, as breaking news is: the fixture's 2023 date would trip the stale-alert guard
  // (ALERT_MAX_AGE, default 6 h) and nothing would be sent.
  const seed = {
    ...(JSON.parse(fs.readFileSync(path.join(projectRoot, 'test', 'fixtures', 'seed-article.json'), 'utf8')) as ArticleInput),
    publishedAt: new Date().toISOString(),
  };
  const sample = await sampleMessage(core, seed);
  await core.close();
  const messageFile = path.join(tmp, 'message.txt');
  fs.writeFileSync(messageFile, sample.replace(/\r\n/g, '\n'));

  // 3. Kilat itself, as `npm start` runs it.
  // Forked worker processes inherit these flags, so --profile covers them too.
  const profile = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const app = group.spawn(process.execPath, [...profile, path.join(projectRoot, 'dist', 'src', 'main.js')], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const appLog = fs.createWriteStream(path.join(tmp, 'kilat.log'));
  app.stderr!.pipe(appLog, { end: false });
  let workersStarted = 0;
  let apiUp = false;
  const errors: string[] = [];
  readline.createInterface({ input: app.stdout! }).on('line', (line) => {
    appLog.write(line + '\n');
    if (line.includes('"worker started"')) workersStarted++;
    if (line.includes('"api listening"')) apiUp = true;
    if (line.includes('"level":50') || line.includes('"level":60')) errors.push(line);
  });
  await waitFor(() => apiUp && workersStarted >= config.workerProcesses, 30_000, 'Kilat to start', app, tmp);
  log(`Kilat up: API on ${port}, ${config.workerProcesses} worker process(es)`);
  const workerPids = childPids(app.pid!);

  // 4. The wire limit: same sink, same message, as many sessions as Kilat opens.
  const sessions = config.smtpPoolSize * config.workerProcesses;
  const wireBase = sink.count();
  const wire = await runSmtpSource(group, sourceBin, {
    port: sink.port,
    sessions,
    messages: opts.wireMessages,
    messageFile,
    from: 'alerts@kilat.example',
    to: 'reader@bench.example',
    timeoutMs: 120_000,
  });
  const wireAccepted = sink.count() - wireBase;
  if (!wire.ok || wireAccepted < opts.wireMessages) log(`smtp-source: ${wireAccepted} of ${opts.wireMessages} accepted ${wire.stderr.trim()}`);
  const wireLimitPerSecond = wireAccepted / (wire.ms / 1000);
  log(`wire limit ${wireLimitPerSecond.toFixed(0)} msg/s (${sessions} sessions, ${sample.length} bytes)`);

  // 5. The alert.
  const expected = opts.subscribers;
  const base = sink.count();
  const thresholds = { p50: Math.ceil(expected * 0.5), p90: Math.ceil(expected * 0.9), all: expected };
  const at: Partial<Record<keyof typeof thresholds | 'first' | 'p10', number>> = {};
  const curve: SinkSample[] = [];
  let lastCurve = -Infinity;
  const off = sink.onCount((s) => {
    const n = s.count - base;
    if (at.first === undefined) at.first = s.t;
    if (at.p10 === undefined && n >= Math.ceil(expected * 0.1)) at.p10 = s.t;
    if (at.p50 === undefined && n >= thresholds.p50) at.p50 = s.t;
    if (at.p90 === undefined && n >= thresholds.p90) at.p90 = s.t;
    if (at.all === undefined && n >= thresholds.all) at.all = s.t;
    if (s.t - lastCurve >= 20 || n >= expected) {
      curve.push({ t: s.t, count: n });
      lastCurve = s.t;
    }
  });
  const rss = new Map<number, number>();
  const sampleRss = () => {
    for (const pid of workerPids) {
      const m = memoryOf(pid);
      if (m) rss.set(pid, Math.max(rss.get(pid) ?? 0, m.peakMB));
    }
  };
  const rssTimer = setInterval(sampleRss, 500);

  // V8's profile timestamps and process.hrtime read the same monotonic clock.
  const hrUs = (perfMs: number) => Number(process.hrtime.bigint() / 1000n) - (performance.now() - perfMs) * 1000;
  const workerCpu = () => workerPids.reduce((sum, pid) => sum + (cpuMsOf(pid) ?? 0), 0);
  const cpuAtPublish = workerCpu();
  const publishStart = performance.now();
  const res = await fetch(`${publicUrl}/api/articles`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${PUBLISHER_TOKEN}` },
    body: JSON.stringify(seed),
  });
  const published = performance.now();
  const body = (await res.json()) as { alertId?: string };
  if (res.status !== 202 || !body.alertId) throw new Error(`publish answered ${res.status} ${JSON.stringify(body)}`);
  log(`published alert ${body.alertId} (${(published - publishStart).toFixed(0)} ms)`);

  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  let lastReport = Date.now();
  while (at.all === undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (app.exitCode !== null) throw new Error(`Kilat exited during the alert; see ${tmp}/kilat.log`);
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`${(sink.count() - base).toLocaleString('en')} accepted`);
    }
  }
  const complete = at.all !== undefined;
  const profileWindow = opts.profile && complete ? { fromUs: hrUs(publishStart), toUs: hrUs(at.all!), workerPids, workerCpuMs: workerCpu() - cpuAtPublish } : undefined;
  if (!complete) log(`timed out after ${opts.timeoutSeconds} s with ${sink.count() - base} of ${expected} accepted`);
  // Let the ledger catch up with the sink before reading the alert's own numbers.
  let alert: Record<string, unknown> = {};
  const statusDeadline = Date.now() + 15_000;
  do {
    const r = await fetch(`${publicUrl}/api/alerts/${body.alertId}`, { headers: { authorization: `Bearer ${PUBLISHER_TOKEN}` } });
    alert = (await r.json()) as Record<string, unknown>;
    if (alert.state === 'completed' || !complete) break;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < statusDeadline);
  off();
  sampleRss();
  const accepted = sink.count() - base;
  log(`alert ${String(alert.state)}: sink accepted ${accepted}, ledger sent ${String(alert.sent)}`);

  // 6. Sign-up load, idle and while a second alert is sending.
  let signup: Result['signup'];
  if (opts.signupSeconds > 0) {
    const idle = await signupLoad({ baseUrl: publicUrl, label: 'idle', seconds: opts.signupSeconds, connections: opts.signupConnections });
    log(`sign-up idle: ${idle.requestsPerSecond} req/s, p99 ${idle.p99Ms} ms, non-2xx ${idle.non2xx}`);
    const second = await fetch(`${publicUrl}/api/articles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PUBLISHER_TOKEN}` },
      body: JSON.stringify({ ...seed, id: 'bench-second-alert', title: `${seed.title} (2)` }),
    });
    if (second.status !== 202) throw new Error(`second publish answered ${second.status}`);
    const before = sink.count();
    await waitFor(() => sink.count() > before + 100, 30_000, 'the second alert to start sending', app, tmp);
    const during = await signupLoad({ baseUrl: publicUrl, label: 'busy', seconds: opts.signupSeconds, connections: opts.signupConnections });
    const alertMessagesDuring = sink.count() - before;
    log(`sign-up during an alert: ${during.requestsPerSecond} req/s, p99 ${during.p99Ms} ms (${alertMessagesDuring} messages sent meanwhile)`);
    signup = { idle, duringAlert: { ...during, alertMessagesDuring } };
    // Stop the second alert so that shutting down does not wait for its batches.
    const secondId = ((await second.json()) as { alertId?: string }).alertId;
    await fetch(`${publicUrl}/api/alerts/${secondId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${PUBLISHER_TOKEN}` } }).catch(() => undefined);
  }
  clearInterval(rssTimer);
  sampleRss();
  if (errors.length > 0) log(`Kilat logged ${errors.length} error line(s); first: ${errors[0]!.slice(0, 400)}`);

  const t0 = published;
  const ms = (t: number | undefined) => (t === undefined ? NaN : Math.round(t - t0));
  const totalMs = ms(at.all);
  const steady = at.p10 !== undefined && at.p90 !== undefined && at.p90 > at.p10 ? (thresholds.p90 - Math.ceil(expected * 0.1)) / ((at.p90 - at.p10) / 1000) : NaN;
  const messagesPerSecond = complete ? expected / (totalMs / 1000) : accepted / ((performance.now() - t0) / 1000);
  const peaks = workerPids.map((p) => Math.round(rss.get(p) ?? 0));
  await Promise.all(redis.clients.map((c) => c.quit().catch(() => undefined)));
  return {
    date: new Date().toISOString(),
    command: `npm run bench -- --subscribers ${opts.subscribers}${opts.redisCluster > 0 ? ` --redis-cluster ${opts.redisCluster}` : ''}${opts.dkim ? ' --dkim' : ''}${opts.profile ? ' --profile' : ''}`,
    redisCluster: opts.redisCluster,
    machine: {
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtStart: [],
      loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
    },
    settings: {
      workerProcesses: config.workerProcesses,
      smtpPoolSize: config.smtpPoolSize,
      batchSize: config.batchSize,
      sendConcurrency: config.sendConcurrency,
      workerConcurrency: config.workerConcurrency,
      dkim: opts.dkim,
    },
    subscribers: opts.subscribers,
    complete,
    messagesPerSecond: Math.round(messagesPerSecond),
    steadyMessagesPerSecond: Math.round(steady),
    wireLimitPerSecond: Math.round(wireLimitPerSecond),
    ratio: Number((messagesPerSecond / wireLimitPerSecond).toFixed(3)),
    firstMessageMs: ms(at.first),
    publishRequestMs: Math.round(published - publishStart),
    p50Ms: ms(at.p50),
    p90Ms: ms(at.p90),
    totalMs,
    accepted,
    alert,
    workerPeakRssMB: Math.max(0, ...peaks),
    workerPeakRssMBEach: peaks,
    redisBytesPerSubscriber: Math.round(redisBytesPerSubscriber),
    redisUsedMemoryMB: Math.round(memAfter / 2 ** 20),
    seedSeconds: Number(seedSeconds.toFixed(1)),
    messageBytes: Buffer.byteLength(sample),
    wire: { sessions, messages: wireAccepted, seconds: Number((wire.ms / 1000).toFixed(2)) },
    signup,
    profileWindow,
    curve: downsample(curve, 400).map((p) => ({ ms: Math.round(p.t - t0), share: Number((p.count / expected).toFixed(4)) })),
  };
}

/** At most `max` points, evenly spread over the list, keeping the last one. */
function downsample<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(points[Math.floor((i * points.length) / (max - 1))]!);
  out.push(points[points.length - 1]!);
  return out;
}

/** Realistic-length addresses (about 30 characters), spread over many domains. */
function benchAddress(i: number): string {
  return `pembaca.${i}@contoh-${i % 997}.co.id`;
}

/** used_memory summed over the nodes (one for a standalone Redis). */
async function usedMemory(clients: import('ioredis').Redis[]): Promise<number> {
  const infos = await Promise.all(clients.map((c) => c.info('memory')));
  return infos.reduce((sum, info) => sum + Number(/^used_memory:(\d+)/m.exec(info)![1]), 0);
}

async function sampleMessage(core: Core, input: ArticleInput): Promise<string> {
  const { config, links } = core;
  const mailer = createMailer({
    renderer: createRendererFromConfig(config, core.catalog),
    transport: { kind: 'outbox', send: async () => undefined, close: async () => undefined },
    mailFrom: config.mailFrom,
    clickTracking: config.clickTracking,
  });
  const article = toArticle(input, config.defaultLocale);
  const template = await mailer.prepareAlert(article, article.locale);
  const id = 1_234_567;
  return template.personalise({ to: benchAddress(id), tag: links.messageTag(id, 'a1'), slots: links.alertSlots(id, '1') });
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string, app: ChildProcess, tmp: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (app.exitCode !== null) throw new Error(`Kilat exited (code ${app.exitCode}) while waiting for ${what}:\n${tail(path.join(tmp, 'kilat.log'))}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${tail(path.join(tmp, 'kilat.log'))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

function writeResults(r: Result): void {
  const dir = path.join(projectRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(r, null, 2) + '\n';
  const stamp = r.date.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  // A DKIM run is a figure of its own: it leaves the plain run's latest files alone.
  const latest = r.settings.dkim ? 'latest-dkim' : 'latest';
  fs.writeFileSync(path.join(dir, `${latest}.json`), json);
  fs.writeFileSync(path.join(dir, `${stamp}-${r.subscribers}${r.settings.dkim ? '-dkim' : ''}.json`), json);
  fs.writeFileSync(
    path.join(dir, `${latest}.svg`),
    deliverySvg({
      title: `Kilat: ${r.subscribers.toLocaleString('en')} recipients, ${r.messagesPerSecond.toLocaleString('en')} msg/s (${Math.round(r.ratio * 100)}% of the wire limit)`,
      subtitle: `${r.machine.cpus} cores (load average ${r.machine.loadAverageAtStart[0]} at start), ${r.settings.workerProcesses} worker processes, default settings; first message ${r.firstMessageMs} ms, all in ${(r.totalMs / 1000).toFixed(1)} s; ${r.date.slice(0, 10)}`,
      curve: r.curve,
      subscribers: r.subscribers,
      wireLimitPerSecond: r.wireLimitPerSecond,
      firstMessageMs: Number.isFinite(r.firstMessageMs) ? r.firstMessageMs : 0,
    }),
  );
  const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const rows: [string, string, string][] = [
    ['subscribers', r.subscribers.toLocaleString('en'), r.complete ? 'all accepted' : 'INCOMPLETE (timed out)'],
    ['Redis', r.redisCluster > 0 ? `Redis Cluster, ${r.redisCluster} masters` : 'one redis-server', ''],
    ['messages per second (end to end)', r.messagesPerSecond.toLocaleString('en'), `steady ${r.steadyMessagesPerSecond.toLocaleString('en')}`],
    ['wire limit (smtp-source, same sink)', r.wireLimitPerSecond.toLocaleString('en'), `${r.wire.sessions} sessions, ${r.messageBytes} bytes`],
    r.settings.dkim ? ['ratio with DKIM (goal >= 0.35)', r.ratio.toFixed(2), goal(r.ratio >= 0.35)] : ['ratio (goal >= 0.75)', r.ratio.toFixed(2), goal(r.ratio >= 0.75)],
    ['first message (goal <= 300 ms)', `${r.firstMessageMs} ms`, goal(r.firstMessageMs <= 300)],
    ['50% accepted', `${(r.p50Ms / 1000).toFixed(2)} s`, ''],
    ['90% accepted', `${(r.p90Ms / 1000).toFixed(2)} s`, r.subscribers >= 1_000_000 ? goal((r.p90Ms / 1000) * (1_000_000 / r.subscribers) <= 180) + ' (goal <= 180 s for 1M)' : ''],
    ['100% accepted', `${(r.totalMs / 1000).toFixed(2)} s`, `1M at this rate: ${(1_000_000 / r.messagesPerSecond / 60).toFixed(1)} min (goal <= 10)`],
    ['worker peak RSS (goal <= 200 MB)', `${r.workerPeakRssMB} MB`, `${goal(r.workerPeakRssMB <= 200)}; each ${r.workerPeakRssMBEach.join(', ')} MB`],
    ['Redis per subscriber (goal <= 250 B)', `${r.redisBytesPerSubscriber} B`, `${goal(r.redisBytesPerSubscriber <= 250)}; used_memory ${r.redisUsedMemoryMB} MB`],
  ];
  if (r.signup) {
    const s = r.signup;
    rows.push(['sign-up idle (goal >= 2000/s, p99 <= 50 ms)', `${s.idle.requestsPerSecond}/s p99 ${s.idle.p99Ms} ms`, goal(s.idle.requestsPerSecond >= 2000 && s.idle.p99Ms <= 50)]);
    if (s.duringAlert) {
      const d = s.duringAlert;
      rows.push(['sign-up during an alert (>= 1000/s, p99 <= 100 ms)', `${d.requestsPerSecond}/s p99 ${d.p99Ms} ms`, goal(d.requestsPerSecond >= 1000 && d.p99Ms <= 100)]);
      // The second alert's rate while the sign-ups ran, against the first alert's steady rate.
      const during = d.alertMessagesDuring / d.seconds;
      const drop = 1 - during / r.steadyMessagesPerSecond;
      rows.push(['alert rate during sign-ups (drop <= 15%)', `${Math.round(during).toLocaleString('en')}/s`, `${goal(drop <= 0.15)}; ${(drop * 100).toFixed(0)}% below the steady rate`]);
    }
  }
  const w = [Math.max(...rows.map((x) => x[0].length)), Math.max(...rows.map((x) => x[1].length))];
  let table = rows.map(([a, b, c]) => `${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c}`).join('\n');
  if (r.profile) {
    const p = r.profile;
    const width = Math.max(...p.parts.map((x) => x.part.length));
    table +=
      `\n\nworker CPU per message (--profile): ${p.cpuUsPerMessage} µs (${p.workerCpuMs} ms CPU for ${p.messages.toLocaleString('en')} messages, busy ${(p.busyShare * 100).toFixed(0)}% of the time)\n` +
      p.parts.map((x) => `  ${x.part.padEnd(width)}  ${x.usPerMessage.toFixed(1).padStart(7)} µs  ${(x.share * 100).toFixed(1).padStart(5)}%`).join('\n') +
      `\ntop functions (self time per message):\n` +
      p.top.slice(0, 8).map((x) => `  ${x.usPerMessage.toFixed(1).padStart(6)} µs  ${x.fn}`).join('\n');
  }
  process.stdout.write(
    `\nKilat benchmark ${r.date} (${r.machine.cpus} cores, load average at start ${r.machine.loadAverageAtStart.join(' ')}, at end ${r.machine.loadAverageAtEnd.join(' ')})\n` +
      `settings: WORKER_PROCESSES=${r.settings.workerProcesses} SMTP_POOL_SIZE=${r.settings.smtpPoolSize} BATCH_SIZE=${r.settings.batchSize} ` +
      `SEND_CONCURRENCY=${r.settings.sendConcurrency} WORKER_CONCURRENCY=${r.settings.workerConcurrency} (defaults)${r.settings.dkim ? '; DKIM on (2048-bit RSA)' : ''}\n\n${table}\n\n` +
      `wrote bench/results/${latest}.json, bench/results/${latest}.svg\n`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
