// The one typed configuration (see README, Configuration): the schema of every setting, the parse
// into Config, and its parts that have rules of their own. `from './config'` keeps working.
export { ConfigError } from './config-error';
export { LOCALES, type Locale } from './locale';
export { SETTING_NAMES, settingsSchema, type Env, type Settings } from './schema';
export { parseConfig, processEnv, type Config, type DevSecrets } from './parse-config';
export { requireRedisUrl, resolveConfig, type ResolvedConfig } from './resolved-config';
export { parseFeeds, type FeedConfig } from './feeds';
export { parseDkim, type DkimConfig } from './dkim';
export { parseSmtp, type SmtpSettings } from './smtp';
export { redisUrlFrom } from './redis-url';
export { weakSecret } from './weak-secret';
export { parseDuration } from './duration';
