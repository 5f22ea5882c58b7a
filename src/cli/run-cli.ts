import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { SingleBar } from 'cli-progress';
import pino from 'pino';
import { ConfigError, parseConfig, resolveConfig, type Config, type ResolvedConfig } from '../config';
import { createCore, type Core } from '../core';
import { loadOrCreateDevSecrets } from '../dev/dev-secrets';
import { startEmbeddedRedis } from '../dev/embedded-redis';
import { createLogger } from '../logger';
import { waitForRedis } from '../redis';
import { checkRelay } from '../mail/relay-check';
import { articleSchema, toArticle } from '../article';
import { PublishRefused, publishSchema } from '../alerts/publish';
import type { AlertStatus } from '../alerts/alert-store';
import { ArticleFileError, readArticleFile, type ArticleDraft } from '../newsroom/article-file';
import { dryRunReport } from '../newsroom/article-text/dry-run-report';
import { ExtractError, extractArticleFromUrl } from '../newsroom/extract-article';
import { parseAllowList } from '../newsroom/fetch-content';
import { ImportFileError, importSubscribersCsv } from '../subscribers/import-csv';
import { exportSubscribersCsv } from '../subscribers/export-csv';
import { normaliseAddress } from '../subscribers/email-address';
import { maskEmail } from '../logger';
import { KeyInputError, type ApiKeyRecord } from '../ops/api-keys';
import type { AuditAction } from '../ops/audit-actions';
import { exportAudit, type AuditTarget } from '../ops/audit-log';
import { AudienceRecount, type RecountReport } from '../subscribers/audience-recount';

/** Exit codes, documented in `kilat --help`. */
export const EXIT = { ok: 0, error: 1, usage: 2, partial: 3, notFound: 4 } as const;

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: Writable;
  stderr: Writable;
  /** Progress bars only on a terminal. */
  isTTY?: boolean;
  /** Poll interval for `alerts status` (ms). */
  pollMs?: number;
}

const TERMINAL_STATES = new Set(['completed', 'failed', 'cancelled']);

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.error) {
    super(message);
    this.name = 'CliError';
  }
}

interface CliContext {
  config: Config;
  core: Core;
  close(): Promise<void>;
}

/**
 * The service's configuration and composition root, against Redis directly: the CLI works with the
 * API down. Without REDIS_URL (development) it uses the local redis-server `npm start` keeps under var/.
 */
