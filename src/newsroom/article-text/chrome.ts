import { loadCatalog, type Catalog } from '../../i18n';
import { endsSentence } from './sentences';

/** Why a line is not part of the story. */
export type LeftOutReason = 'byline' | 'counter' | 'share' | 'related' | 'photo-credit' | 'caption' | 'timestamp' | 'promotion' | 'site-pattern';

export const REASON_TEXT: Record<LeftOutReason, string> = {
  byline: 'the author line (shown as the byline)',
  counter: 'a comment, share or view counter',
  share: 'share buttons',
  related: 'a "read also" / related-articles link',
  'photo-credit': 'a photo credit standing alone',
  caption: 'a figure caption',
  timestamp: 'a date or time line of the page',
  promotion: "the newsroom's own sign-up promotion",
  'site-pattern': 'a site pattern (ARTICLE_BOILERPLATE)',
};

/** Chrome is short: a line longer than this is story, whatever it starts with. */
export const MAX_CHROME_LENGTH = 300;

// Every pattern below is anchored, has no nested or adjacent overlapping quantifiers and only runs
// on lines of at most MAX_CHROME_LENGTH characters: each costs a bounded, linear scan.
const COUNTER_WORDS = '(?:komentar|comments?|tanggapan|balasan|replies|shares?|dibagikan|views?|dilihat|kali dibaca|dibaca|likes?|suka|reactions?)';
const COUNTER = [
  /^[-–—•·|:([\s]*\d[\d.,]*\s*[)\]]?$/,
  new RegExp(`^[([]?\\d[\\d.,]*\\s*${COUNTER_WORDS}[)\\]]?$`, 'i'),
  new RegExp(`^${COUNTER_WORDS}\\s*[:(]?\\s*\\d[\\d.,]*\\)?$`, 'i'),
];

const SHARE_CORE = new Set(['share', 'bagikan', 'facebook', 'twitter', 'whatsapp', 'telegram', 'linkedin', 'tweet', 'pinterest', 'reddit', 'salin', 'copy']);
const SHARE_WORDS = new Set([...SHARE_CORE, 'x', 'wa', 'line', 'email', 'e-mail', 'link', 'tautan', 'print', 'cetak', 'kirim', 'this', 'article', 'story', 'artikel', 'berita', 'ini', 'on', 'via', 'ke', 'to']);

