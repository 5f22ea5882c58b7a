import addressparser from 'nodemailer/lib/addressparser';
import type { Config, DkimConfig, Locale } from '../config';
import type { Article } from '../article';
import { createDkimCopySigner, createDkimSigner } from './dkim';
import { MessageTemplate, type MessageCopy } from './message-template';
import { CLICK_SLOTS, CONFIRM_SLOTS, LIST_SLOTS, THREAD_SLOTS } from './slots';
import type { AlertUpdate, Piece, RenderedEmail, Renderer } from './render';
import type { MailTransport } from './transport';

export interface Mailer {
  readonly transport: MailTransport;
  readonly renderer: Renderer;
  /** Renders the alert (MJML compiled once) and builds its MIME message once. */
  prepareAlert(article: Article, locale: Locale): Promise<MessageTemplate>;
  /**
   * A follow-up alert, built as two messages: `threaded` (the update banner, the story's first
   * subject, In-Reply-To and References as slots: the Message-IDs of the reader's own copies of the
   * earlier alerts) and `plain`, an ordinary alert for readers who got none of them.
   */
  prepareFollowUp(article: Article, locale: Locale, update: AlertUpdate): Promise<{ plain: MessageTemplate; threaded: MessageTemplate }>;
  /** The Message-ID header value of the copy with this signed tag (what `personalise` writes). */
  messageId(tag: string): string;
  prepareConfirmation(locale: Locale): Promise<MessageTemplate>;
  /** Any list email already rendered (the daily digest): same headers as an alert. */
  prepareListEmail(rendered: RenderedEmail): Promise<MessageTemplate>;
  /**
   * Sends one finished message. `tag` (the copy's signed tag, as given to `personalise`) makes the
   * envelope sender `bounces+<tag>@BOUNCE_DOMAIN` (VERP) when a bounce domain is set.
   */
  send(to: string, raw: string | MessageCopy, tag?: string): Promise<void>;
}

export interface MailerDeps {
  renderer: Renderer;
  transport: MailTransport;
  /** `"Kilat <alerts@example.com>"`: the From header; its address is the envelope sender. */
  mailFrom: string;
  replyTo?: string;
  /** RFC 2919 List-Id for alerts: `id` like `breaking.news.example.com`, `name` a readable label. */
  listId?: { id: string; name: string };
  /** An address that also accepts unsubscribe requests, offered next to the HTTPS one-click link. */
  listUnsubscribeMailto?: string;
  /** When set, every message is DKIM-signed after it is personalised. */
  dkim?: DkimConfig;
  /** VERP: tagged messages go out with the envelope sender `bounces+<tag>@<bounceDomain>`. */
  bounceDomain?: string;
  /** CLICK_TRACKING=on: every alert copy gets its reader's READ_MORE_URL (Links.alertSlots makes it). */
  clickTracking?: boolean;
}

/** The sender settings of MailerDeps as configured: From, Reply-To, List-Id, mailto unsubscribe, DKIM. */
export function senderOptions(config: Config): Omit<MailerDeps, 'renderer' | 'transport'> {
  return {
    mailFrom: config.mailFrom,
    replyTo: config.replyTo,
    listId: { id: config.listId, name: `${config.siteName} breaking news` },
    listUnsubscribeMailto: config.listUnsubscribeMailto,
    dkim: config.dkim,
    bounceDomain: config.bounceDomain,
    clickTracking: config.clickTracking,
  };
}

