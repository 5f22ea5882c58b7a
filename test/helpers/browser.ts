import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// The functions passed to page.evaluate run in the browser. The project's TypeScript has no DOM
// library (it would change Node's fetch types everywhere), so these few names are declared here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare function getComputedStyle(el: any): any;
type Element = any;
type HTMLInputElement = any;
type HTMLElement = any;

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

/** Debian's chromium, headless, with a fresh profile that is removed on close. */
export async function launchBrowser(opts: { width: number; height: number; javaScriptEnabled?: boolean }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: opts.width, height: opts.height },
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export interface A11yReport {
  lang: string;
  title: string;
  /** Form controls without a label (by id or name). */
  unlabelled: string[];
  /** Text whose contrast against its background is below 4.5:1 (3:1 for large text). */
  lowContrast: string[];
  /** True when the page needs no horizontal scrolling at this width. */
  fitsWidth: boolean;
}

/** The basics a person relies on: a language, a title, labelled controls, readable contrast, no sideways scroll. */
export async function accessibilityBasics(page: Page): Promise<A11yReport> {
  return page.evaluate(() => {
    const parse = (c: string) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [255, 255, 255, 1];
      const p = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3]! > 0.5) return c;
      }
      return [255, 255, 255, 1];
    };
    const unlabelled: string[] = [];
    for (const el of Array.from(document.querySelectorAll('input, select, textarea')) as HTMLInputElement[]) {
      if (el.type === 'hidden') continue;
      const labelled = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!labelled) unlabelled.push(el.id || el.name || el.outerHTML.slice(0, 60));
    }
    const lowContrast: string[] = [];
    for (const el of Array.from(document.querySelectorAll('h1, h2, h3, p, label, legend, a, button, td, th, dt, dd, header, li, summary')) as HTMLElement[]) {
      if (!el.textContent?.trim() || el.offsetParent === null) continue;
      const style = getComputedStyle(el);
      const fg = parse(style.color);
      const bg = background(el);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) lowContrast.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`);
    }
    return {
      lang: document.documentElement.lang,
      title: document.title,
      unlabelled,
      lowContrast,
      fitsWidth: document.documentElement.scrollWidth <= window.innerWidth + 1,
    };
  });
}

/** Tabs to the first control and reports what has focus and whether a focus ring is drawn. */
export async function firstFocus(page: Page): Promise<{ tag: string; outline: string }> {
  await page.keyboard.press('Tab');
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return { tag: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`, outline: `${s.outlineStyle} ${s.outlineWidth}` };
  });
}
