import { userIdOfToken } from '@chat/client';

/** Who is signed in: a token kept per browser tab, so two tabs can be two users. */
export interface Session {
  token: string;
  userId: string;
  name?: string;
}

/** A user `npm start` offers (clients/web/dist/dev-users.json exists only while it runs). */
export interface DevUser {
  name: string;
  userId: string;
  token: string;
}

const KEY = 'chat.session';
const OBJECT_ID = /^[0-9a-f]{24}$/;

/**
 * The user id a token names, or why it names none. Only for showing who you are: the server
 * checks the signature and the expiry (a refused token signs the page out with its reason).
 */
export function userIdOf(token: string): string | Error {
  if (token.split('.').length !== 3) return new Error('This is not a JWT (header.payload.signature).');
  const id = userIdOfToken(token);
  return id && OBJECT_ID.test(id) ? id : new Error('The token names no 24-hex user id.');
}

export function loadSession(): Session | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return saved && typeof userIdOf(saved.token) === 'string' ? saved : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

/** The local users of `npm start`; none in production (the file is not there). */
export async function fetchDevUsers(): Promise<DevUser[]> {
  try {
    const res = await fetch('/dev-users.json', { cache: 'no-store' });
    if (!res.ok) return [];
    const body = (await res.json()) as { users?: DevUser[] };
    return Array.isArray(body.users) ? body.users : [];
  } catch {
    return [];
  }
}
