// The first run as a new user: the .vsix in a code-server started from an empty folder, with a
// fresh HOME and nothing on PATH but Node and the system. With no credentials the welcome card
// shows and the offline demo plays the whole flow; with credentials but no Claude Code the
// card offers the install, which really downloads Claude Code from the npm registry, and Jake
// then answers. Screenshots land in test-results/e2e/first-run-*.png (the README uses them).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchCodeServer } from '../codeServer.mjs';
import { check, log, openWorkbench, own, shots, startFakeApi, step, tavernView } from './lib.mjs';

/** A new user's project: a small git repository in an empty folder, and an empty HOME. */
function newUser(prefix) {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const workspace = join(base, 'project');
  const home = join(base, 'home');
  for (const d of [workspace, home]) mkdirSync(d, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# The Spillway\n\nA tavern by the river.\n');
  const git = (...args) => execFileSync('git', args, { cwd: workspace, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=a@b.c', '-c', 'user.name=New User', 'add', '.');
  git('-c', 'user.email=a@b.c', '-c', 'user.name=New User', 'commit', '-qm', 'start');
  return { base, workspace, home };
}

async function openTavern(page, url) {
  await openWorkbench(page, url);
  await page.click('.activitybar [aria-label^="Tavern"]', { timeout: 60_000 });
  const view = tavernView(page);
  await view.locator('li.agent', { hasText: 'The Proprietor' }).waitFor({ timeout: 90_000 });
  return view;
}

/** The Tavern side bar alone (the README shows these), plus the whole window beside it. */
async function sidebarShot(page, name) {
  await page.locator('.part.sidebar').screenshot({ path: join(shots, `${name}.png`) });
  await page.screenshot({ path: join(shots, `${name}-window.png`) });
}

/** The status bar's Tavern item says how many agents are working (from their states). */
async function statusSays(page, text) {
  await page
    .locator(`.statusbar-item[aria-label*="${text}"]`)
    .first()
    .waitFor({ state: 'attached', timeout: 30_000 });
}

export async function demoFlow(browser, vsix) {
  step('first run: a new user with no credentials');
  const { base, workspace, home } = newUser('tavern-e2e-demo-');
  const cs = await launchCodeServer({
    vsix,
    workspace,
    base,
    asUser: { home },
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  own(cs.stop);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    step('the welcome card');
    const view = await openTavern(page, cs.url);
    const card = view.locator('.welcome');
    await card.getByRole('button', { name: /offline demo/ }).waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: /Install Claude Code/ }).waitFor();
    check('with no Claude Code and no credentials, Jake shows a welcome card, not a failure');
    await sidebarShot(page, 'first-run-1-welcome');

    step('the offline demo');
    await card.getByRole('button', { name: /offline demo/ }).click();
    await view.locator('.demo-banner').waitFor({ timeout: 30_000 });
    const input = view.locator('textarea.input');
    await input.click();
    await input.fill('Get the tavern ready for tonight, please.');
    await input.press('Enter');
    await view
      .locator('.transcript .block.text', { hasText: 'OFFLINE DEMO' })
      .waitFor({ timeout: 60_000 });
    await view.locator('li.agent:not(:first-child)').nth(1).waitFor({ timeout: 60_000 });
    check(
      '"Try the offline demo" switched Jake at once (no reload); he answered and summoned two agents',
    );
    await sidebarShot(page, 'first-run-2-demo');

    step('an approval in the demo');
    const asking = view.locator('li.agent', { has: view.locator('.badge.needs-approval') });
    await asking.waitFor({ timeout: 60_000 });
    await asking.click();
    const approval = view.locator('.approvals .approval', { hasText: 'Write' });
    await approval.locator('.approval-origin', { hasText: 'local worker' }).waitFor();
    await approval.getByText('menu.md').first().waitFor();
    await sidebarShot(page, 'first-run-3-approval');
    await approval.getByRole('button', { name: 'Allow Write once' }).click();
    await view.locator('li.agent.state-done').nth(1).waitFor({ timeout: 60_000 });
    check('the demo agents streamed, one asked for an approval (naming its worker), both finished');

    step('Jake relays the reports');
    await view.locator('li.agent', { hasText: 'The Proprietor' }).click();
    await view
      .locator('.transcript .block.text', { hasText: 'NEWS from the Slop Squad' })
      .first()
      .waitFor({ timeout: 60_000 });
    // The reports may come one at a time: then he relays each, in his own block.
    const relayed = async () =>
      (await view.locator('.transcript .block.text', { hasText: 'NEWS' }).allInnerTexts()).join(
        '\n',
      );
    const both = (text) => /Tallied the cellar/.test(text) && /Wrote the menu board/.test(text);
    const until = Date.now() + 60_000;
    while (!both(await relayed())) {
      if (Date.now() > until)
        throw new Error(`Jake did not relay both reports: ${await relayed()}`);
      // Each look waits for the panel's next two frames (it draws per frame).
      await view
        .locator('.transcript')
        .evaluate(
          () =>
            new Promise((r) =>
              globalThis.requestAnimationFrame(() => globalThis.requestAnimationFrame(r)),
            ),
        );
    }

    check('both reports reached Jake, who relayed them');
    await view.locator('.block.tool .tool-status', { hasText: 'done' }).first().waitFor();
    check('his summon_agent tool rows show their status');
    await statusSays(page, '0 agents working');
    check('the status bar counts agents from their states (0 working once both are done)');
    await sidebarShot(page, 'first-run-4-reports');

    step('collapsible sections');
    await view.locator('details.squad > summary').click();
    const heights = await view.locator('#app').evaluate((app) => ({
      app: app.getBoundingClientRect().height,
      conversation: app.querySelector('section.conversation').getBoundingClientRect().height,
    }));
    if (heights.conversation < heights.app / 2)
      throw new Error(`the conversation has ${heights.conversation} of ${heights.app} px`);
    await view.locator('details.squad > summary').click();
    check('the squad section collapses, and the conversation keeps at least half the panel');
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failed.png') }).catch(() => undefined);
    console.error(`e2e: logs of this run are under ${base}`);
    throw error;
  } finally {
    await page.close();
    cs.stop();
  }
  rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

export async function installFlow(browser, vsix) {
  step('first run: credentials, but no Claude Code');
  const { base, workspace, home } = newUser('tavern-e2e-install-');
  const apiUrl = await startFakeApi(base, workspace);
  log(`fake Anthropic API on ${apiUrl}`);
  const cs = await launchCodeServer({
    vsix,
    workspace,
    base,
    asUser: { home },
    // What a user with an API key has in their environment (pointed at the fake API).
    env: {
      ANTHROPIC_BASE_URL: apiUrl,
      ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-tests',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      ENABLE_TOOL_SEARCH: 'false',
      IS_SANDBOX: '1',
    },
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  own(cs.stop);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    step('the card offers the install');
    const view = await openTavern(page, cs.url);
    const install = view.locator('.welcome').getByRole('button', { name: /Install Claude Code/ });
    await install.waitFor({ timeout: 60_000 });
    check('Claude Code is not on this machine: the welcome card offers the install');
    await sidebarShot(page, 'first-run-5-install-offered');

    step('the install, for real, from the npm registry');
    const started = Date.now();
    await install.click();
    await page
      .locator('.notification-toast', { hasText: 'Claude Code' })
      .first()
      .waitFor({ timeout: 30_000 });
    await view.locator('.welcome').waitFor({ state: 'detached', timeout: 300_000 });
    const storage = join(
      cs.dirs.user,
      'User',
      'globalStorage',
      'tavern-spillway.tavern',
      'claude-code',
    );
    const versions = existsSync(storage) ? readdirSync(storage) : [];
    if (!versions.some((v) => existsSync(join(storage, v, 'claude'))))
      throw new Error(`no Claude Code under ${storage} (${versions.join(', ') || 'empty'})`);
    check(
      `the install downloaded Claude Code ${versions.join(', ')} into the extension's storage (${Math.round((Date.now() - started) / 1000)} s) and Jake is ready`,
    );

    step('Jake answers');
    const input = view.locator('textarea.input');
    await input.click();
    await input.fill('Have someone write notes.md for me, please.');
    await input.press('Enter');
    await view
      .locator('.transcript .block.text', { hasText: 'STEP RIGHT UP' })
      .waitFor({ timeout: 90_000 });
    check('Jake answered on the installed Claude Code');
    const agentRow = view.locator('li.agent:not(:first-child)').first();
    await view.locator('li.agent .badge.needs-approval').waitFor({ timeout: 90_000 });
    await agentRow.click();
    await view
      .locator('.approvals .approval', { hasText: 'Write' })
      .getByRole('button', { name: 'Allow Write once' })
      .click({ timeout: 30_000 });
    await view.locator('.transcript .block.report', { hasText: 'wrote notes.md' }).waitFor({
      timeout: 90_000,
    });
    check('the local worker runs the installed Claude Code too: its agent wrote notes.md');
    await sidebarShot(page, 'first-run-6-installed');
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failed.png') }).catch(() => undefined);
    console.error(`e2e: logs of this run are under ${base}`);
    throw error;
  } finally {
    await page.close();
    cs.stop();
  }
  rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}
