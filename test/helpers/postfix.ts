import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/dev/embedded-redis';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';

export interface Postfix {
  /** Port of each smtpd service, by the name given. */
  ports: Record<string, number>;
  /** Postfix's own log (maillog_file): what it said about each message. */
  log(): string;
  stop(): Promise<void>;
}

export interface PostfixService {
  name: string;
  /** main.cf settings for this smtpd only (`-o name=value` in master.cf). */
  overrides?: Record<string, string>;
}

/**
 * A private Postfix (Debian's package) for one test file: its own configuration, queue and data
 * directories under a temp dir, smtpd services on free loopback ports, everything relayed to
 * `relayTo` (a capture server). Started as root like CI does; never touches the system's Postfix
 * (which is not running and must not be). Throws a clear error when Postfix is missing, instead of
 * letting a test skip.
 */
export async function startPostfix(opts: { relayTo: number; cert: { certFile: string; keyFile: string }; services: PostfixService[] }): Promise<Postfix> {
  if (!fs.existsSync(POSTFIX)) throw new Error('Postfix is not installed (/usr/sbin/postfix missing): apt-get install postfix; .ci/run installs it');
  if (process.getuid?.() !== 0) throw new Error('the Postfix test starts its own Postfix, which needs root (CI runs as root)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-postfix-'));
  // Postfix's daemons drop to the postfix user: they must reach the directory and own their data.
  fs.chmodSync(dir, 0o755);
  const conf = path.join(dir, 'conf');
  for (const d of ['conf', 'queue', 'data']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
  await run('chown', ['postfix', path.join(dir, 'data')]);
  fs.copyFileSync(opts.cert.certFile, path.join(conf, 'cert.pem'));
  fs.copyFileSync(opts.cert.keyFile, path.join(conf, 'key.pem'));
  fs.chmodSync(path.join(conf, 'key.pem'), 0o600);
  const maillog = path.join(dir, 'maillog');
  fs.writeFileSync(
    path.join(conf, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'myhostname = relay.kilat.test',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      `relayhost = [127.0.0.1]:${opts.relayTo}`,
      `smtpd_tls_cert_file = ${conf}/cert.pem`,
      `smtpd_tls_key_file = ${conf}/key.pem`,
      // Like a submission relay that insists on TLS before anything else.
      'smtpd_tls_security_level = encrypt',
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      `maillog_file = ${maillog}`,
      `maillog_file_prefixes = ${dir}`,
      'alias_maps =',
      'alias_database =',
      'local_recipient_maps =',
      'biff = no',
      'smtpd_banner = $myhostname ESMTP Postfix',
      '',
    ].join('\n'),
  );
  const ports: Record<string, number> = {};
  const smtpd: string[] = [];
  for (const s of opts.services) {
    ports[s.name] = await freePort();
    const o = Object.entries(s.overrides ?? {}).map(([k, v]) => `  -o ${k}=${v}`);
    smtpd.push(`127.0.0.1:${ports[s.name]} inet n - n - - smtpd`, ...o);
  }
  // chroot off (the "n" in the fifth column): nothing to copy into a jail for a test.
  const daemons = `pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd`;
  fs.writeFileSync(path.join(conf, 'master.cf'), `${smtpd.join('\n')}\n${daemons}\n`);
  const log = () => (fs.existsSync(maillog) ? fs.readFileSync(maillog, 'utf8') : '');
  const fail = (what: string, err: unknown) =>
    new Error(`${what}: ${(err as { stderr?: string }).stderr || (err as Error).message}\n--- Postfix's log ---\n${log().split('\n').slice(-20).join('\n')}`);
  try {
    await run(POSTFIX, ['-c', conf, 'start']);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw fail('postfix start failed', err);
  }
  const pidFile = path.join(dir, 'queue', 'pid', 'master.pid');
  const masterPid = () => {
    try {
      return Number(fs.readFileSync(pidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const alive = (pid: number | undefined) => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async () => {
    const pid = masterPid();
    await run(POSTFIX, ['-c', conf, 'stop']).catch(() => undefined);
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    // Only the master this test started, by its own pid file; its children leave with it.
    if (alive(pid)) process.kill(pid!, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of Object.values(ports)) await waitForGreeting(port);
  } catch (err) {
    await stop();
    throw fail('postfix did not answer', err);
  }
  return { ports, log, stop };
}

/** Resolves once the port answers with an SMTP greeting. */
async function waitForGreeting(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setTimeout(2000, () => (s.destroy(), resolve(false)));
      s.once('data', (d) => {
        s.end('QUIT\r\n');
        resolve(d.toString().startsWith('220'));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no greeting on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
