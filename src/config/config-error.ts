/** A setting that is missing or wrong; its message names the variable and never echoes a secret. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The one shape of every configuration message: `Invalid configuration:` and a line a variable. */
export function invalid(lines: string | string[]): ConfigError {
  return new ConfigError(`Invalid configuration:\n${(Array.isArray(lines) ? lines : [lines]).map((l) => `  ${l}`).join('\n')}`);
}
