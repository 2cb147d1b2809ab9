import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { api, connectSocket, emitAck, newUserId, tokenFor } from '@chat/testkit';
import { launchBrowser, openUser } from './support/browser.js';
import { ChatPage, eventually, isFocused } from './support/chat-page.js';
import { squarePng } from './support/png.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * Two people in two browser contexts of Debian's Chromium, headless, against the real stack
 * (every service a process, two gateway nodes, the edge serving the page): Alice on a laptop,
 * Bob on a phone-sized screen. Each step is something a person does; screenshots of both
 * screens go to test-artifacts/web/. The steps build on each other and run in order.
 */
describe('the web client: two people chat through the edge in real browsers', () => {
  const alice = newUserId();
  const bob = newUserId();
  const carol = newUserId();
  let stack: Stack;
  let browser: Browser;
  let a: ChatPage;
  let b: ChatPage;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Alice and Bob are the local users `npm start` would offer; Carol is no one the page knows.
    const devUsers = [
      { name: 'Alice', userId: alice, token: tokenFor(alice) },
      { name: 'Bob', userId: bob, token: tokenFor(bob) },
    ];
    [stack, browser] = await Promise.all([startStack({ devUsers }), launchBrowser()]);
    a = new ChatPage(await openUser(browser, stack.url, 'alice', { width: 1100, height: 760 }));
    b = new ChatPage(await openUser(browser, stack.url, 'bob', { width: 390, height: 780 }));
  }, 120_000);

  // A failed step leaves both screens behind, to see what the users saw.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await Promise.all([a?.shot('FAILED'), b?.shot('FAILED')]).catch(() => undefined);
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await browser?.close();
    await stack?.stop();
  });

  it('Alice picks her local user; Bob signs in with a pasted token, as in production', async () => {
    await a.page.goto('/');
    await a.shot('sign-in');
    await a.page.getByRole('button', { name: /Continue as Alice/ }).click();
    await a.nav.getByText(alice).waitFor();

    await b.page.goto('/');
    await b.page.getByLabel('Access token (JWT)').fill('not a token');
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    await b.page.getByRole('alert').getByText('This is not a JWT').waitFor();
    await b.page.getByLabel('Access token (JWT)').fill(tokenFor(bob));
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    await b.nav.getByText(bob).waitFor();
    await eventually(() => b.nav.getByRole('status').innerText()).toBe('Connected');
    await b.nav.getByText('No chats yet.').waitFor();
  });

  it('Alice starts a chat by Bob’s user id and writes; Bob sees a request with an unread badge', async () => {
    await a.startChat(bob);
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
    await b.openChat('Alice');
    await b.page.getByText('Accept the request to reply.').waitFor();
    await b.chatAction('Accept').click();
    await b.composer.waitFor();
    await eventually(() => a.ticks('Hi Bob!')).toBe('read');
    await b.page.getByRole('button', { name: 'Back to chats' }).click();
    await eventually(() => b.section('Chats').getByRole('button', { name: /Alice/ }).isVisible()).toBe(true);
    await eventually(() => b.section('Requests').count()).toBe(0);
    await eventually(() => b.unreadBadge('Alice')).toBe('');
    await b.openChat('Alice');
  });

  it('they talk: typing shows, a reply quotes, an edit and reactions reach the other side', async () => {
    await b.composer.pressSequentially('Pizza tonight', { delay: 30 });
    await eventually(() => a.presence()).toBe('typing…');
    await b.composer.press('Enter');
    await a.message('Pizza tonight').waitFor();
    await eventually(() => a.presence()).not.toBe('typing…');

    // Alice answers with the keyboard only: the actions button, Escape, Tab, Enter.
    const toggle = a.message('Pizza tonight').getByRole('button', { name: 'Message actions' });
    await toggle.focus();
    await a.page.keyboard.press('Enter');
    await a.message('Pizza tonight').getByRole('button', { name: 'React with 👍' }).waitFor();
    await a.page.keyboard.press('Escape');
    await eventually(() => toggle.evaluate(isFocused)).toBe(true);
    await a.page.keyboard.press('Enter');
    await a.message('Pizza tonight').getByRole('button', { name: 'Reply', exact: true }).focus();
    await a.page.keyboard.press('Enter');
    await a.page.getByText('Replying to Bob:').waitFor();
    await a.page.keyboard.type('Yes! At 8 at Luigi’s, with a typo');
    await a.page.keyboard.press('Enter');
    const reply = b.message('with a typo');
    await reply.locator('blockquote').getByText('Pizza tonight').waitFor();

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
    await a.send('Oops, wrong chat');
    await b.message('Oops, wrong chat').waitFor();
    await a.messageAction('Oops, wrong chat', 'Delete for everyone');
    await eventually(() => b.message('Oops, wrong chat').count()).toBe(0);
    await eventually(() => a.message('Oops, wrong chat').count()).toBe(0);

    await a.send('Bring a jacket');
    await b.message('Bring a jacket').waitFor();
    // Read first, as a person would (a hide racing the page's own mark_as_read was counted off
    // the unread count twice, fixed on the server in ec96d9e with a test of its own).
    await eventually(() => a.ticks('Bring a jacket')).toBe('read');
    await b.messageAction('Bring a jacket', 'Delete for me');
    await eventually(() => b.message('Bring a jacket').count()).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await a.message('Bring a jacket').count()).toBe(1);
  });

  it('Alice sends an image; both see it, and Bob opens it full size', async () => {
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
    await eventually(() => a.presence()).not.toBe('offline');
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
      await b.user.context.setOffline(false); // a failed step must not leave the later ones offline
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
  });

  it('Bob scrolls back through history: older messages load above, in order', async () => {
    // Alice's phone, a second device: 40 messages, so the chat no longer fits in one page.
    const phone = await connectSocket(stack.url, tokenFor(alice));
    sockets.push(phone);
    const chatId = new URL(a.page.url()).hash.replace('#chat=', '');
    for (let i = 1; i <= 40; i++) {
      const ack = await emitAck(phone, 'send_message', {
        chatId,
        content: `Old news ${i}`,
        clientMessageId: `phone-${i}`,
      });
      expect(ack).toMatchObject({ ok: true });
      await new Promise((r) => setTimeout(r, 40)); // under the per-user event budget
    }
    await a.message('Old news 40').waitFor();

    await b.page.reload(); // a fresh start: only the newest page is loaded
    await b.message('Old news 40').waitFor();
    expect(await b.message('Hi Bob!').count()).toBe(0);
    await b.page.getByRole('button', { name: 'Load older messages' }).waitFor();
    for (let i = 0; i < 5 && (await b.page.getByText('This is the start of the chat.').count()) === 0; i++) {
      await b.scrollToTop();
      await new Promise((r) => setTimeout(r, 400));
    }
    await b.page.getByText('This is the start of the chat.').waitFor();
    const texts = await b.messageTexts();
    expect(texts[0]).toBe('Hi Bob! It’s Alice.');
    const old = texts.filter((t) => t.startsWith('Old news ')).map((t) => Number(t.slice(9)));
    expect(old).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(texts).size).toBe(texts.length);
    await b.shot('history');
  }, 60_000);

  it('Bob blocks: nobody can write; he unblocks and they talk again', async () => {
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
    await a.chatAction('Archive').click();
    await a.chatItem('Bob', a.section('Archived')).waitFor();
    expect(await a.chatItem('Bob', a.section('Chats')).count()).toBe(0);
    await a.shot('archived');
    await a.chatAction('Unarchive').click();
    await a.chatItem('Bob', a.section('Chats')).waitFor();
    expect(await a.section('Archived').count()).toBe(0);
  });

  it('Alice rejects a request from a stranger', async () => {
    const carolApi = api(stack.url, tokenFor(carol));
    const created = await carolApi.post('/api/chats/or-create', { recipientId: alice });
    expect(created.status).toBe(201);
    const carolSocket = await connectSocket(stack.url, tokenFor(carol));
    sockets.push(carolSocket);
    await emitAck(carolSocket, 'send_message', {
      chatId: created.body.data._id,
      content: 'Buy cheap watches!',
      clientMessageId: 'spam-1',
    });

    const request = a.chatItem(carol.slice(-6), a.section('Requests'));
    await request.waitFor();
    await request.click();
    await a.message('Buy cheap watches!').waitFor();
    await a.chatAction('Reject').click();
    await a.chatItem(carol.slice(-6), a.section('Blocked and rejected')).getByText('Rejected').waitFor();
    expect(await a.section('Requests').count()).toBe(0);
    await a.shot('rejected');
    await a.openChat('Bob');
  });

  it('Bob deletes the chat; Alice’s next message brings it back with only the new message', async () => {
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

  it('every control has an accessible name, and no script error happened on either page', async () => {
    for (const p of [a, b]) {
      const tree = await p.page.locator('body').ariaSnapshot();
      const unnamed = tree
        .split('\n')
        .filter((line) => /^\s*- (button|textbox|checkbox|link|searchbox)\s*(\[[^\]]*\])?\s*$/.test(line));
      expect(unnamed).toEqual([]);
      expect(p.user.errors).toEqual([]);
    }
  });
});
