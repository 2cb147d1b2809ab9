import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import {
  MONGO_USERS_FILES,
  mongoCollections,
  mongoPasswordVariable,
  mongoServiceUsers,
  renderMongoServiceUsersScript,
} from '@chat/contracts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Privilege {
  resource: { db: string; collection: string };
  actions: string[];
}
interface Role {
  role: string;
  privileges: Privilege[];
  roles: unknown[];
}

/**
 * Runs the deployed mongosh script against a recording stand-in for mongosh's `db` (FerretDB 1.24
 * has no user management, and no mongod runs here): what it would create is what it asks for.
 */
function runScript(env: Record<string, string>, existing: { roles?: string[]; users?: string[] } = {}) {
  const roles = new Map<string, Role>();
  const users = new Map<string, { pwd: string; roles: string[] }>();
  const calls: string[] = [];
  const chat = {
    getName: () => 'chat',
    getRole: (name: string) => (existing.roles?.includes(name) ? { role: name } : null),
    getUser: (name: string) => (existing.users?.includes(name) ? { user: name } : null),
    createRole: (r: Role) => (calls.push(`createRole ${r.role}`), roles.set(r.role, r)),
    updateRole: (name: string, r: Omit<Role, 'role'>) => (
      calls.push(`updateRole ${name}`),
      roles.set(name, { role: name, ...r })
    ),
    createUser: (u: { user: string; pwd: string; roles: string[] }) => (
      calls.push(`createUser ${u.user}`),
      users.set(u.user, u)
    ),
    updateUser: (name: string, u: { pwd: string; roles: string[] }) => (
      calls.push(`updateUser ${name}`),
      users.set(name, u)
    ),
  };
  const db = { getSiblingDB: (name: string) => (name === 'chat' ? chat : undefined) };
  runInNewContext(readFileSync(root + MONGO_USERS_FILES[0], 'utf8'), { db, process: { env }, print: () => undefined });
  return { roles, users, calls };
}

const passwords = Object.fromEntries(mongoServiceUsers.map((u) => [mongoPasswordVariable(u), `pw-${u}`]));

describe('MongoDB users: one per service, each role on its own collections only', () => {
  it('ships the script it tests: each deployed copy is rendered from mongo-roles.ts', () => {
    for (const file of MONGO_USERS_FILES) {
      expect(readFileSync(root + file, 'utf8'), `${file} is out of date: node deploy/mongo/render-users.mjs`).toBe(
        renderMongoServiceUsersScript(),
      );
    }
  });

  it('gives each service its own user, password and role, whose privileges name only its collections', () => {
    const { roles, users } = runScript(passwords);
    expect([...users.keys()].sort()).toEqual([...mongoServiceUsers].sort());
    const owners = new Map<string, string>();
    for (const user of mongoServiceUsers) {
      const account = users.get(user)!;
      expect(account.pwd).toBe(`pw-${user}`);
      expect(account.roles).toHaveLength(1);
      const role = roles.get(account.roles[0]!)!;
      expect(role.roles, 'no inherited role (readWrite would reach every collection)').toEqual([]);
      const collections = role.privileges.map((p) => p.resource.collection);
      expect(collections.sort()).toEqual([...mongoCollections[user]].sort());
      for (const p of role.privileges) {
        expect(p.resource.db).toBe('chat');
        expect(p.resource.collection, 'a whole database is never granted').not.toBe('');
        expect(p.actions).not.toContain('dropCollection');
        expect(p.actions).not.toContain('dropDatabase');
        expect(owners.get(p.resource.collection), `${p.resource.collection} granted twice`).toBeUndefined();
        owners.set(p.resource.collection, user);
      }
    }
    expect(new Set(Object.values(passwords)).size).toBe(mongoServiceUsers.length);
  });

  it('brings existing roles and users up to date instead of failing on a second run', () => {
    const existing = { roles: mongoServiceUsers.map((u) => `${u}-collections`), users: [...mongoServiceUsers] };
    const { calls } = runScript(passwords, existing);
    expect(calls.filter((c) => c.startsWith('create'))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('update'))).toHaveLength(mongoServiceUsers.length * 2);
  });

  it('refuses to create a user without its password', () => {
    const missing = { ...passwords };
    delete missing[mongoPasswordVariable('media-service')];
    expect(() => runScript(missing)).toThrow(/MONGO_PASSWORD_MEDIA_SERVICE is not set/);
  });
});
