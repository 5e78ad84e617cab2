// Vitest wiring for the panel tests: one browser and loopback server per file, a fresh page
// per test. The server and browser themselves live in panelServer.ts (the bench uses them).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { launchBrowser, send, servePanel, type PanelServer } from './panelServer';

export { framesDrawn, posted, send } from './panelServer';

export const SHOTS = resolve(__dirname, '../../test-results/panel');
export const view = (p: Page) => p.locator('#app');

/** One browser and server per test file, a fresh page per test (`panel.page`). */
export function usePanelPage(): { readonly page: Page; readonly server: PanelServer } {
  let server: PanelServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await servePanel();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await page?.close();
    page = await browser!.newPage({ viewport: { width: 420, height: 800 } });
    page.on('pageerror', (error) => console.error(`panel error: ${error.message}`));
    await page.goto(server!.url);
    await page.waitForFunction(
      () => (window as unknown as { __posted: unknown[] }).__posted.length > 0,
    );
  });
  return {
    get page() {
      return page!;
    },
    get server() {
      return server!;
    },
  };
}

/** Clicks an agent's row in the squad and plays the host's answer: its transcript page. */
export async function openTranscript(
  p: Page,
  name: string,
  agentId: string,
  events: AgentEventEnvelope[],
): Promise<void> {
  await view(p).locator('li.agent', { hasText: name }).click();
  await send(p, { type: 'transcript', agentId, reset: true, more: false, events });
}
