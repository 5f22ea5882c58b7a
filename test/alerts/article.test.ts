import { splitParagraphs } from '../../src/alerts/article';

describe('article paragraphs', () => {
  test('blank lines separate paragraphs; line breaks inside one fold to a space', () => {
    expect(splitParagraphs('Satu\r\nbaris dua  \n   tiga.\n \t\nParagraf dua.\n\n\n')).toEqual(['Satu baris dua tiga.', 'Paragraf dua.']);
    expect(splitParagraphs('Spasi   di  dalam tetap.')).toEqual(['Spasi   di  dalam tetap.']);
  });

  test('long runs of spaces are read in linear time (four times the input, about four times the time)', () => {
    const time = (n: number) => {
      const body = `a${' '.repeat(n)}b\n${' \t'.repeat(n / 2)}c`;
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        splitParagraphs(body);
        runs.push(performance.now() - t);
      }
      return Math.min(...runs);
    };
    time(10_000);
    expect(time(200_000) / Math.max(time(50_000), 0.5)).toBeLessThan(9);
  });
});
