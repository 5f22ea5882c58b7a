import fs from 'node:fs/promises';
import path from 'node:path';
import { Router } from 'express';
import { simpleParser } from 'mailparser';
import { HttpError } from '../errors';
import { isLoopbackRequest } from '../loopback';
import { html } from '../pages/html';

const NAME = /^[A-Za-z0-9._-]+\.eml$/;

/** Development only: the messages the outbox transport wrote, readable in a browser. */
export function devOutboxRoutes(dir: string): Router {
  const router = Router();
  // Confirmation and unsubscribe links of every address sit in here: this machine only.
  router.use('/dev/outbox', (req, _res, next) => next(isLoopbackRequest(req) ? undefined : new HttpError(404, 'not_found', `No route for ${req.method} ${req.baseUrl}${req.path}`)));

  router.get('/dev/outbox', async (_req, res) => {
    const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => NAME.test(n)).sort().reverse().slice(0, 200);
    const rows = await Promise.all(
      names.map(async (name) => {
        const mail = await simpleParser(await fs.readFile(path.join(dir, name)));
        const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
        return html`<tr><td>${mail.date?.toISOString() ?? ''}</td><td>${to}</td><td><a href="/dev/outbox/${name}">${mail.subject ?? '(no subject)'}</a></td><td><a href="/dev/outbox/${name}?format=text">text</a> · <a href="/dev/outbox/${name}?format=raw">raw</a></td></tr>`;
      }),
    );
    res.type('html').send(
      html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev outbox</title>
<style>body{font:15px system-ui,sans-serif;margin:1.5rem}td,th{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}</style></head>
<body><h1>Dev outbox</h1><p>${names.length} message(s) in ${dir}. Set SMTP_URL to send for real.</p>
<table><thead><tr><th>Date</th><th>To</th><th>Subject</th><th>Other views</th></tr></thead><tbody>${rows}</tbody></table></body></html>`.value,
    );
  });

  router.get('/dev/outbox/:name', async (req, res) => {
    const name = String(req.params.name);
    if (!NAME.test(name)) throw new HttpError(404, 'not_found', 'No such message.');
    const raw = await fs.readFile(path.join(dir, name)).catch(() => undefined);
    if (!raw) throw new HttpError(404, 'not_found', 'No such message.');
    if (req.query.format === 'raw') return void res.type('text/plain; charset=utf-8').send(raw);
    const mail = await simpleParser(raw);
    if (req.query.format === 'text' || !mail.html) return void res.type('text/plain; charset=utf-8').send(mail.text ?? '');
    res.type('html').send(mail.html);
  });

  return router;
}
