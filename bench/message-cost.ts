import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { parseConfig } from '../src/config';
import { toArticle, type ArticleInput } from '../src/article';
import { loadCatalog } from '../src/i18n';
import { createRendererFromConfig } from '../src/mail/create-renderer';
import { smtpConnectionOptions } from '../src/mail/create-transport';
import { createMailer } from '../src/mail/mailer';
import { sendCopies } from '../src/mail/send-copies';
import { createSmtpTransport } from '../src/mail/transport';
import { projectRoot } from '../src/paths';
import { createLinks } from '../src/subscribers/links';
import { MessageTags } from '../src/subscribers/message-tags';
import { TokenSigner } from '../src/subscribers/tokens';
import { findExecutable, ProcessGroup, startSmtpSink } from './processes';

/**
 * `npm run bench:message [-- --messages N] [--dkim]`: the cost of one message on the send path
 * alone (tokens and links, personalising, encoding, DKIM when asked, SMTP writes and reply
 * parsing), measured in ways the machine's load does not change: CPU time of this process
 * (process.cpuUsage) and bytes allocated on the V8 heap and GC time (v8.GCProfiler), each divided
 * by the number of messages. The seed article goes through the same mailer, pool and send loop as
 * an alert's batch, into Postfix's smtp-sink on 127.0.0.1. No Redis: the batch fetch and the
 * ledger are the full bench's (`npm run bench -- --profile`).
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--messages');
  const messages = at >= 0 ? Number(argv[at + 1]) : 20_000;
  const dkim = argv.includes('--dkim');
  const sinkBin = findExecutable('smtp-sink');
  if (!sinkBin) throw new Error("Postfix's smtp-sink is needed (Debian package postfix)");
  const group = new ProcessGroup();
  try {
    const sink = await startSmtpSink(group, sinkBin);
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://kilat.example',
      REDIS_URL: 'redis://127.0.0.1:1',
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      MAIL_FROM: '"Kilat Berita" <alerts@kilat.example>',
      PUBLISHER_TOKEN: randomBytes(32).toString('base64url'),
      SECRET_KEY: randomBytes(32).toString('base64url'),
    };
    if (dkim) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      Object.assign(env, { DKIM_DOMAIN: 'kilat.example', DKIM_SELECTOR: 'bench', DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    }
    const config = parseConfig(env);
    const catalog = loadCatalog();
    const signer = new TokenSigner([env.SECRET_KEY!]);
    const tags = new MessageTags([env.SECRET_KEY!]);
    const links = createLinks({ publicUrl: config.publicUrl, signer, tags, confirmTokenTtlSeconds: config.confirmTokenTtlSeconds });
    const transport = createSmtpTransport({ connection: smtpConnectionOptions(config.smtp!, config.smtpTimeoutMs), poolSize: config.smtpPoolSize });
    const mailer = createMailer({ renderer: createRendererFromConfig(config, catalog), transport, mailFrom: config.mailFrom, dkim: config.dkim, listId: { id: config.listId, name: 'Kilat breaking news' } });
    const seed = { ...(JSON.parse(fs.readFileSync(path.join(projectRoot, 'test', 'fixtures', 'seed-article.json'), 'utf8')) as ArticleInput), publishedAt: new Date().toISOString() };
    const article = toArticle(seed, config.defaultLocale);
    const template = await mailer.prepareAlert(article, article.locale);
    const recipients = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ id: from + i, email: `pembaca.${from + i}@contoh-${(from + i) % 997}.co.id` }));
    const run = async (list: { id: number; email: string }[]) => {
      let failures = 0;
      await sendCopies({
        recipients: list,
        concurrency: config.sendConcurrency,
        mailer,
        copyFor: (r) => ({ template, slots: links.listSlots(r.id), tag: links.messageTag(r.id, 'a1') }),
        sent: () => undefined,
        failed: () => {
          failures++;
        },
      });
      if (failures > 0) throw new Error(`${failures} message(s) failed`);
    };
    // Warm: JIT, pool connections.
    await run(recipients(Math.min(2000, messages), 1_000_000));
    const gc = new v8.GCProfiler();
    gc.start();
    const heapBefore = v8.getHeapStatistics().used_heap_size;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await run(recipients(messages, 2_000_000));
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    const heapAfter = v8.getHeapStatistics().used_heap_size;
    const profile = gc.stop() as unknown as { statistics: { cost: number; beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }[] };
    // Allocated = growth between collections, summed: before each GC minus after the previous one.
    let allocated = 0;
    let last = heapBefore;
    let gcUs = 0;
    for (const s of profile.statistics) {
      allocated += s.beforeGC.heapStatistics.usedHeapSize - last;
      last = s.afterGC.heapStatistics.usedHeapSize;
      gcUs += s.cost;
    }
    allocated += heapAfter - last;
    const result = {
      date: new Date().toISOString(),
      messages,
      dkim,
      messageBytes: Buffer.byteLength(template.personalise({ to: 'x@example.com', tag: links.messageTag(1, 'a1'), slots: links.listSlots(1) })),
      cpuUsPerMessage: Number(((used.user + used.system) / messages).toFixed(1)),
      userUsPerMessage: Number((used.user / messages).toFixed(1)),
      systemUsPerMessage: Number((used.system / messages).toFixed(1)),
      heapBytesAllocatedPerMessage: Math.round(allocated / messages),
      gcUsPerMessage: Number((gcUs / messages).toFixed(1)),
      gcCount: profile.statistics.length,
      wallMessagesPerSecond: Math.round(messages / (wallMs / 1000)),
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    };
    await transport.close();
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    const dir = path.join(projectRoot, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `message-cost${dkim ? '-dkim' : ''}-latest.json`), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await group.stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:message failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
