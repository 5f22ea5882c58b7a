import fs from 'node:fs';
import path from 'node:path';
import { NotABounceReport, parseBounceReport } from '../../src/subscribers/bounce-report';
import { costRelativeToOnePass } from '../helpers/linear-time';

const sample = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'dsn', name));

describe('reading bounce and complaint reports', () => {
  test('Postfix "user unknown" DSN: a hard bounce for the final recipient', async () => {
    expect((await parseBounceReport(sample('postfix-user-unknown.eml'))).events).toEqual([
      { email: 'gone.user@contoh.co.id', type: 'hard', status: '5.1.1', action: 'failed' },
    ]);
  });

  test('Gmail over-quota DSN (nested multipart, folded Diagnostic-Code, mixed-case address): hard', async () => {
    expect((await parseBounceReport(sample('gmail-over-quota.eml'))).events).toEqual([
      { email: 'penuh.sekali@gmail.com', type: 'hard', status: '5.2.2', action: 'failed' },
    ]);
  });

  test('Exchange "delivery delayed" DSN (4.4.7): a soft bounce, not a suppression', async () => {
    expect((await parseBounceReport(sample('exchange-delayed.eml'))).events).toEqual([
      { email: 'lambat@hotmail.com', type: 'soft', status: '4.4.7', action: 'delayed' },
    ]);
  });

  test('a DSN for two recipients: the failed one counts, the relayed one does not', async () => {
    expect((await parseBounceReport(sample('sendmail-two-recipients.eml'))).events).toEqual([
      { email: 'spam.trap@contoh.net.id', type: 'hard', status: '5.7.1', action: 'failed' },
    ]);
  });

  test('Yahoo ARF abuse report: a complaint for the recipient of the reported message', async () => {
    expect((await parseBounceReport(sample('yahoo-arf-complaint.eml'))).events).toEqual([{ email: 'tidak.suka@yahoo.co.id', type: 'complaint' }]);
  });

  test('the tags a report quotes are found: the VERP address it went to and the returned Message-ID', async () => {
    const tag = 'k1.2s.a7.0123456789abcdef';
    const raw = sample('postfix-user-unknown.eml').toString('utf8').replace(/^To: .*$/m, `To: bounces+${tag}@bounce.kilat.example`).replace(/<[0-9a-f]{20,}@kilat\.example>/, '<k1.2t.a7.fedcba9876543210@kilat.example>');
    expect((await parseBounceReport(raw)).quoted.sort()).toEqual([tag, 'k1.2t.a7.fedcba9876543210']);
  });

  test('parsing is linear: a crafted report costs a few plain passes over it, not one per marker', async () => {
    // Many reported-message markers and no blank line after them: the old search re-read the rest
    // of the report from each one (1.2 MB took about 7 s).
    const crafted =
      'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n' +
      '--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n' +
      'Content-Type: message/rfc822\n'.repeat(40_000) + 'x\r\n--b--';
    expect(await costRelativeToOnePass(crafted, parseBounceReport)).toBeLessThan(50);
  });

  test('an ordinary email is not a report', async () => {
    await expect(parseBounceReport('From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n')).rejects.toBeInstanceOf(NotABounceReport);
  });
});
