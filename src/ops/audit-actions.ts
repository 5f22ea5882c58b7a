/**
 * Every action the audit log records: the one list. A new feature that changes something adds its
 * name here (e.g. `alert.schedule`, `alert.edit` for scheduled alerts) and calls AuditLog.record.
 */
export const AUDIT_ACTIONS = [
  'alert.publish',
  'alert.schedule',
  'alert.edit',
  'alert.pause',
  'alert.resume',
  'alert.cancel',
  'alert.test_send',
  'subscriber.unsubscribe',
  'subscriber.export',
  'subscriber.delete',
  'subscriber.import',
  'key.create',
  'key.revoke',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const isAuditAction = (v: unknown): v is AuditAction => typeof v === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(v);

/** Where an action came from (`feed`: the feed watcher in a worker, publishing a new feed item). */
export const AUDIT_VIA = ['api', 'admin', 'cli', 'feed'] as const;
export type AuditVia = (typeof AUDIT_VIA)[number];
