import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, openUser } from './support/browser.js';
import { ChatPage, eventually, isFocused } from './support/chat-page.js';
import { LAPTOP, PHONE, newPerson, signIn, type Person } from './support/people.js';
import { squarePng } from './support/png.js';
import { acceptedChat, requestChat, say } from './support/seed.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * People in browser contexts of Debian's Chromium, headless, against the real stack (every
 * service a process, two gateway nodes, the edge serving the page): Alice on a laptop, Bob on a
 * phone-sized screen. The stack and the browser are shared; each case has new users, the chat
 * it needs made through the public API, and pages of its own, so it runs alone or in any order.
 * Screenshots go to test-artifacts/web/.
 */
describe('the web client: two people chat through the edge in real browsers', () => {
  // The local users `npm start` would offer, served by the edge itself: only the sign-in case uses them.
  const localAlice = newPerson('Alice');
  const localBob = newPerson('Bob');
  let stack: Stack;
  let browser: Browser;
  /** The pages of the running case, closed after it. */
  let pages: ChatPage[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ devUsers: [localAlice, localBob] }), launchBrowser()]);
  }, 120_000);

  // A failed case leaves its screens behind, to see what the users saw; a script error fails any case.
  afterEach(async ({ task }) => {
    const done = pages;
    pages = [];
    if (task.result?.state === 'fail') await Promise.all(done.map((p) => p.shot('FAILED'))).catch(() => undefined);
    await Promise.all(done.map((p) => p.user.context.close()));
    expect(done.flatMap((p) => p.user.errors)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** New Alice and Bob; the page knows them by name. */
  const newPair = () => ({ alice: newPerson('Alice'), bob: newPerson('Bob') });

  async function open(who: Person, people: Person[], viewport = LAPTOP): Promise<ChatPage> {
    const page = await signIn(browser, stack.url, who, people, viewport);
    pages.push(page);
    return page;
  }

  /** Alice on her laptop and Bob on his phone, both signed in, each on the list of chats. */
  const openBoth = ({ alice, bob }: { alice: Person; bob: Person }) =>
    Promise.all([open(alice, [alice, bob], LAPTOP), open(bob, [alice, bob], PHONE)]);

  /** New Alice and Bob in a chat Bob accepted (Alice's greeting, then `more` in order), each looking at it. */
  async function inChat(more: ['alice' | 'bob', string][] = []) {
    const pair = newPair();
    const chatId = await acceptedChat(stack.url, pair.alice, pair.bob, 'Hi Bob! It’s Alice.');
    for (const [who, text] of more) await say(stack.url, pair[who], chatId, [text]);
    // Alice first: once her page shows the chat she is in its room and hears Bob come online.
    const a = await open(pair.alice, [pair.alice, pair.bob], LAPTOP);
    await a.openChat('Bob');
    await a.message('Hi Bob!').waitFor();
    const b = await open(pair.bob, [pair.alice, pair.bob], PHONE);
    await b.openChat('Alice');
    await eventually(() => a.ticks('Hi Bob!')).toBe('read'); // Bob has seen what is there
    return { ...pair, chatId, a, b };
  }

  /** Buttons, boxes and links the accessibility tree shows without a name. */
  async function unnamedControls(p: ChatPage): Promise<string[]> {
    const tree = await p.page.locator('body').ariaSnapshot();
    return tree
      .split('\n')
      .filter((line) => /^\s*- (button|textbox|checkbox|link|searchbox)\s*(\[[^\]]*\])?\s*$/.test(line));
  }

  it('Alice picks her local user; Bob signs in with a pasted token, as in production', async () => {
    const [alice, bob] = await Promise.all(
      [
        ['alice', LAPTOP],
        ['bob', PHONE],
      ].map(async ([who, viewport]) => {
        const page = new ChatPage(await openUser(browser, stack.url, who as string, viewport as typeof LAPTOP));
        pages.push(page);
        return page;
      }),
    );
    await alice!.page.goto('/');
    await alice!.shot('sign-in');
    await alice!.page.getByRole('button', { name: /Continue as Alice/ }).click();
    await alice!.nav.getByText(localAlice.userId).waitFor();

    await bob!.page.goto('/');
    await bob!.page.getByLabel('Access token (JWT)').fill('not a token');
    await bob!.page.getByRole('button', { name: 'Sign in' }).click();
    await bob!.page.getByRole('alert').getByText('This is not a JWT').waitFor();
    await bob!.page.getByLabel('Access token (JWT)').fill(localBob.token);
    await bob!.page.getByRole('button', { name: 'Sign in' }).click();
    await bob!.nav.getByText(localBob.userId).waitFor();
    await eventually(() => bob!.nav.getByRole('status').innerText()).toBe('Connected');
    await bob!.nav.getByText('No chats yet.').waitFor();
  });

  it('Alice starts a chat by Bob’s user id and writes; Bob sees a request with an unread badge', async () => {
    const pair = newPair();
    const [a, b] = await openBoth(pair);
    await b.nav.getByText('No chats yet.').waitFor();

    await a.startChat(pair.bob.userId);
    await a.header.getByRole('heading', { name: 'Bob' }).waitFor();
    await a.send('Hi Bob! It’s Alice.');
    await eventually(() => a.ticks('Hi Bob!')).toBe('sent');
    await a.chatItem('Bob').getByText('Request sent').waitFor();

    await eventually(() => b.section('Requests').isVisible()).toBe(true);
    await eventually(() => b.unreadBadge('Alice')).toBe('1');
    await b.chatItem('Alice').getByText('Hi Bob!').waitFor();
    await Promise.all([a.shot('request-sent'), b.shot('request-received')]);
  });

  it('Bob opens the request and accepts it: he reads the message, Alice sees it read', async () => {
    const pair = newPair();
    const chatId = await requestChat(stack.url, pair.alice, pair.bob);
    await say(stack.url, pair.alice, chatId, ['Hi Bob! It’s Alice.']);
    const [a, b] = await openBoth(pair);
    await a.openChat('Bob');
    await eventually(() => b.unreadBadge('Alice')).toBe('1');

    await b.openChat('Alice');
    await b.page.getByText('Accept the request to reply.').waitFor();
    await b.chatAction('Accept').click();
    await b.composer.waitFor();
    await eventually(() => a.ticks('Hi Bob!')).toBe('read');
    await b.page.getByRole('button', { name: 'Back to chats' }).click();
    await eventually(() => b.section('Chats').getByRole('button', { name: /Alice/ }).isVisible()).toBe(true);
    await eventually(() => b.section('Requests').count()).toBe(0);
    await eventually(() => b.unreadBadge('Alice')).toBe('');
  });

  it('they talk: typing shows, a reply quotes, an edit and reactions reach the other side', async () => {
    const { a, b } = await inChat();
    await b.composer.pressSequentially('Pizza tonight', { delay: 30 });
    await eventually(() => a.presence()).toBe('typing…');
    await b.composer.press('Enter');
    await a.message('Pizza tonight').waitFor();
    await eventually(() => a.presence()).not.toBe('typing…');

    // Alice answers with the keyboard only: the actions button, Escape, Tab, Enter. The menu
    // takes the focus once it has rendered (an effect, after the next frame): each key waits
    // for that, or a key meant for the menu lands before the focus moves into it.
    const pizza = a.message('Pizza tonight');
    const toggle = pizza.getByRole('button', { name: 'Message actions' });
    const firstAction = pizza.getByRole('button', { name: 'React with 👍' });
    const reply = pizza.getByRole('button', { name: 'Reply', exact: true });
    await toggle.focus();
    await a.page.keyboard.press('Enter');
    await eventually(() => firstAction.evaluate(isFocused)).toBe(true);
    await a.page.keyboard.press('Escape');
    await eventually(() => toggle.evaluate(isFocused)).toBe(true);
    await a.page.keyboard.press('Enter');
    await eventually(() => firstAction.evaluate(isFocused)).toBe(true);
    for (let i = 0; i < 6; i++) await a.page.keyboard.press('Tab'); // past the six quick reactions
    await eventually(() => reply.evaluate(isFocused)).toBe(true);
    await a.page.keyboard.press('Enter');
    await a.page.getByText('Replying to Bob:').waitFor();
    await a.page.keyboard.type('Yes! At 8 at Luigi’s, with a typo');
    await a.page.keyboard.press('Enter');
    await b.message('with a typo').locator('blockquote').getByText('Pizza tonight').waitFor();

    await a.messageAction('with a typo', 'Edit');
    await a.page.getByText('Editing:').waitFor();
    await a.page.getByLabel('Edit message').fill('Yes! At 8 at Luigi’s.');
    await a.page.getByLabel('Edit message').press('Enter');
    await b.message('At 8 at Luigi’s.').getByText('edited').waitFor();
    expect(await b.message('with a typo').count()).toBe(0);
    await b.message('At 8 at Luigi’s.').locator('blockquote').getByText('Pizza tonight').waitFor();

    await b.messageAction('At 8 at Luigi’s.', 'React with 👍');
    await a.message('At 8 at Luigi’s.').getByRole('button', { name: '👍 1, from Bob' }).click();
    await b.message('At 8 at Luigi’s.').getByRole('button', { name: '👍 2, from you, Alice' }).waitFor();
    await Promise.all([a.shot('conversation'), b.shot('conversation')]);
  });

  it('a message deleted for everyone leaves both screens; one hidden by Bob stays with Alice', async () => {
    const { a, b } = await inChat();
    await a.send('Oops, wrong chat');
    await b.message('Oops, wrong chat').waitFor();
    await a.messageAction('Oops, wrong chat', 'Delete for everyone');
    await eventually(() => b.message('Oops, wrong chat').count()).toBe(0);
    await eventually(() => a.message('Oops, wrong chat').count()).toBe(0);

    await a.send('Bring a jacket');
    await b.message('Bring a jacket').waitFor();
    // Read first, as a person would (a hide racing the page's own mark_as_read once counted it
    // off the unread count twice, fixed on the server with a test of its own).
    await eventually(() => a.ticks('Bring a jacket')).toBe('read');
    await b.messageAction('Bring a jacket', 'Delete for me');
    await eventually(() => b.message('Bring a jacket').count()).toBe(0);
    // Bob writes after the hide: once Alice sees that, a deletion sent to her would have come first.
    await b.send('Will do');
    await a.message('Will do').waitFor();
    expect(await a.message('Bring a jacket').count()).toBe(1);
  });

  it('Alice sends an image; both see it, and Bob opens it full size', async () => {
    const { a, b } = await inChat();
    const png = squarePng(160, [230, 90, 40]);
    await a.page.getByLabel('Attach image').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    const image = b.page.getByRole('button', { name: 'View image sunset.png' });
    await image.waitFor();
    await eventually(() => image.locator('img').evaluate((img: any) => img.complete && img.naturalWidth)).toBe(160);
    const src = (await image.locator('img').getAttribute('src'))!;
    const served = await fetch(new URL(src, stack.url));
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    await eventually(() => a.page.getByRole('img', { name: 'sunset.png' }).count()).toBe(1);

    await image.click();
    const viewer = b.page.getByRole('dialog', { name: 'sunset.png' });
    await viewer.waitFor();
    await Promise.all([a.shot('image-sent'), b.shot('image-viewer')]);
    await b.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'hidden' });
  });

  it('a message that reaches Bob while he looks at his list is delivered, then read when he opens the chat', async () => {
    const { a, b } = await inChat();
    await b.page.getByRole('button', { name: 'Back to chats' }).click();
    await a.send('Are you there?');
    await eventually(() => a.ticks('Are you there?')).toBe('delivered');
    await eventually(() => b.unreadBadge('Alice')).toBe('1');
    await Promise.all([a.shot('delivered'), b.shot('unread-badge')]);
    await b.openChat('Alice');
    await eventually(() => a.ticks('Are you there?')).toBe('read');
    await eventually(() => b.unreadBadge('Alice')).toBe('');
  });

  it('Bob goes offline and comes back: Alice sees it, Bob gets what he missed, his offline message goes out', async () => {
    const { a, b } = await inChat([
      ['bob', 'Pizza tonight'],
      ['alice', 'At 8 at Luigi’s.'],
    ]);
    await b.message('At 8 at Luigi’s.').waitFor();
    await eventually(() => a.presence()).toBe('online');
    await b.user.context.setOffline(true);
    try {
      await eventually(() => a.presence()).toBe('offline');
      await b.page.getByText('You are offline.').waitFor();
      await a.send('You missed this one');
      await a.editAtOnce('At 8 at Luigi’s.', 'At 9 at Luigi’s, sorry!');
      await a.messageAction('Pizza tonight', 'React with ❤️');
      await b.send('Written on the train');
      await b.message('Written on the train').locator('[data-state="pending"]').waitFor();
      await Promise.all([a.shot('bob-offline'), b.shot('offline')]);
    } finally {
      await b.user.context.setOffline(false);
    }

    await eventually(() => a.presence(), 20_000).toBe('online');
    await b.message('You missed this one').waitFor({ timeout: 20_000 });
    await b.message('At 9 at Luigi’s, sorry!').getByText('edited').waitFor();
    await b.message('Pizza tonight').getByRole('button', { name: '❤️ 1, from Alice' }).waitFor();
    await a.message('Written on the train').waitFor();
    await eventually(() => b.ticks('Written on the train')).toBe('read');
    await eventually(() => a.ticks('You missed this one')).toBe('read');
    const texts = await b.messageTexts();
    expect(texts.filter((t) => t === 'Written on the train')).toHaveLength(1);
    expect(texts.filter((t) => t === 'You missed this one')).toHaveLength(1);
    await Promise.all([a.shot('bob-back'), b.shot('caught-up')]);
  }, 60_000);

  it('Alice searches the chat and jumps to the message found', async () => {
    const { a } = await inChat([
      ['bob', 'Pizza tonight'],
      ['alice', 'At 8 at Luigi’s.'],
    ]);
    await a.message('At 8 at Luigi’s.').waitFor();
    await a.chatAction('Search').click();
    await a.page.getByLabel('Search this chat').fill('PIZZA');
    await a.page.getByLabel('Search this chat').press('Enter');
    await a.page.getByText('1 message match “PIZZA”.').waitFor();
    await a.page
      .getByRole('list', { name: 'Search results' })
      .getByRole('button', { name: /Pizza tonight/ })
      .click();
    await eventually(() => a.message('Pizza tonight').evaluate(isFocused)).toBe(true);
    await a.shot('search');
    await a.page.getByRole('button', { name: 'Close search' }).click();
    await a.page.getByLabel('Search this chat').waitFor({ state: 'hidden' });
  });

  it('Bob scrolls back through history: older messages load above, in order', async () => {
    const pair = newPair();
    const chatId = await acceptedChat(stack.url, pair.alice, pair.bob, 'Hi Bob! It’s Alice.');
    // 40 more, so the chat no longer fits in one page.
    const news = Array.from({ length: 40 }, (_, i) => `Old news ${i + 1}`);
    await say(stack.url, pair.alice, chatId, news);
    const [, b] = await openBoth(pair);

    await b.openChat('Alice'); // a fresh start: only the newest page is loaded
    await b.message('Old news 40').waitFor();
    expect(await b.message('Hi Bob!').count()).toBe(0);
    await b.page.getByRole('button', { name: 'Load older messages' }).waitFor();
    // Each scroll to the top asks for the page above, once the one before has arrived.
    await eventually(async () => {
      await b.scrollToTop();
      return b.page.getByText('This is the start of the chat.').count();
    }).toBe(1);
    const texts = await b.messageTexts();
    expect(texts[0]).toBe('Hi Bob! It’s Alice.');
    const old = texts.filter((t) => t.startsWith('Old news ')).map((t) => Number(t.slice(9)));
    expect(old).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(texts).size).toBe(texts.length);
    await b.shot('history');
  }, 60_000);

  it('Bob blocks: nobody can write; he unblocks and they talk again', async () => {
    const { a, b } = await inChat();
    await b.chatAction('Block').click();
    await b.page.getByText('You blocked this chat. Unblock it to write.').waitFor();
    await a.page.getByText('This chat is blocked.').waitFor({ timeout: 20_000 });
    await Promise.all([a.shot('blocked'), b.shot('blocked')]);
    await b.chatAction('Unblock').click();
    await b.composer.waitFor();
    await a.composer.waitFor({ timeout: 20_000 });
    await a.send('Friends again?');
    await b.message('Friends again?').waitFor();
  }, 60_000);

  it('Alice archives the chat and brings it back', async () => {
    const { a } = await inChat();
    await a.chatAction('Archive').click();
    await a.chatItem('Bob', a.section('Archived')).waitFor();
    expect(await a.chatItem('Bob', a.section('Chats')).count()).toBe(0);
    await a.shot('archived');
    await a.chatAction('Unarchive').click();
    await a.chatItem('Bob', a.section('Chats')).waitFor();
    expect(await a.section('Archived').count()).toBe(0);
  });

  it('Alice rejects a request from a stranger', async () => {
    const alice = newPerson('Alice');
    const carol = newPerson('Carol'); // no one the page knows: shown by the end of her id
    const a = await open(alice, [alice]);
    const chatId = await requestChat(stack.url, carol, alice);
    await say(stack.url, carol, chatId, ['Buy cheap watches!']);

    const request = a.chatItem(carol.userId.slice(-6), a.section('Requests'));
    await request.waitFor();
    await request.click();
    await a.message('Buy cheap watches!').waitFor();
    await a.chatAction('Reject').click();
    await a.chatItem(carol.userId.slice(-6), a.section('Blocked and rejected')).getByText('Rejected').waitFor();
    expect(await a.section('Requests').count()).toBe(0);
    await a.shot('rejected');
  });

  it('Bob deletes the chat; Alice’s next message brings it back with only the new message', async () => {
    const { a, b } = await inChat();
    await b.chatAction('Delete chat').click();
    await b.page.getByText('No chats yet.').waitFor();
    await a.send('Did you delete our chat?');
    await eventually(() => b.unreadBadge('Alice')).toBe('1');
    await b.openChat('Alice');
    await b.message('Did you delete our chat?').waitFor();
    expect(await b.messageTexts()).toEqual(['Did you delete our chat?']);
    expect(await a.message('Hi Bob!').count()).toBe(1);
    await Promise.all([a.shot('after-delete'), b.shot('after-delete')]);
  });

  it('every control has an accessible name: sign-in, a request, an open chat with its menus', async () => {
    const pair = newPair();
    const chatId = await requestChat(stack.url, pair.alice, pair.bob);
    await say(stack.url, pair.alice, chatId, ['Hi Bob! It’s Alice.']);
    const signInPage = new ChatPage(await openUser(browser, stack.url, 'nobody'));
    pages.push(signInPage);
    await signInPage.page.goto('/');
    await signInPage.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await unnamedControls(signInPage)).toEqual([]);

    const [a, b] = await openBoth(pair);
    await b.chatItem('Alice', b.section('Requests')).waitFor();
    expect(await unnamedControls(b)).toEqual([]);
    await b.openChat('Alice');
    await b.page.getByText('Accept the request to reply.').waitFor();
    expect(await unnamedControls(b)).toEqual([]);

    await a.openChat('Bob');
    await a.message('Hi Bob!').hover();
    await a.message('Hi Bob!').getByRole('button', { name: 'Message actions' }).click();
    await a.message('Hi Bob!').getByRole('button', { name: 'Delete for everyone' }).waitFor();
    expect(await unnamedControls(a)).toEqual([]);
    await a.page.keyboard.press('Escape');
    await a.chatAction('Search').click();
    await a.page.getByLabel('Search this chat').waitFor();
    expect(await unnamedControls(a)).toEqual([]);
  });
});
