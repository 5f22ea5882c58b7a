import fs from 'node:fs';
import path from 'node:path';
import { NotABounceReport, parseBounceReport } from '../../src/subscribers/bounce-report';

const sample = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'dsn', name));

describe('reading bounce and complaint reports', () => {
  test('Postfix "user unknown" DSN: a hard bounce for the final recipient', async () => {
    expect(await parseBounceReport(sample('postfix-user-unknown.eml'))).toEqual([
      { email: 'gone.user@contoh.co.id', type: 'hard', status: '5.1.1', action: 'failed' },
    ]);
  });

  test('Gmail over-quota DSN (nested multipart, folded Diagnostic-Code, mixed-case address): hard', async () => {
    expect(await parseBounceReport(sample('gmail-over-quota.eml'))).toEqual([
      { email: 'penuh.sekali@gmail.com', type: 'hard', status: '5.2.2', action: 'failed' },
    ]);
  });

  test('Exchange "delivery delayed" DSN (4.4.7): a soft bounce, not a suppression', async () => {
    expect(await parseBounceReport(sample('exchange-delayed.eml'))).toEqual([
      { email: 'lambat@hotmail.com', type: 'soft', status: '4.4.7', action: 'delayed' },
    ]);
  });

  test('a DSN for two recipients: the failed one counts, the relayed one does not', async () => {
    expect(await parseBounceReport(sample('sendmail-two-recipients.eml'))).toEqual([
      { email: 'spam.trap@contoh.net.id', type: 'hard', status: '5.7.1', action: 'failed' },
    ]);
  });

  test('Yahoo ARF abuse report: a complaint for the recipient of the reported message', async () => {
    expect(await parseBounceReport(sample('yahoo-arf-complaint.eml'))).toEqual([{ email: 'tidak.suka@yahoo.co.id', type: 'complaint' }]);
  });

  test('an ordinary email is not a report', async () => {
    await expect(parseBounceReport('From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n')).rejects.toBeInstanceOf(NotABounceReport);
  });
});
