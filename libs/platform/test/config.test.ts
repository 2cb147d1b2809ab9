import { describe, expect, it } from 'vitest';
import { ConfigError, baseConfigSchema, parseConfig } from '@chat/platform';

describe('parseConfig', () => {
  it('names JWT_SECRET when it is missing', () => {
    expect(() => parseConfig(baseConfigSchema, {})).toThrow(ConfigError);
    expect(() => parseConfig(baseConfigSchema, {})).toThrow(/JWT_SECRET/);
  });

  it('names the variable that is malformed', () => {
    expect(() => parseConfig(baseConfigSchema, { JWT_SECRET: 'x'.repeat(32), NATS_REQUEST_TIMEOUT_MS: 'soon' })).toThrow(
      /NATS_REQUEST_TIMEOUT_MS/,
    );
  });

  it('fills the documented defaults', () => {
    const config = parseConfig(baseConfigSchema, { JWT_SECRET: 'x'.repeat(32) });
    expect(config.MONGO_URL).toBe('mongodb://127.0.0.1:27017/chat');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.NATS_URL).toBe('nats://127.0.0.1:4222');
  });
});
