import { costRelativeToOnePass } from './helpers/linear-time';
import { splitParagraphs } from '../src/article';

describe('article paragraphs', () => {
  test('blank lines separate paragraphs; line breaks inside one fold to a space', () => {
    expect(splitParagraphs('Satu\r\nbaris dua  \n   tiga.\n \t\nParagraf dua.\n\n\n')).toEqual(['Satu baris dua tiga.', 'Paragraf dua.']);
    expect(splitParagraphs('Spasi   di  dalam tetap.')).toEqual(['Spasi   di  dalam tetap.']);
  });

  test('long runs of spaces are read in linear time: no more than a few plain passes over the body', async () => {
    // 200,000 spaces took about 25 s with the old pattern (it backtracked over every run of spaces).
    const body = `a${' '.repeat(200_000)}b\n${' \t'.repeat(100_000)}c`;
    expect(await costRelativeToOnePass(body, splitParagraphs)).toBeLessThan(50);
  });
});
