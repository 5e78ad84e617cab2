// Extension-API tests that run INSIDE a VS Code extension host (@vscode/test-electron's
// --extensionTestsPath; `npm run test:vscode`). No test framework: each test is an async
// function; failures are collected and thrown at the end. With TAVERN_VSCODE_TEST_RESULTS
// set, the results are also written there as JSON.
const assert = require('node:assert/strict');
const { writeFileSync } = require('node:fs');
const vscode = require('vscode');

const EXTENSION_ID = 'tavern-spillway.tavern';
const COMMANDS = [
  'tavern.openPanel',
  'tavern.attachWorker',
  'tavern.detachWorker',
  'tavern.restartLocalWorker',
  'tavern.showLog',
  'tavern.summonAgent',
  'tavern.dismissAgent',
];

const tests = {
  async 'the extension is installed and activates'() {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  },

  async 'every command is registered'() {
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((c) => !all.has(c));
    assert.deepEqual(missing, []);
  },

  async 'the Tavern view resolves (Open Panel focuses it)'() {
    await vscode.commands.executeCommand('tavern.openPanel');
    // The contributed view's focus command exists only if the view container resolved.
    const all = new Set(await vscode.commands.getCommands(true));
    assert.ok(all.has('tavern.panel.focus'), 'tavern.panel.focus is missing');
  },

  async 'settings have their documented defaults and every one has a description'() {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    const props = ext.packageJSON.contributes.configuration.properties;
    const config = vscode.workspace.getConfiguration();
    for (const [key, schema] of Object.entries(props)) {
      assert.ok(schema.markdownDescription || schema.description, `${key} has no description`);
      const inspected = config.inspect(key);
      assert.deepEqual(inspected?.defaultValue, schema.default, `${key} default`);
    }
    assert.equal(config.get('tavern.localWorker.enabled'), true);
    assert.equal(config.get('tavern.jake.engine'), 'claude');
  },

  async 'the worker commands fail politely on bad input'() {
    // A malformed URL passed straight to the command: it reports the error, never throws.
    await vscode.commands.executeCommand('tavern.attachWorker', 'not a url');
    await vscode.commands.executeCommand('tavern.detachWorker', 'ws://127.0.0.1:1/');
  },
};

async function run() {
  const results = [];
  for (const [name, test] of Object.entries(tests)) {
    const started = Date.now();
    try {
      await test();
      results.push({ name, ok: true, ms: Date.now() - started });
      console.log(`  ok  ${name}`);
    } catch (error) {
      results.push({
        name,
        ok: false,
        ms: Date.now() - started,
        error: String(error?.stack ?? error),
      });
      console.error(`  FAIL ${name}: ${error?.stack ?? error}`);
    }
  }
  if (process.env.TAVERN_VSCODE_TEST_RESULTS)
    writeFileSync(process.env.TAVERN_VSCODE_TEST_RESULTS, JSON.stringify(results, null, 2));
  const failed = results.filter((r) => !r.ok);
  console.log(
    `vscode API tests: ${results.length - failed.length} passed, ${failed.length} failed`,
  );
  if (failed.length) throw new Error(`${failed.length} extension-API test(s) failed`);
}

module.exports = { run };
