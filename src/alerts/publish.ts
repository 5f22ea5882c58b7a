import type { Locale } from '../config';
import type { Queues } from '../queues';
import { fanoutJobId } from '../queues';
import type { AlertStore } from './alert-store';
import { toArticle, type ArticleInput } from '../article';
import type { SitePatterns } from '../newsroom/article-text/site-patterns';

export interface PublishDeps {
  alerts: AlertStore;
  queues: Pick<Queues, 'fanout'>;
  defaultLocale: Locale;
  /** ARTICLE_BOILERPLATE: the operator's site-chrome patterns. */
  sitePatterns?: SitePatterns;
}

export interface PublishResult {
  alertId: string;
  created: boolean;
}

/** Stores the alert (or finds the one this article already has) and starts its fan-out. */
export async function publishArticle(deps: PublishDeps, input: ArticleInput): Promise<PublishResult> {
  const article = toArticle(input, deps.defaultLocale, deps.sitePatterns);
  const { id, created } = await deps.alerts.create(article);
  // A duplicate is re-enqueued too: the job id makes that a no-op when the first fan-out job exists,
  // and it repairs an alert whose first publish died between storing and enqueueing.
  await enqueueFanout(deps.queues, id);
  return { alertId: id, created };
}

export async function enqueueFanout(queues: Pick<Queues, 'fanout'>, alertId: string): Promise<void> {
  await queues.fanout.add('fanout', { alertId }, { jobId: fanoutJobId(alertId) });
}
