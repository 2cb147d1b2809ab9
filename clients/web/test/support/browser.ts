import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or CHROMIUM_BIN. */
// eslint-disable-next-line no-restricted-properties -- a test's own setting, not a service's configuration
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
/** Screenshots land here (gitignored); CI keeps the folder as the run's artifacts. */
export const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/web/', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_BIN`);
  mkdirSync(ARTIFACTS, { recursive: true });
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export interface UserPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page's scripts. */
  errors: string[];
  /** Saves a screenshot as test-artifacts/web/<nn>-<who>-<name>.png. */
  shot(name: string): Promise<void>;
}

let shots = 0;

/** A browser context of its own (cookies, storage) per user, as two people on two machines. */
export async function openUser(
  browser: Browser,
  baseURL: string,
  who: string,
  viewport = { width: 1100, height: 760 },
): Promise<UserPage> {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // The page asks before deleting or blocking: the user says yes.
  page.on('dialog', (dialog) => void dialog.accept());
  return {
    context,
    page,
    errors,
    shot: async (name) => {
      const n = String(++shots).padStart(2, '0');
      await page.screenshot({ path: `${ARTIFACTS}${n}-${who}-${name}.png`, fullPage: false });
    },
  };
}
