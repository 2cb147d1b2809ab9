import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, baseConfigSchema, parseConfig } from '@chat/platform';

const DEV_SECRET_SCRIPT = new URL('../../../deploy/local/dev-secret.mjs', import.meta.url).href;

describe('parseConfig', () => {
  it('names JWT_SECRET when it is missing', () => {
    expect(() => parseConfig(baseConfigSchema, {})).toThrow(ConfigError);
    expect(() => parseConfig(baseConfigSchema, {})).toThrow(/JWT_SECRET/);
  });

  it('names the variable that is malformed', () => {
    expect(() =>
      parseConfig(baseConfigSchema, { JWT_SECRET: 'x'.repeat(32), NATS_REQUEST_TIMEOUT_MS: 'soon' }),
    ).toThrow(/NATS_REQUEST_TIMEOUT_MS/);
  });

  it('fills the documented defaults', () => {
    const config = parseConfig(baseConfigSchema, { JWT_SECRET: 'x'.repeat(32) });
    expect(config.MONGO_URL).toBe('mongodb://127.0.0.1:27017/chat');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.NATS_URL).toBe('nats://127.0.0.1:4222');
  });

  it('fills the token defaults: 24 h at most, 5 s of clock skew, no iss or aud check', () => {
    const config = parseConfig(baseConfigSchema, { JWT_SECRET: 'x'.repeat(32) });
    expect(config).toMatchObject({ JWT_MAX_LIFETIME_S: 86_400, JWT_CLOCK_TOLERANCE_S: 5 });
    expect(config.JWT_ISSUER).toBeUndefined();
    expect(config.JWT_AUDIENCE).toBeUndefined();
    expect(() => parseConfig(baseConfigSchema, { JWT_SECRET: 'x'.repeat(32), JWT_MAX_LIFETIME_S: '0' })).toThrow(
      /JWT_MAX_LIFETIME_S/,
    );
  });

  it('refuses the public development secret in production, naming JWT_SECRET; allows it elsewhere', () => {
    expect(() => parseConfig(baseConfigSchema, { NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET })).toThrow(
      /JWT_SECRET: is the public development secret/,
    );
    expect(parseConfig(baseConfigSchema, { NODE_ENV: 'development', JWT_SECRET: DEV_JWT_SECRET }).JWT_SECRET).toBe(
      DEV_JWT_SECRET,
    );
    expect(parseConfig(baseConfigSchema, { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).NODE_ENV).toBe(
      'production',
    );
  });

  it('knows the same development secret as the local scripts (deploy/local/dev-secret.mjs)', async () => {
    const script = (await import(DEV_SECRET_SCRIPT)) as { DEV_JWT_SECRET: string };
    expect(script.DEV_JWT_SECRET).toBe(DEV_JWT_SECRET);
  });
});
