// The main flow in a real VS Code (code-server), as the project's developers run it: Jake on
// the real Claude Agent SDK against the fake API summons a scribe that writes a file after an
// approval in the panel, a second worker attached by URL (a wrong token first), an agent there,
// a window reload that brings everything back, and the high contrast theme.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchCodeServer } from '../codeServer.mjs';
import {
  activationMs,
  check,
  log,
  openWorkbench,
  own,
  pickRow,
  root,
  runCommand,
  showTavernView,
  shots,
  startFakeApi,
  startWorkerProcess,
  step,
  tavernView,
} from './lib.mjs';

// The attach input box, recognised by its placeholder so text never goes to another box.
const ATTACH_INPUT = '.quick-input-box input[placeholder*="#token="]';

export async function mainFlow(browser, vsix) {
  const base = mkdtempSync(join(tmpdir(), 'tavern-e2e-main-'));
  const workspace = join(base, 'workspace');
  const remoteDir = join(base, 'remote');
  const home = join(base, 'home');
  for (const d of [workspace, remoteDir, home]) mkdirSync(d, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Demo workspace\n');

  step('fake Anthropic API');
  const apiUrl = await startFakeApi(base, workspace);
  log(`fake Anthropic API on ${apiUrl}`);
  // The real Claude Code CLI, from the Agent SDK's platform package (never bundled in the .vsix).
  const claudePath = join(
    root,
    'node_modules',
    '@anthropic-ai',
    `claude-agent-sdk-${process.platform}-${process.arch}`,
    'claude',
  );

  step('code-server');
  log('installing the .vsix into a fresh code-server');
  const cs = await launchCodeServer({
    vsix,
    workspace,
    base,
    env: {
      TAVERN_CLAUDE_PREWARM: '0',
      TAVERN_CLAUDE_LOAD_SETTINGS: '0',
      ANTHROPIC_BASE_URL: apiUrl,
      ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-tests',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      ENABLE_TOOL_SEARCH: 'false',
      IS_SANDBOX: '1',
    },
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      'tavern.claudePath': claudePath,
      'tavern.jake.engine': 'claude',
    },
  });
  own(cs.stop);
  log(`code-server up on ${cs.port}`);

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    step('workbench');
    await openWorkbench(page, cs.url);
    log('workbench loaded');
    await page.click('.activitybar [aria-label^="Tavern"]', { timeout: 60_000 });
    const view = tavernView(page);
    await view
      .locator('li.worker.status-connected .name', { hasText: 'local' })
      .waitFor({ timeout: 90_000 });
    await view.locator('li.agent', { hasText: 'The Proprietor' }).waitFor({ timeout: 30_000 });
    check('the Tavern view shows Jake and the local worker connected');
    await page.screenshot({ path: join(shots, '1-panel.png') });
    log(
      `activation: ${activationMs(cs.dirs.user) ?? '(not found in the logs)'} ms (from the extension's own log line)`,
    );

    // Chat with Jake (the real Claude Agent SDK + Claude Code against the fake API).
    step('chat with Jake');
    const input = view.locator('textarea.input');
    await input.click();
    await input.fill('Have someone write notes.md for me, please.');
    await input.press('Enter');
    await view
      .locator('.transcript .block.text', { hasText: 'STEP RIGHT UP' })
      .waitFor({ timeout: 90_000 });
    check('Jake answered in his own voice, streamed into the panel');

    step('Jake summons an agent');
    const agentRow = view.locator('li.agent:not(:first-child)').first();
    await agentRow.waitFor({ timeout: 60_000 });
    await view.locator('li.agent .badge.needs-approval').waitFor({ timeout: 90_000 });
    check('Jake summoned an agent on the local worker; it asks for an approval (badge)');
    await page.screenshot({ path: join(shots, '2-agent-needs-approval.png') });

    step('approve from the panel');
    await agentRow.click();
    const card = view.locator('.approvals .approval', { hasText: 'Write' });
    await card.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, '3-approval-card.png') });
    await card.getByRole('button', { name: 'Allow Write once' }).click();
    await view.locator('.transcript .block.report', { hasText: 'wrote notes.md' }).waitFor({
      timeout: 90_000,
    });
    // It worked on a worktree of its own: the user's folder is untouched until they apply.
    const notes = join(workspace, 'notes.md');
    if (existsSync(notes))
      throw new Error("notes.md appeared in the user's folder before an apply");
    check(
      'the approval was answered in the panel; the agent wrote notes.md in its own worktree and reported done',
    );
    await page.screenshot({ path: join(shots, '4-agent-done.png') });

    step("review the agent's changes");
    const changes = view.locator('details.changes');
    await changes.locator('summary').click();
    await changes.locator('button.change-path', { hasText: 'notes.md' }).click({ timeout: 60_000 });
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    await page.locator('.tab', { hasText: 'notes.md' }).first().waitFor({ timeout: 30_000 });
    check("the agent's change shows in VS Code's diff editor");
    await page.screenshot({ path: join(shots, '4b-diff-editor.png') });

    step('apply the changes');
    await changes.getByRole('button', { name: /Apply all of/ }).click();
    await page
      .locator('.notification-toast', { hasText: 'applied' })
      .first()
      .waitFor({ timeout: 60_000 });
    if (!existsSync(notes) || !readFileSync(notes, 'utf8').includes('kegs are counted'))
      throw new Error('Apply did not write notes.md into the workspace');
    check('Apply wrote the change into the workspace (a 3-way merge with a backup for undo)');
    await page.screenshot({ path: join(shots, '4c-applied.png') });

    step('Jake hears the report');
    await view.locator('li.agent', { hasText: 'The Proprietor' }).click();
    await view
      .locator('.transcript .block.text', { hasText: 'The scribe is DONE' })
      .waitFor({ timeout: 90_000 });
    check("the agent's report bubbled up to Jake, who told the user");
    await page.screenshot({ path: join(shots, '5-jake-reports.png') });

    // A second tavern-worker, attached by URL through the command palette input box.
    step('start a second worker');
    const url = await startWorkerProcess(
      [
        '--port',
        '0',
        '--name',
        'remote-e2e',
        '--workdir',
        remoteDir,
        '--state-dir',
        join(remoteDir, '.state'),
      ],
      'remote-worker',
    );
    step('a wrong token');
    await runCommand(page, 'Tavern: Attach Worker');
    await page
      .locator(ATTACH_INPUT)
      .pressSequentially(url.replace(/token=[^&]+/, 'token=wrong-token-0123456789'));
    await page.keyboard.press('Enter');
    await page
      .locator('.notification-toast', { hasText: 'refused the token' })
      .waitFor({ timeout: 30_000 });
    check('a wrong token shows a clear error');
    await page.screenshot({ path: join(shots, '6-wrong-token.png') });
    await page.keyboard.press('Escape');

    step('attach by URL');
    await runCommand(page, 'Tavern: Attach Worker');
    await page.locator(ATTACH_INPUT).pressSequentially(url, { timeout: 30_000 });
    await page.keyboard.press('Enter');
    await view
      .locator('li.worker.status-connected .name', { hasText: 'remote-e2e' })
      .waitFor({ timeout: 60_000 });
    check('the second worker attached by URL is connected');

    // An agent on the attached worker, summoned from the palette; approved in the panel.
    step('summon an agent on the attached worker');
    await runCommand(page, 'Tavern: Summon Agent');
    await page
      .locator('.quick-input-message', { hasText: 'The assignment' })
      .waitFor({ timeout: 30_000 });
    await page
      .locator('.quick-input-box input')
      .pressSequentially('[[permission Write]] [[done the remote agent finished]]');
    await page.keyboard.press('Enter');
    await pickRow(page, 'scripted');
    await pickRow(page, 'remote-e2e');
    const remoteRow = view.locator('li.agent', { hasText: 'remote-e2e' });
    await remoteRow.locator('.badge.needs-approval').waitFor({ timeout: 30_000 });
    await remoteRow.click();
    await view
      .locator('.approvals .approval', { hasText: 'Write' })
      .getByRole('button', { name: 'Allow Write once' })
      .click({ timeout: 30_000 });
    await view.locator('li.agent.state-done', { hasText: 'remote-e2e' }).waitFor({
      timeout: 30_000,
    });
    check('an agent ran on the attached worker, approved from the panel, and finished');
    await page.screenshot({ path: join(shots, '7-remote-agent-done.png') });

    step('reload');
    await page.reload();
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    // The reloaded window restores its side bar a moment after the activity bar is there: a
    // click on the Tavern icon could land after the restore and close it again.
    await page.locator('.activitybar [aria-label^="Tavern"]').first().waitFor({ timeout: 90_000 });
    await showTavernView(page);
    const view2 = tavernView(page);
    await view2
      .locator('li.worker.status-connected .name', { hasText: 'remote-e2e' })
      .waitFor({ timeout: 90_000 });
    await view2.locator('li.agent', { hasText: 'The Proprietor' }).click({ timeout: 30_000 });
    await view2
      .locator('.transcript .block.text', { hasText: 'The scribe is DONE' })
      .first()
      .waitFor({ timeout: 60_000 });
    if ((await view2.locator('li.agent').count()) < 3)
      throw new Error('after the reload the squad is missing agents');
    check("after a reload: Jake's transcript, the squad and the attached worker are back");
    await page.screenshot({ path: join(shots, '8-after-reload.png') });

    // VS Code's own high contrast theme, picked as a user would.
    step('high contrast theme');
    await runCommand(page, 'Preferences: Color Theme');
    await page.keyboard.type('Dark High Contrast');
    await pickRow(page, 'Dark High Contrast');
    await view2
      .locator('body.vscode-high-contrast')
      .waitFor({ state: 'attached', timeout: 30_000 });
    await view2.locator('li.agent', { hasText: 'The Proprietor' }).waitFor({ timeout: 10_000 });
    check('the panel follows VS Code into the high contrast theme');
    await page.screenshot({ path: join(shots, '9-high-contrast.png') });
  } catch (error) {
    // What the window showed when a step failed, next to the numbered screenshots; the run's
    // directory (code-server and extension logs) is kept for a look.
    await page.screenshot({ path: join(shots, 'failed.png') }).catch(() => undefined);
    console.error(`e2e: logs of this run are under ${base}`);
    throw error;
  } finally {
    await page.close();
    cs.stop();
  }
  rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}