const RELATED = /^(?:baca juga|baca lagi|read also|also read|read more|related(?: articles?| stories| news)?|lihat juga|simak juga|artikel terkait|berita terkait|more on this story|recommended|rekomendasi|pilihan redaksi|editor's picks?|baca selengkapnya)\s*(?:[:：|»>–—-]|$)/i;

const CREDIT = [
  /^[([]?(?:foto|photo|photograph|image|gambar|ilustrasi|illustration|dok|dokumentasi|sumber foto|sumber gambar|kredit foto|photo credit|credit|kredit|keterangan foto|video)\.?\s*[:：/]/i,
  // Agency credits: "ANTARA FOTO/Aditya Pradana Putra", "(REUTERS/Evgenia Novozhenina)", "AP Photo/Name"
  /^[([]?[A-Z]{2,}(?: (?:FOTO|PHOTO|Photo|Foto|Images?))?\/[\p{L}\p{M} .'’-]{2,80}[)\]]?$/u,
  /^[([]?[\p{L}\p{M} .'’-]{2,60}\/(?:getty images|afp|reuters|ap|antara|shutterstock|istock|epa|anadolu)[)\]]?$/iu,
];

const DAYS = '(?:senin|selasa|rabu|kamis|jumat|jum\'at|sabtu|minggu|ahad|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)';
const TIMESTAMP = [
  new RegExp(`^(?:${DAYS}\\s*,?\\s*)?\\d{1,2}[ /.-](?:\\d{1,2}|\\p{L}{3,9})[ /.-]\\d{2,4}(?:\\s*[,|-]?\\s*(?:pukul\\s*)?\\d{1,2}[:.]\\d{2}(?:\\s*(?:wib|wita|wit|utc|gmt|[ap]\\.?m\\.?))?)?$`, 'iu'),
  /^(?:diperbarui|diperbaharui|updated|published|dipublikasikan|diterbitkan|terbit|posted|last updated)\b[^.!?]{0,80}$/i,
];

const matchesAny = (res: readonly RegExp[], text: string) => res.some((re) => re.test(text));

/** The site-chrome kind of one line on its own (not the byline, which needs its neighbours). */
export function chromeKind(text: string, promotion: (text: string) => boolean): LeftOutReason | undefined {
  if (text.length > MAX_CHROME_LENGTH) return undefined;
  // One or two characters can only be a bare counter ("0", "12"): the other rules need words.
  if (text.length <= 2) return /^\d+$/.test(text) ? 'counter' : undefined;
  if (matchesAny(COUNTER, text)) return 'counter';
  if (isShareWidget(text)) return 'share';
  if (RELATED.test(text)) return 'related';
  if (matchesAny(CREDIT, text)) return 'photo-credit';
  if (matchesAny(TIMESTAMP, text)) return 'timestamp';
  if (promotion(text)) return 'promotion';
  return undefined;
}

/** A "Baca juga:" with nothing after it labels the line below, a headline of its own. */
export function isBareRelatedLabel(text: string): boolean {
  return text.length <= MAX_CHROME_LENGTH && text.replace(RELATED, '').trim() === '';
}

function isShareWidget(text: string): boolean {
  const words = text.toLowerCase().split(/[\s|·•,/:]+/).filter(Boolean);
  if (words.length === 0 || words.length > 10) return false;
  return words.every((w) => SHARE_WORDS.has(w)) && words.some((w) => SHARE_CORE.has(w));
}

const STOPWORDS = new Set([
  'untuk', 'yang', 'dan', 'ke', 'di', 'dari', 'kami', 'anda', 'kamu', 'ini', 'itu', 'atau', 'dengan', 'secara', 'pada', 'kita', 'juga', 'agar', 'supaya',
  'the', 'to', 'our', 'your', 'a', 'an', 'and', 'for', 'of', 'in', 'on', 'up', 'you', 'we', 'us', 'is', 'are', 'it', 'with', 'by', 'be', 'get',
]);
// Words newsrooms use around the same offer that the sign-up page does not.
const PROMOTION_EXTRA = ['mendapatkan', 'dapatkan', 'dikirim', 'daftar', 'daftarlah', 'mendaftar', 'langganan', 'newsletter', 'buletin', 'sign', 'signup', 'delivered', 'inbox', 'alerts', 'alert', 'notifikasi', 'gratis', 'free', 'email', 'e-mail', 'real', 'time', 'realtime'];
const PROMOTION_TOPIC = new Set(['terkini', 'breaking', 'newsletter', 'buletin']);
const PROMOTION_ACTION = new Set(['berlangganan', 'langganan', 'daftar', 'daftarlah', 'mendaftar', 'subscribe', 'sign', 'signup', 'email', 'inbox', 'kotak']);

const words = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/**
 * Kilat's own sign-up promotion, as the newsroom's page shows it in either language: the sign-up
 * page's strings from templates/i18n, exactly or reworded ("Untuk mendapatkan pemberitahuan berita
 * terkini gratis … daftarlah ke email berita terkini kami"). A line is the promotion when it is
 * short, names breaking news and signing up, and nearly all its words are the page's words.
 */
export function createPromotionMatcher(catalog: Catalog = loadCatalog()): (text: string) => boolean {
  const phrases = new Set<string>();
  const vocabulary = new Set(PROMOTION_EXTRA);
  for (const strings of Object.values(catalog)) {
    for (const s of [strings.page.title, strings.page.intro, strings.page.submit, strings.page.privacy]) {
      if (!s) continue;
      phrases.add(words(s).join(' '));
      for (const w of words(s)) vocabulary.add(w);
    }
  }
  return (text) => {
    if (text.length < 20 || text.length > 400) return false;
    const all = words(text);
    if (phrases.has(all.join(' '))) return true;
    const content = all.filter((w) => !STOPWORDS.has(w));
    if (content.length < 4 || content.length > 40) return false;
    if (!content.some((w) => PROMOTION_TOPIC.has(w)) || !content.some((w) => PROMOTION_ACTION.has(w))) return false;
    const known = content.filter((w) => vocabulary.has(w)).length;
    return known / content.length >= 0.7;
  };
}

/** A line that reads as story text (a sentence, or a long line), as opposed to a label. */
export function isStoryLine(text: string): boolean {
  return text.length >= 80 || (endsSentence(text) && text.split(/\s+/).length >= 5);
}
