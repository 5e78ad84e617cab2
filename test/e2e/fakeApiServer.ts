// The fake Anthropic API for the end-to-end run, as its own process (scripts/e2e.mjs bundles
// and starts it): Jake summons a scribe, the scribe asks to Write notes.md (approved in the
// panel), writes it for real through Claude Code, reports done, and Jake tells the human.
// Prints FAKE_API_URL=... once listening.
import { callTool, say, startFakeAnthropicApi } from '../fakeApi/fakeAnthropicApi';

const workspace = process.argv[2] ?? process.cwd();

const toolResults = (transcript: string): number =>
  (transcript.match(/"tool_result"/g) ?? []).length;

async function main(): Promise<void> {
  const api = await startFakeAnthropicApi();
  api.respondWith((body) => {
    const system = JSON.stringify(body.system ?? '');
    const transcript = JSON.stringify(body.messages ?? []);
    if (system.includes('You are Jake')) {
      if (transcript.includes('the remote agent finished'))
        return say('And the job on the OTHER machine is done too. Two for two!');
      if (transcript.includes('reported done'))
        return say(
          '*rings the bell* The scribe is DONE: notes.md is written. (I read it twice. It is a MASTERPIECE, give or take.)',
        );
      if (transcript.includes('Summoned '))
        return say('A scribe is on it. Finest penmanship in the county (the only penmanship).');
      return callTool(
        'mcp__tavern__summon_agent',
        {
          assignment: 'Write notes.md in the project root with the line: the kegs are counted.',
          worker: 'local',
          engine: 'claude',
        },
        'STEP RIGHT UP! *cracks knuckles* Summoning a scribe.',
      );
    }
    // A squad agent: Write (needs approval), then report, then a closing line. It writes in
    // its own working directory (its worktree), which Claude Code names in the system prompt.
    const cwd = /Primary working directory: ([^\\"]+)/.exec(system + transcript)?.[1] ?? workspace;
    const done = toolResults(transcript);
    if (done === 0)
      return callTool(
        'Write',
        { file_path: `${cwd}/notes.md`, content: 'the kegs are counted\n' },
        'Writing notes.md now.',
      );
    if (done === 1)
      return callTool('mcp__tavern__report', { status: 'done', summary: 'wrote notes.md' });
    return say('notes.md is written.');
  });
  console.log(`FAKE_API_URL=${api.url}`);
  const stop = (): void => void api.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
