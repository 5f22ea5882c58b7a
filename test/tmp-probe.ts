import { parseBounceReport } from '../src/subscribers/bounce-report';
const head = 'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n';
async function time(name: string, raw: string) {
  const t = Date.now();
  try { console.log(JSON.stringify(await parseBounceReport(raw)).slice(0,80)); } catch (e) { console.log((e as Error).message) }
  console.log(name, raw.length, Date.now() - t, 'ms');
}
(async () => {
  for (const n of [5000, 10000, 20000, 40000]) {
    const body = 'Content-Type: message/rfc822\n'.repeat(n);
    await time(`rfc822 lines ${n}`, head + '--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n' + body + 'x\r\n--b--');
  }
})();
