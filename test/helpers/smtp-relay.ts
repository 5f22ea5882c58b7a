import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

/** A reply a relay gives instead of accepting: the code and the text after it (with any enhanced code). */
export interface RelayReply {
  code: number;
  text: string;
}

export interface RelayMessage {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
  /** MAIL FROM parameters as sent (SIZE, SMTPUTF8, …). */
  mailArgs: Record<string, string | boolean>;
  secure: boolean;
  /** SNI name the client sent, if any. */
  servername?: string;
  user?: string;
  hello: string;
}

export interface RelayConfig {
  /** STARTTLS offered (the default when `cert` is given), TLS from the first byte, or no TLS. */
  tls?: 'starttls' | 'implicit' | 'none';
  cert?: { key: string; cert: string };
  /** AUTH: the mechanisms offered, the accounts, XOAUTH2 tokens; `required` refuses MAIL without a login. */
  auth?: { methods: ('PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2')[]; users?: Record<string, string>; tokens?: Record<string, string>; required?: boolean };
  /** SIZE limit it declares and enforces. */
  size?: number;
  /** Connections it takes at once; more get "421 … Too many connected clients" at the greeting. */
  maxClients?: number;
  /** false: EHLO is refused (500), HELO works. */
  ehlo?: boolean;
  smtputf8?: boolean;
  /** Messages per connection; the next MAIL FROM gets a 421 and the connection is closed. */
  messagesPerConnection?: number;
}

export interface RelayPolicy {
  /** Return a reply to refuse. */
  mailFrom?: (from: string, session: SMTPServerSession) => RelayReply | undefined;
  /** A promise holds the reply back until it settles (a relay that answers slowly). */
  rcptTo?: (to: string, session: SMTPServerSession) => RelayReply | undefined | Promise<RelayReply | undefined>;
  /** After the whole message arrived. */
  data?: (to: string[], raw: string) => RelayReply | undefined;
}

export interface SmtpRelay {
  port: number;
  /** smtp(s)://[user:pass@]host:port for this relay. */
  url(opts?: { user?: string; pass?: string; host?: string }): string;
  messages: RelayMessage[];
  to(address: string): RelayMessage[];
  /** Every AUTH attempt, as the relay saw it. */
  logins: { method: string; user: string; ok: boolean }[];
  /** Connections turned away at the greeting for maxClients. */
  refusedConnections: number;
  /** RCPT TO commands it received. */
  rcptCount: number;
  /** What it refuses; change it to "fix" the relay. */
  policy: RelayPolicy;
  /** The smtp-server options: `size`, `hideSTARTTLS`, … may be changed while it runs. */
  options: SMTPServerOptions;
  waitFor(count: number, timeoutMs?: number): Promise<RelayMessage[]>;
  stop(): Promise<void>;
}

const refusal = (reply: RelayReply) => Object.assign(new Error(reply.text), { responseCode: reply.code });

/**
 * A real SMTP server (smtp-server) that behaves like a provider's relay: TLS, AUTH, a size limit, a
 * connection limit, a per-connection message limit, and refusals at MAIL FROM, RCPT TO or after
 * DATA with the provider's own wording. Enhanced status codes are written into the reply texts, as
 * providers do, instead of smtp-server adding its own guesses.
 */
