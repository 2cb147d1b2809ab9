import type { Browser } from 'playwright-core';
import { newUserId, tokenFor } from '@chat/testkit';
import { openUser } from './browser.js';
import { ChatPage, eventually } from './chat-page.js';

/** A user of the platform and the name the page shows for them. */
export interface Person {
  name: string;
  userId: string;
  token: string;
}

/** A user no other case has met: nothing one case does shows up in another. */
export function newPerson(name: string): Person {
  const userId = newUserId();
  return { name, userId, token: tokenFor(userId) };
}

export const LAPTOP = { width: 1100, height: 760 };
export const PHONE = { width: 390, height: 780 };

/**
 * `who` in a browser context of their own, signed in through the page's local-user picker. The
 * picker lists `people`, as the dev-users.json that `npm start` writes would, served to this
 * context alone: each case names its own users without restarting the stack.
 */
export async function signIn(
  browser: Browser,
  baseURL: string,
  who: Person,
  people: Person[],
  viewport = LAPTOP,
): Promise<ChatPage> {
  const user = await openUser(browser, baseURL, who.name.toLowerCase(), viewport);
  await user.context.route('**/dev-users.json', (route) => route.fulfill({ json: { users: people } }));
  const page = new ChatPage(user);
  await page.page.goto('/');
  await page.page.getByRole('button', { name: new RegExp(`Continue as ${who.name}`) }).click();
  await page.nav.getByText(who.userId).waitFor();
  await eventually(() => page.nav.getByRole('status').innerText()).toBe('Connected');
  return page;
}