async function openContext(env: Record<string, string | undefined>): Promise<CliContext> {
  const parsed = parseConfig(env, (varDir) => loadOrCreateDevSecrets(varDir));
  // Quiet unless asked: the CLI's own output is for people; the service's JSON log lines go to stderr.
  const logger = createLogger(env.LOG_LEVEL ? parsed.logLevel : 'warn', 'cli', pino.destination(2));
  let stopRedis = async () => undefined as void;
  const config = await resolveConfig(parsed, async () => {
    const embedded = await startEmbeddedRedis(path.join(parsed.varDir, 'redis'), logger);
    if (embedded.owned) stopRedis = embedded.stop;
    return embedded.url;
  });
  const core = createCore({ config, logger, role: 'worker' });
  try {
    await waitForRedis(core.redis, 5000);
  } catch {
    await core.close();
    await stopRedis();
    throw new CliError(`cannot reach Redis at ${redactUrl(core.redisUrl)} (check REDIS_URL)`);
  }
  return {
    config,
    core,
    async close() {
      await core.close();
      await stopRedis();
    },
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Who acts from the command line: whoever can reach Redis can do anything, so the CLI needs no
 * key; the audit log names the operating-system user that ran it.
 */
function cliActor(): { id: string; name: string } {
  let user = 'unknown';
  try {
    user = os.userInfo().username || user;
  } catch {
    // No passwd entry (some containers): the entry still says it came from the CLI.
  }
  return { id: 'cli', name: `cli:${user}` };
}

/** Runs one CLI command; resolves to the process exit code (never calls process.exit itself). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  const err = (s: string) => io.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
  let exitCode: number = EXIT.ok;
  let ctx: CliContext | undefined;
  const context = async () => (ctx ??= await openContext(io.env));
  const audit = async (action: AuditAction, target: AuditTarget) => {
    const { core } = await context();
    await core.audit.record({ actor: cliActor(), action, target, from: { via: 'cli' } });
  };

  const program = new Command('kilat')
    .description('Kilat breaking-news alerts: newsroom and operator commands (works against Redis directly; the API need not run).')
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nConfiguration: the same environment variables as the service (REDIS_URL, KEY_PREFIX, TOPICS, DEFAULT_LOCALE, ...).\n' +
        'Exit codes: 0 ok, 1 error, 2 usage error, 3 done with rejected rows (import) or counters that differ (stats recount), 4 not found.',
    );

  program
    .command('publish')
    .description('Publish an article as a breaking-news alert, from a file or a web page.')
    .argument('[file]', 'JSON (the POST /api/articles body), or text/Markdown with optional front matter (title, url, locale, topics, ...); without a title the first line is the title')
    .option('--url <url>', 'fetch this article page and extract the story (site chrome such as sign-up boxes is left out)')
    .option('--locale <locale>', 'override the locale (id or en)')
    .option('--topics <list>', 'override the topics, comma-separated')
    .option('--id <id>', 'article id (makes a re-publish a duplicate)')
    .option('--not-breaking', 'not breaking news: daily-digest subscribers only')
    .option('--at <time>', 'send at this time (ISO 8601 with offset, e.g. 2026-12-02T14:00:00+07:00) instead of now; the alert waits as scheduled')
    .option('--updates <alertId>', 'send as an update of that alert: its readers get it in the same conversation')
    .option('--dry-run', 'print the article as it will be sent and every line left out of it, and why; publish nothing')
    .option('--keep <line>', 'keep this line of the story although it looks like site chrome (repeatable; as --dry-run lists it)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (file: string | undefined, o: { url?: string; locale?: string; topics?: string; id?: string; notBreaking?: boolean; dryRun?: boolean; keep: string[]; at?: string; updates?: string }) => {
      if (!file === !o.url) throw new CliError('give either a FILE or --url URL', EXIT.usage);
      let draft: ArticleDraft;
      let bodyLine = 1;
      // A file is read (and refused) before any configuration or Redis is needed; a page needs the
      // configuration first (FETCH_ALLOW_HOSTS).
      if (file) {
        let content: string;
        try {
          content = fs.readFileSync(file, 'utf8');
        } catch (e) {
          throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        ({ draft, bodyLine } = readArticleFile(path.basename(file), content));
      } else {
        const { config } = await context();
        draft = await extractArticleFromUrl(o.url!, { allow: parseAllowList(config.fetchAllowHosts) });
      }
      if (o.locale) draft.locale = o.locale;
      if (o.topics) draft.topics = o.topics.split(',').map((t) => t.trim()).filter(Boolean);
      if (o.id) draft.id = o.id;
      if (o.notBreaking) draft.breaking = false;
      if (o.keep.length > 0) draft.keep = [...(Array.isArray(draft.keep) ? draft.keep : []), ...o.keep];
      const { config, core } = await context();
      const parsed = articleSchema(config.topics).safeParse(draft);
      const extra = publishSchema(config.topics).pick({ publishAt: true, updates: true }).safeParse({ publishAt: o.at, updates: o.updates });
      if (!extra.success) {
        const i = extra.error.issues[0]!;
        throw new CliError(`${i.path[0] === 'publishAt' ? '--at' : '--updates'}: ${i.message}`, EXIT.usage);
      }
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new CliError(`the article is not valid: ${i.path.join('.') || 'article'}: ${i.message}`);
      }
      if (o.dryRun) {
        out(JSON.stringify(dryRunReport(parsed.data, config, bodyLine), null, 2));
        return;
      }
      const r = await core.publish({ ...parsed.data, ...extra.data }).catch((err: unknown) => {
        if (err instanceof PublishRefused) throw new CliError(err.message, err.code === 'update_target_not_found' ? EXIT.notFound : EXIT.error);
        throw err;
      });
      if (r.created) await audit(r.publishAt ? 'alert.schedule' : 'alert.publish', { alertId: r.alertId });
      const what = r.publishAt ? `scheduled for ${r.publishAt}` : 'queued';
      out(r.created ? `alert ${r.alertId} ${what}: "${parsed.data.title}"` : `already published as alert ${r.alertId} (nothing sent again)`);
      out(`follow it with: kilat alerts status ${r.alertId}`);
    });

  const alerts = program.command('alerts').description('Follow or stop alerts.');
  alerts
    .command('status')
    .description('Show an alert\'s progress; waits with a progress bar until it is done.')
    .argument('<id>', 'alert id')
    .option('--no-wait', 'print the current status once and exit')
    .option('--json', 'print the final status as JSON')
    .action(async (id: string, o: { wait: boolean; json?: boolean }) => {
      const { core } = await context();
      let status = await core.alerts.status(id);
      if (!status) throw new CliError(`no alert ${id}`, EXIT.notFound);
      let bar: SingleBar | undefined;
      // A scheduled alert may be days away: say when, instead of waiting with it.
      if (o.wait && status.state !== 'scheduled' && !TERMINAL_STATES.has(status.state) && !(status.state === 'paused' && status.pausedBy === 'kilat')) {
        if (io.isTTY) {
          bar = new SingleBar({ stream: io.stderr as NodeJS.WritableStream, format: 'alert {id} {state} [{bar}] {percentage}% | {value}/{total} | failed {failed}', hideCursor: true });
          bar.start(Math.max(1, status.total), done(status), { id, state: status.state, failed: status.failed });
        }
        // A paused alert waits for someone; say why instead of waiting with it.
        while (!TERMINAL_STATES.has(status.state) && !(status.state === 'paused' && status.pausedBy === 'kilat')) {
          await new Promise((r) => setTimeout(r, io.pollMs ?? 500));
          status = (await core.alerts.status(id))!;
          bar?.setTotal(Math.max(1, status.total));
          bar?.update(done(status), { state: status.state, failed: status.failed });
        }
        bar?.stop();
      }
      out(o.json ? JSON.stringify(status, null, 2) : describe(status));
      if (status.state === 'failed' || (status.state === 'paused' && status.pausedBy === 'kilat')) exitCode = EXIT.error;
    });
  for (const [action, past, what] of [
    ['pause', 'paused', 'Pause an alert that is queued or sending; resume sends the rest.'],
    ['resume', 'resumed', 'Resume a paused alert (after fixing what its reason names): everyone still owed gets it, once.'],
  ] as const) {
    alerts
      .command(action)
      .description(what)
      .argument('<id>', 'alert id')
      .action(async (id: string) => {
        const { core } = await context();
        const r = await core.controlAlert(id, action);
        if (!r.ok && r.reason === 'not_found') throw new CliError(`no alert ${id}`, EXIT.notFound);
        if (!r.ok) throw new CliError(`alert ${id} is ${r.state}; it cannot be ${past}`);
        if (r.changed) await audit(`alert.${action}`, { alertId: id });
        out(r.changed ? `alert ${id} ${past}: now ${r.state}` : `alert ${id} is already ${r.state}`);
      });
  }
  alerts
    .command('cancel')
    .description('Stop an alert that is still scheduled, queued or sending; batches not yet sent are not sent.')
    .argument('<id>', 'alert id')
    .action(async (id: string) => {
      const { core } = await context();
      const before = await core.alerts.state(id);
      if (!before) throw new CliError(`no alert ${id}`, EXIT.notFound);
      const r = await core.controlAlert(id, 'cancel');
      if (r.ok && r.changed) {
        await audit('alert.cancel', { alertId: id });
        out(`alert ${id} cancelled (it was ${before})`);
      }
      else throw new CliError(`alert ${id} is already ${r.ok ? r.state : r.reason === 'conflict' ? r.state : before}; nothing to cancel`);
    });

  program
    .command('smtp')
    .description('The SMTP relay.')
    .command('check')
    .description('Connect to SMTP_URL as the workers do (TLS, EHLO, login), show what the relay offers, and with --to send one test message. Needs no Redis.')
    .option('--to <address>', 'also send one test message to this address')
    .action(async (o: { to?: string }) => {
      const address = o.to === undefined ? undefined : normaliseAddress(o.to);
      if (address && !address.ok) throw new CliError(`not a valid address: ${address.reason}`, EXIT.usage);
      const config = parseConfig(io.env, (varDir) => loadOrCreateDevSecrets(varDir));
      if (!config.smtp) throw new CliError('SMTP_URL is not set: Kilat writes emails to the dev outbox, there is no relay to check');
      const report = await checkRelay(config.smtp, { timeoutMs: config.smtpTimeoutMs, mailFrom: config.mailFrom, to: address?.ok ? address.address : undefined });
      for (const line of report.lines) out(line);
      if (!report.ok) exitCode = EXIT.error;
    });

  const subscribers = program.command('subscribers').description('Import, export and delete subscribers.');
  subscribers
    .command('import')
    .description('Import subscribers from a CSV file with the header row email,locale,topics (topics separated by ";").')
    .argument('<file>', 'CSV file')
    .option('--confirmed', 'the list was opted in elsewhere: subscribe them at once (no confirmation email)')
    .action(async (file: string, o: { confirmed?: boolean }) => {
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const { config, core } = await context();
      const input = fs.createReadStream(file);
      let bytes = 0;
      input.on('data', (c) => (bytes += c.length));
      const bar = io.isTTY
        ? new SingleBar({ stream: io.stderr as NodeJS.WritableStream, format: 'importing [{bar}] {percentage}% | {rows} rows | {bad} bad | ETA {eta}s', hideCursor: true })
        : undefined;
      bar?.start(Math.max(1, size), 0, { rows: 0, bad: 0 });
      const badLines: string[] = [];
      let badCount = 0;
      const started = Date.now();
      const report = await importSubscribersCsv(
        { subscribers: core.subscribers, confirmations: core.queues.confirmations, topics: config.topics, defaultLocale: config.defaultLocale },
        input,
        {
          confirmed: Boolean(o.confirmed),
          onBadRow: (line, reason) => {
            badCount++;
            // The first hundred in full; then only the count, so a broken file cannot flood the terminal.
            if (badLines.length < 100) badLines.push(`line ${line}: ${reason}`);
          },
          onProgress: (rows) => bar?.update(bytes, { rows, bad: badCount }),
        },
      ).finally(() => bar?.stop());
      if (report.rows - report.bad > 0) await audit('subscriber.import', { rows: report.rows - report.bad, created: report.created, confirmed: Boolean(o.confirmed) });
      for (const l of badLines) err(l);
      if (badCount > badLines.length) err(`... and ${badCount - badLines.length} more bad rows`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      out(
        `imported ${report.rows - report.bad} of ${report.rows} rows in ${seconds} s: ${report.created} new, ${report.confirmed} confirmed, ` +
          `${report.existing} already there, ${report.optedOut} left alone (unsubscribed or bounced), ${report.bad} rejected` +
          (o.confirmed ? '' : `; ${report.confirmationsQueued} confirmation emails queued`),
      );
      if (report.bad > 0) exitCode = EXIT.partial;
    });
  subscribers
    .command('export')
    .description('Without EMAIL: every subscriber as CSV (email,locale,topics,status,created_at,confirmed_at). With EMAIL: everything held about that subscriber, as JSON.')
    .argument('[email]', 'one subscriber\'s address')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (email: string | undefined, o: { output?: string }) => {
      const address = email === undefined ? undefined : normaliseAddress(email);
      if (address && !address.ok) throw new CliError(`not a valid address: ${address.reason}`, EXIT.usage);
      const { core } = await context();
      const target = o.output ? fs.createWriteStream(o.output) : io.stdout;
      let n = 1;
      if (address?.ok) {
        const data = await core.dataRights.exportByEmail(address.address);
        if (!data) {
          const suppressed = await core.dataRights.suppression(address.address);
          throw new CliError(`no subscriber ${address.address}${suppressed ? ` (the address is in the suppression set: ${suppressed.split(':')[0]})` : ''}`, EXIT.notFound);
        }
        target.write(`${JSON.stringify(data, null, 2)}\n`);
        await audit('subscriber.export', { subscriber: maskEmail(address.address) });
      } else {
        n = await exportSubscribersCsv(core.subscribers, target);
        await audit('subscriber.export', { all: true, count: n });
      }
      if (o.output) {
        await new Promise<void>((resolve, reject) => (target as fs.WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
        err(`exported ${n} subscriber(s) to ${o.output}`);
      }
    });
  subscribers
    .command('delete')
    .description('Delete a subscriber by address (right to erasure); only a keyed hash of the address stays, in the suppression set.')
    .argument('<email>', 'the address')
    .action(async (email: string) => {
      const address = normaliseAddress(email);
      if (!address.ok) throw new CliError(`not a valid address: ${address.reason}`, EXIT.usage);
      const { core } = await context();
      const deleted = await core.dataRights.deleteByEmail(address.address);
      if (!deleted) throw new CliError(`no subscriber ${address.address}`, EXIT.notFound);
      await audit('subscriber.delete', { subscriber: maskEmail(address.address) });
      out(`deleted ${address.address}; its keyed hash stays in the suppression set`);
    });

  const keys = program.command('keys').description('Named API keys: each editor or integration gets its own, with scopes (publish, read, subscribers, admin).');
  keys
    .command('create')
    .description('Create a key; its secret is printed once (only a hash of it is stored).')
    .requiredOption('--name <name>', 'who holds it, e.g. "Desk: Rina" (at most 64 characters)')
    .requiredOption('--scopes <list>', 'comma-separated: publish, read, subscribers, admin')
    .option('--json', 'print {key, secret} as JSON')
    .action(async (o: { name: string; scopes: string; json?: boolean }) => {
      const { core } = await context();
      let created: Awaited<ReturnType<typeof core.apiKeys.create>>;
      try {
        created = await core.apiKeys.create({ name: o.name, scopes: o.scopes, createdBy: cliActor() });
      } catch (e) {
        if (e instanceof KeyInputError) throw new CliError(e.message, EXIT.usage);
        throw e;
      }
      await audit('key.create', { keyId: created.key.id, name: created.key.name, scopes: created.key.scopes.join(',') });
      if (o.json) return void out(JSON.stringify(created, null, 2));
      out(`key ${created.key.id} created for "${created.key.name}" (${created.key.scopes.join(', ')})`);
      out(`secret (shown only now): ${created.secret}`);
    });
  keys
    .command('list')
    .description('List every key, revoked ones too (never their secrets).')
    .option('--json', 'print the list as JSON')
    .action(async (o: { json?: boolean }) => {
      const { core } = await context();
      const list = await core.apiKeys.list();
      if (o.json) return void out(JSON.stringify(list, null, 2));
      out(`bootstrap        admin                         active   PUBLISHER_TOKEN`);
      for (const k of list) out(keyLine(k));
    });
  keys
    .command('revoke')
    .description('Revoke a key: the next request with it is refused everywhere (API, /admin sessions, Bull Board).')
    .argument('<id>', 'key id (k_…), as `keys list` shows it')
    .action(async (id: string) => {
      const { core } = await context();
      const r = await core.apiKeys.revoke(id);
      if (!r.ok && r.reason === 'bootstrap') throw new CliError('the bootstrap key is PUBLISHER_TOKEN: change the setting to replace it', EXIT.usage);
      if (!r.ok) throw new CliError(`no key ${id}`, EXIT.notFound);
      if (r.revoked) await audit('key.revoke', { keyId: r.key.id, name: r.key.name });
      out(r.revoked ? `key ${id} ("${r.key.name}") revoked` : `key ${id} ("${r.key.name}") was already revoked`);
    });

  program
    .command('audit')
    .description('The audit log of changes (who, what, when, from where).')
    .command('export')
    .description('Write the whole audit log, oldest first, as JSON lines or CSV.')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (o: { format: string; output?: string }) => {
      if (o.format !== 'jsonl' && o.format !== 'csv') throw new CliError('--format must be jsonl or csv', EXIT.usage);
      const { core } = await context();
      const target = o.output ? fs.createWriteStream(o.output) : io.stdout;
      const n = await exportAudit(core.audit, o.format, target);
      if (o.output) {
        await new Promise<void>((resolve, reject) => (target as fs.WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
        err(`exported ${n} audit entries to ${o.output}`);
      }
    });

  program
    .command('stats')
    .description('The audience counters behind /admin/subscribers.')
    .command('recount')
    .description('Read every subscriber record (a page at a time) and compare what they add up to with the counters; with --repair, replace counters that disagree.')
    .option('--repair', 'replace the counters of every shard that disagrees with its records (atomically; a shard that changed during its scan is read again)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { repair?: boolean; json?: boolean }) => {
      const { core } = await context();
      const report = await new AudienceRecount({ redis: core.redis, keys: core.keys, subscribers: core.subscribers }).recount({ repair: Boolean(o.repair) });
      out(o.json ? JSON.stringify(report, null, 2) : describeRecount(report));
      // Differences found and not repaired: the counters are wrong, say so in the exit code.
      if (report.differences.length > 0 && !o.repair) exitCode = EXIT.partial;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    exitCode = errorExit(e, err);
  } finally {
    await ctx?.close().catch(() => undefined);
  }
  return exitCode;
}

function errorExit(e: unknown, err: (s: string) => void): number {
  if (e instanceof CommanderError) {
    // --help and --version are not errors.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  if (e instanceof CliError) {
    err(`kilat: ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof ConfigError || e instanceof ArticleFileError || e instanceof ExtractError || e instanceof ImportFileError) {
    err(`kilat: ${e.message}`);
    return EXIT.error;
  }
  err(`kilat: unexpected error: ${(e as Error).stack ?? String(e)}`);
  return EXIT.error;
}

function keyLine(k: ApiKeyRecord): string {
  const status = k.revokedAt ? `revoked  ${k.revokedAt}` : 'active  ';
  return `${k.id.padEnd(16)} ${k.scopes.join(',').padEnd(29)} ${status} ${JSON.stringify(k.name)} (created ${k.createdAt} by ${k.createdBy.name})`;
}

const done = (s: AlertStatus) => s.sent + s.failed + s.skipped;

function describe(s: AlertStatus): string {
  if (s.state === 'scheduled') return `alert ${s.id} scheduled for ${s.publishAt}: "${s.title}"\n  cancel it with: kilat alerts cancel ${s.id}`;
  const line = `alert ${s.id} ${s.state}: ${s.sent} sent, ${s.failed} failed, ${s.skipped} skipped of ${s.total} — "${s.title}"`;
  if (!s.reason) return line;
  const who = s.state === 'paused' ? (s.pausedBy === 'kilat' ? 'paused by Kilat: ' : 'paused: ') : s.state === 'failed' ? 'failed: ' : '';
  const next = s.state === 'paused' && s.pausedBy === 'kilat' ? `\n  fix it, then: kilat alerts resume ${s.id}` : '';
  return `${line}\n  reason: ${who}${s.reason}${next}`;
}


function describeRecount(r: RecountReport): string {
  const row = (name: string, counter: number, records: number) => `  ${name.padEnd(28)} ${String(counter).padStart(9)} ${String(records).padStart(9)}${counter === records ? '' : '  <- differs'}`;
  const lines = [`read ${r.scanned} subscriber records`, `  ${'figure'.padEnd(28)} ${'counters'.padStart(9)} ${'records'.padStart(9)}`];
  for (const [status, n] of Object.entries(r.counters.byStatus)) lines.push(row(status, n, r.records.byStatus[status as keyof typeof r.records.byStatus]));
  for (const l of [...new Set([...Object.keys(r.counters.byLocale), ...Object.keys(r.records.byLocale)])].sort()) lines.push(row(`confirmed, locale ${l}`, r.counters.byLocale[l] ?? 0, r.records.byLocale[l] ?? 0));
  for (const t of [...new Set([...Object.keys(r.counters.byTopic), ...Object.keys(r.records.byTopic)])].sort()) lines.push(row(`confirmed, topic ${t}`, r.counters.byTopic[t] ?? 0, r.records.byTopic[t] ?? 0));
  lines.push(row('confirmed, every topic', r.counters.allTopics, r.records.allTopics));
  if (r.differences.length === 0) lines.push('the counters agree with the records');
  else if (r.repaired.length > 0) lines.push(`${r.differences.length} counter(s) differed; repaired shard(s) ${r.repaired.join(', ')}`);
  else lines.push(`${r.differences.length} counter(s) differ; run with --repair to replace them`);
  return lines.join('\n');
}
