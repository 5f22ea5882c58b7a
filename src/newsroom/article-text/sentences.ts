/**
 * Sentence ends as a reader sees them. "Jenderal." or "Jl." closes an abbreviation, not a
 * sentence; a closing quote or bracket after the full stop still ends it. Every check here scans
 * from the end of a line and stops at the first word, so it costs the same whatever the line.
 */
const ABBREVIATIONS = new Set([
  // Indonesian titles, ranks and address words
  'jenderal', 'jend', 'letjen', 'mayjen', 'brigjen', 'laksamana', 'marsekal', 'kol', 'letkol', 'mayor', 'kapt', 'kompol', 'akbp', 'irjen', 'kombes',
  'jl', 'jln', 'no', 'kec', 'kab', 'kel', 'prov', 'rt', 'rw', 'gg', 'dr', 'drs', 'dra', 'prof', 'ir', 'hj', 'sdr', 'sdri', 'bpk', 'tn', 'ny', 'nn', 'st', 'kh', 'pt', 'tbk', 'cv',
  // English
  'mr', 'mrs', 'ms', 'gen', 'lt', 'col', 'sgt', 'capt', 'gov', 'sen', 'rep', 'rev', 'vs', 'mt', 'ft', 'jr', 'sr', 'inc', 'co', 'corp', 'fig', 'nos',
]);

const CLOSERS = new Set(['"', "'", '”', '’', '»', ')', ']']);
const ENDERS = new Set(['.', '!', '?', '…']);

const isLetter = (c: string) => /\p{L}/u.test(c);
const LOWER = /\p{Ll}/u;

/** The line ends a sentence: . ! ? or … (then perhaps closing quotes), not after an abbreviation. */
export function endsSentence(text: string): boolean {
  let i = text.length - 1;
  while (i >= 0 && CLOSERS.has(text[i]!)) i--;
  if (i < 0 || !ENDERS.has(text[i]!)) return false;
  if (text[i] !== '.') return true;
  // The word before the full stop: an abbreviation or a single initial ("H.", "A.") is not an end.
  let j = i - 1;
  while (j >= 0 && isLetter(text[j]!)) j--;
  const word = text.slice(j + 1, i).toLowerCase();
  if (word.length === 1 && j + 1 < i) return false;
  return !ABBREVIATIONS.has(word);
}

/** The line ends with an abbreviation's full stop ("Jenderal.", "Jl."): the sentence goes on. */
export function endsWithAbbreviation(text: string): boolean {
  return text.endsWith('.') && !endsSentence(text) && isLetter(text[text.length - 2] ?? '');
}

/** The line opens with a lower-case letter (after any opening quotes): it continues a sentence. */
export function startsLowercase(text: string): boolean {
  let i = 0;
  while (i < text.length && '"\'“‘«(['.includes(text[i]!)) i++;
  return i < text.length && LOWER.test(text[i]!);
}

/** Length of the first word: whether it would have fitted on the line before. */
export function firstWordLength(text: string): number {
  const space = text.search(/\s/);
  return space < 0 ? text.length : space;
}