/** `"Kilat" <breaking.kilat.example>`; the phrase only when it is plain printable ASCII. */
export function listIdHeader(listId: { id: string; name: string }): string {
  const name = listId.name.replace(/["\\]/g, '');
  return /^[\x20-\x7e]+$/.test(name) ? `"${name}" <${listId.id}>` : `<${listId.id}>`;
}

export function parseMailFrom(mailFrom: string): { address: string; domain: string } {
  const [first] = addressparser(mailFrom) as { address?: string }[];
  const address = first?.address;
  if (!address || !address.includes('@')) throw new Error(`MAIL_FROM has no address: ${mailFrom}`);
  return { address, domain: address.slice(address.lastIndexOf('@') + 1) };
}

export function createMailer(deps: MailerDeps): Mailer {
  const click = deps.clickTracking === true;
  const { address, domain } = parseMailFrom(deps.mailFrom);
  const confirmations = new Map<Locale, Promise<MessageTemplate>>();
  const dkimSign = deps.dkim ? createDkimSigner(deps.dkim) : undefined;
  const dkimSignCopy = deps.dkim ? createDkimCopySigner(deps.dkim) : undefined;
  // RFC 8058: the HTTPS URI is the one-click target; a mailto: beside it serves older clients.
  // It carries no token: a mailbox that receives it knows the sender from the message itself.
  const unsubscribeTargets: Piece[] = [
    `${deps.listUnsubscribeMailto ? `<mailto:${deps.listUnsubscribeMailto}?subject=unsubscribe>, ` : ''}<`,
    { slot: 'UNSUBSCRIBE_URL' },
    '>',
  ];
  /** `click`: the alert's tracked Read-more slot (CLICK_TRACKING=on); `threaded`: a follow-up's In-Reply-To/References. */
  const prepareListEmail = (rendered: RenderedEmail, o: { click?: boolean; threaded?: boolean } = {}) =>
    MessageTemplate.build({
      from: deps.mailFrom,
      replyTo: deps.replyTo,
      messageIdDomain: domain,
      rendered,
      slots: [...LIST_SLOTS, ...(o.click ? CLICK_SLOTS : []), ...(o.threaded ? THREAD_SLOTS : [])],
      headers: {
        ...(deps.listId ? { 'List-Id': [listIdHeader(deps.listId)] } : {}),
        'List-Unsubscribe': unsubscribeTargets,
        'List-Unsubscribe-Post': ['List-Unsubscribe=One-Click'],
        ...(o.threaded ? { 'In-Reply-To': [{ slot: 'IN_REPLY_TO' }], References: [{ slot: 'REFERENCES' }] } : {}),
      },
    });
  return {
    transport: deps.transport,
    renderer: deps.renderer,
    async prepareAlert(article, locale) {
      return prepareListEmail(await deps.renderer.renderAlert(article, locale), { click });
    },
    async prepareFollowUp(article, locale, update) {
      // Rendered twice, once each: a reader who got the story before gets the update banner under its
      // first subject; anyone else an ordinary alert under the update's own headline.
      const [normal, asUpdate] = await Promise.all([deps.renderer.renderAlert(article, locale), deps.renderer.renderAlert(article, locale, update)]);
      const [plain, threaded] = await Promise.all([prepareListEmail(normal, { click }), prepareListEmail(asUpdate, { click, threaded: true })]);
      return { plain, threaded };
    },
    messageId: (tag) => `<${tag}@${domain}>`,
    prepareListEmail: (rendered) => prepareListEmail(rendered),
    prepareConfirmation(locale) {
      let template = confirmations.get(locale);
      if (!template) {
        template = deps.renderer
          .renderConfirmation(locale)
          .then((rendered) => MessageTemplate.build({ from: deps.mailFrom, replyTo: deps.replyTo, messageIdDomain: domain, rendered, slots: CONFIRM_SLOTS }));
        template.catch(() => confirmations.delete(locale));
        confirmations.set(locale, template);
      }
      return template;
    },
    async send(to, raw, tag) {
      const from = tag && deps.bounceDomain ? `bounces+${tag}@${deps.bounceDomain}` : address;
      const signed = typeof raw === 'string' ? (dkimSign ? dkimSign(raw) : raw) : dkimSignCopy ? dkimSignCopy(raw) : raw;
      await deps.transport.send({ from, to, raw: signed });
    },
  };
}
