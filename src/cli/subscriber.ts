import type { Config } from '../config';
import { createKeys } from '../keys';
import { createRedis, waitForRedis } from '../redis';
import { AddressHasher } from '../subscribers/address-hasher';
import { DataRights } from '../subscribers/data-rights';
import { normaliseAddress } from '../subscribers/email-address';
import { SubscriberStore } from '../subscribers/subscriber-store';

export const SUBSCRIBER_USAGE = `usage: npm run subscriber -- <command> EMAIL
  export EMAIL   print everything held about the subscriber as JSON
  delete EMAIL   delete the subscriber; only a keyed hash of the address stays, in the suppression set`;

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * The operator's data-rights commands (export, delete by address). Returns the exit code:
 * 0 done, 1 no such subscriber, 2 bad usage. Written to be folded into a general `kilat` CLI.
 */
export async function runSubscriberCommand(argv: string[], config: Config, io: CommandIo): Promise<number> {
  const [command, email, ...rest] = argv;
  if ((command !== 'export' && command !== 'delete') || !email || rest.length > 0) {
    io.err(SUBSCRIBER_USAGE);
    return 2;
  }
  const address = normaliseAddress(email);
  if (!address.ok) {
    io.err(`kilat: ${address.reason}`);
    return 2;
  }
  const redis = createRedis(config.redisUrl!, 'worker', { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  try {
    await waitForRedis(redis, 5000);
    const keys = [config.secretKey, ...config.previousSecretKeys];
    const rights = new DataRights({ subscribers: new SubscriberStore({ redis, keys: createKeys(config.keyPrefix) }), hasher: new AddressHasher(keys) });
    if (command === 'export') {
      const data = await rights.exportByEmail(address.address);
      if (!data) {
        const suppressed = await rights.suppression(address.address);
        io.err(`kilat: no subscriber ${address.address}${suppressed ? ` (the address is in the suppression set: ${suppressed.split(':')[0]})` : ''}`);
        return 1;
      }
      io.out(JSON.stringify(data, null, 2));
      return 0;
    }
    if (!(await rights.deleteByEmail(address.address))) {
      io.err(`kilat: no subscriber ${address.address}`);
      return 1;
    }
    io.out(`deleted ${address.address}; its keyed hash stays in the suppression set`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
