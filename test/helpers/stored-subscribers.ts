import { SUBSCRIBER_SHARDS } from '../../src/keys';
import type { Subscriber, SubscriberStore } from '../../src/subscribers/subscriber-store';

/** Every subscriber record in the store, whatever its layout in Redis. */
export async function storedSubscribers(store: SubscriberStore): Promise<Subscriber[]> {
  const all: Subscriber[] = [];
  for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard++) {
    for await (const page of store.scanShard(shard)) all.push(...page);
  }
  return all;
}

export async function storedAddresses(store: SubscriberStore): Promise<string[]> {
  return (await storedSubscribers(store)).map((s) => s.email).sort();
}
