import addressparser from 'nodemailer/lib/addressparser';
import type { Locale } from '../config';
import type { Article } from '../alerts/article';
import { MessageTemplate } from './message-template';
import { SLOTS, type Renderer } from './render';
import type { MailTransport } from './transport';

const SLOT_NAMES = Object.values(SLOTS).map((s) => s.slice(2, -2));

export interface Mailer {
  readonly transport: MailTransport;
  readonly renderer: Renderer;
  /** Renders the alert (MJML compiled once) and builds its MIME message once. */
  prepareAlert(article: Article, locale: Locale): Promise<MessageTemplate>;
  prepareConfirmation(locale: Locale): Promise<MessageTemplate>;
  send(to: string, raw: string): Promise<void>;
}

export interface MailerDeps {
  renderer: Renderer;
  transport: MailTransport;
  /** `"Kilat <alerts@example.com>"`: the From header; its address is the envelope sender. */
  mailFrom: string;
}

export function parseMailFrom(mailFrom: string): { address: string; domain: string } {
  const [first] = addressparser(mailFrom) as { address?: string }[];
  const address = first?.address;
  if (!address || !address.includes('@')) throw new Error(`MAIL_FROM has no address: ${mailFrom}`);
  return { address, domain: address.slice(address.lastIndexOf('@') + 1) };
}

export function createMailer(deps: MailerDeps): Mailer {
  const { address, domain } = parseMailFrom(deps.mailFrom);
  const confirmations = new Map<Locale, Promise<MessageTemplate>>();
  return {
    transport: deps.transport,
    renderer: deps.renderer,
    async prepareAlert(article, locale) {
      const rendered = await deps.renderer.renderAlert(article, locale);
      return MessageTemplate.build({
        from: deps.mailFrom,
        messageIdDomain: domain,
        rendered,
        slotNames: SLOT_NAMES,
        headers: {
          'List-Unsubscribe': `<${SLOTS.unsubscribeUrl}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
    },
    prepareConfirmation(locale) {
      let template = confirmations.get(locale);
      if (!template) {
        template = deps.renderer
          .renderConfirmation(locale)
          .then((rendered) => MessageTemplate.build({ from: deps.mailFrom, messageIdDomain: domain, rendered, slotNames: SLOT_NAMES }));
        template.catch(() => confirmations.delete(locale));
        confirmations.set(locale, template);
      }
      return template;
    },
    send(to, raw) {
      return deps.transport.send({ from: address, to, raw });
    },
  };
}