export async function startSmtpRelay(config: RelayConfig = {}, opts: { port?: number } = {}): Promise<SmtpRelay> {
  const messages: RelayMessage[] = [];
  const logins: SmtpRelay['logins'] = [];
  const policy: RelayPolicy = {};
  const perSession = new Map<string, number>();
  const tlsMode = config.tls ?? (config.cert ? 'starttls' : 'none');
  const state = { refusedConnections: 0, rcptCount: 0 };
  let active = 0;
  const accepted = new Set<string>();
  const options: SMTPServerOptions = {
    logger: false,
    secure: tlsMode === 'implicit',
    ...(config.cert ? { key: config.cert.key, cert: config.cert.cert } : {}),
    disabledCommands: [...(tlsMode === 'none' ? ['STARTTLS'] : []), ...(config.auth ? [] : ['AUTH']), ...(config.ehlo === false ? ['EHLO'] : [])],
    authMethods: config.auth?.methods ?? [],
    authOptional: !config.auth?.required,
    authRequiredMessage: '5.7.0 Authentication required',
    allowInsecureAuth: false,
    hideENHANCEDSTATUSCODES: true,
    hideSMTPUTF8: config.smtputf8 === false,
    size: config.size ?? 10 * 1024 * 1024,
    closeTimeout: 200,
    // A connection limit as providers apply it: the extra connection gets a 421 instead of a greeting.
    onConnect(_session, cb) {
      if (config.maxClients !== undefined && active >= config.maxClients) {
        state.refusedConnections++;
        return cb(refusal({ code: 421, text: '4.7.0 Too many concurrent SMTP connections from this IP; try again later' }));
      }
      active++;
      accepted.add(_session.id);
      cb();
    },
    onClose(session) {
      if (accepted.delete(session.id)) active--;
    },
    onAuth(auth, _session, cb) {
      const user = auth.username ?? '';
      const password = config.auth?.users?.[user];
      let ok = false;
      if (auth.method === 'XOAUTH2') ok = config.auth?.tokens?.[user] !== undefined && config.auth?.tokens?.[user] === auth.accessToken;
      else if (auth.method === 'CRAM-MD5') ok = password !== undefined && auth.validatePassword(password);
      else ok = password !== undefined && password === auth.password;
      logins.push({ method: auth.method, user, ok });
      if (ok) return cb(null, { user: auth.username });
      if (auth.method === 'XOAUTH2') return cb(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
      cb(Object.assign(new Error('5.7.8 Username and Password not accepted'), { responseCode: 535 }));
    },
    onMailFrom(address, session, cb) {
      const n = perSession.get(session.id) ?? 0;
      if (config.messagesPerConnection !== undefined && n >= config.messagesPerConnection) {
        return cb(refusal({ code: 421, text: '4.7.0 Too many messages for this session, closing connection' }));
      }
      const reply = policy.mailFrom?.(address.address, session);
      cb(reply ? refusal(reply) : undefined);
    },
    onRcptTo(address, session, cb) {
      state.rcptCount++;
      const reply = policy.rcptTo?.(address.address, session);
      if (reply instanceof Promise) void reply.then((r) => cb(r ? refusal(r) : undefined));
      else cb(reply ? refusal(reply) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const to = session.envelope.rcptTo.map((r) => r.address);
        const reply = policy.data?.(to, raw);
        if (reply) return cb(refusal(reply));
        perSession.set(session.id, (perSession.get(session.id) ?? 0) + 1);
        const mailFrom = session.envelope.mailFrom;
        messages.push({
          from: mailFrom ? mailFrom.address : '',
          to,
          raw,
          parsed: await simpleParser(raw),
          mailArgs: (mailFrom && mailFrom.args ? mailFrom.args : {}) as Record<string, string | boolean>,
          secure: session.secure,
          servername: session.servername || undefined,
          user: session.user as string | undefined,
          hello: String(session.hostNameAppearsAs ?? ''),
        });
        cb();
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  const realServer = server.server;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (realServer.address() as AddressInfo).port;
  return {
    port,
    url: (u = {}) => {
      const cred = u.user ? `${encodeURIComponent(u.user)}${u.pass !== undefined ? `:${encodeURIComponent(u.pass)}` : ''}@` : '';
      return `${tlsMode === 'implicit' ? 'smtps' : 'smtp'}://${cred}${u.host ?? '127.0.0.1'}:${port}`;
    },
    messages,
    to: (address) => messages.filter((m) => m.to.includes(address)),
    logins,
    get refusedConnections() {
      return state.refusedConnections;
    },
    get rcptCount() {
      return state.rcptCount;
    },
    policy,
    options,
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s) at the relay, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return messages;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
