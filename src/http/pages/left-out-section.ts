import type { LeftOutLine } from '../../newsroom/article-text/read-article-text';
import { html, type SafeHtml } from './html';

/**
 * The preview's list of story lines Kilat leaves out, each with why, and a checkbox (belonging to
 * the compose form) that keeps it on the next preview, test or publish. Works without JavaScript.
 */
export function leftOutSection(leftOut: readonly LeftOutLine[], formId: string): SafeHtml {
  return html`<section aria-labelledby="left-out-h">
<h2 id="left-out-h">Left out of the email</h2>
${
  leftOut.length === 0
    ? html`<p>Nothing: every line of the story is in the email.</p>`
    : html`<p class="note">Site chrome found in the story. Tick a line to keep it, then preview again.</p>
<ul class="left-out">
${leftOut.map(
  (l, i) => html`<li><label><input type="checkbox" name="keep" value="${l.text}" form="${formId}" aria-describedby="left-out-why-${i}"> <q>${l.text}</q></label> <span class="note" id="left-out-why-${i}">line ${l.line}: ${l.why}</span></li>`,
)}
</ul>`
}
</section>`;
}
