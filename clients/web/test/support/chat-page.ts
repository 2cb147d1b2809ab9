import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { UserPage } from './browser.js';

/** For `locator.evaluate`: whether the element has the keyboard focus (runs in the page). */
export const isFocused = (el: any): boolean => el.ownerDocument.activeElement === el;

/** Waits until `read()` gives `expected` (the page is live: things arrive when they arrive). */
export const eventually = <T>(read: () => Promise<T> | T, timeout = 15_000) =>
  expect.poll(read, { timeout, interval: 100 });

/**
 * One user's page, driven the way a person would: by labels, roles and visible text. Class
 * names appear only where the page has nothing a person would name (a message's bubble).
 */
export class ChatPage {
  readonly page: Page;

  constructor(readonly user: UserPage) {
    this.page = user.page;
  }

  shot(name: string) {
    return this.user.shot(name);
  }

  // ---- sidebar
  get nav(): Locator {
    return this.page.getByRole('navigation', { name: 'Chats' });
  }
  section(title: string): Locator {
    return this.nav.getByRole('region', { name: new RegExp(`^${title}`) });
  }
  chatItem(name: string, where: Locator = this.nav): Locator {
    return where.getByRole('button', { name: new RegExp(name) });
  }
  async startChat(userId: string) {
    await this.page.getByLabel('Start a chat with user id').fill(userId);
    await this.page.getByRole('button', { name: 'Start chat' }).click();
  }
  async openChat(name: string, where?: Locator) {
    await this.chatItem(name, where).click();
    await this.page.getByRole('region', { name: 'Open chat' }).waitFor();
  }
  /** The unread badge of a chat in the lists ('' when there is none). */
  async unreadBadge(name: string): Promise<string> {
    const badge = this.chatItem(name).locator('.badge');
    return (await badge.count()) === 0 ? '' : ((await badge.textContent()) ?? '');
  }

  // ---- the open chat
  get header(): Locator {
    return this.page.getByRole('region', { name: 'Open chat' }).locator('header.chat-header');
  }
  presence(): Promise<string> {
    return this.header.getByTestId('presence').innerText();
  }
  chatAction(name: string): Locator {
    return this.page.getByRole('group', { name: 'Chat actions' }).getByRole('button', { name, exact: true });
  }
  get composer(): Locator {
    return this.page.getByLabel('Message', { exact: true });
  }
  async send(text: string) {
    await this.composer.fill(text);
    await this.composer.press('Enter');
  }
  /** The message whose own text holds `text` (not one that only quotes it in a reply). */
  message(text: string | RegExp): Locator {
    return this.page.locator('.messages li.msg').filter({ has: this.page.locator('p.text', { hasText: text }) });
  }
  /** The state of my message's ticks: pending, sent, delivered or read. */
  ticks(text: string): Promise<string | null> {
    return this.message(text).locator('.ticks').getAttribute('data-state');
  }
  /** Opens a message's actions menu and picks `action` (a button's name). */
  async messageAction(text: string, action: string) {
    await (await this.openActions(text, action)).click();
  }
  /** Opens a message's actions menu; answers the button of `action` in it. */
  private async openActions(text: string, action: string): Promise<Locator> {
    const msg = this.message(text);
    await msg.hover();
    await msg.getByRole('button', { name: 'Message actions' }).click();
    return msg.getByRole('button', { name: action, exact: true });
  }
  /**
   * Picks "Edit" on a message and types `content` in the same task, before the browser paints
   * (a paste, a fast typist): what was typed must be what is saved.
   */
  async editAtOnce(text: string, content: string) {
    const edit = await (await this.openActions(text, 'Edit')).elementHandle();
    // Runs in the page (the tests are type-checked without the DOM library, hence `any`).
    await this.page.evaluate(
      async ([button, value]: [any, string]) => {
        const page: any = globalThis;
        button.click();
        for (let i = 0; i < 5; i++) await Promise.resolve(); // the render, not a frame
        const area = page.document.getElementById('composer-text');
        area.value = value;
        area.dispatchEvent(new page.Event('input', { bubbles: true }));
        await new Promise((r) => page.requestAnimationFrame(() => page.requestAnimationFrame(r)));
      },
      [edit, content] as [any, string],
    );
    await this.page.getByLabel('Edit message').press('Enter');
  }
  /** Texts of the messages on screen, oldest first. */
  messageTexts(): Promise<string[]> {
    return this.page.locator('.messages li.msg:not(.pending) .text').allInnerTexts();
  }
  /** Scrolls the conversation to its top, where older messages load. */
  async scrollToTop() {
    await this.page.getByRole('list', { name: 'Messages' }).evaluate((el: any) => {
      el.scrollTop = 0;
    });
  }
}
