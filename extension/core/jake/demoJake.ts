// The offline demo: Jake without a model. He plays the real flow through the real coordinator,
// the local worker, the panel and approvals: he answers, summons two scripted agents that
// stream (one asks for an approval), and relays their reports. His lines come from a script
// (the scripted engine's directives), and he says so. Messages that already carry
// [[directives]] run as they are (tests drive him that way).
import type { Engine, EngineContext, EngineSession } from '../../../runtime/engines/engine';
import { ScriptedEngine } from '../../../runtime/engines/scripted';

/** The marker the host puts before squad reports it tells Jake (see Jake.bubble). */
export const SQUAD_REPORTS = '[Tavern] Squad reports';

const json = (value: unknown): string => JSON.stringify(value);

/** What the two demo agents are given: real streaming, one approval, two reports. */
function demoAssignments(request: string): { tally: string; menu: string } {
  const asked = request.length > 80 ? `${request.slice(0, 80)}…` : request;
  return {
    tally: [
      'Count what is behind the bar for tonight.',
      '[[think Counting what is behind the bar before anyone promises anything.]]',
      '[[typewrite Checking the cellar log for the request: "' +
        asked.replace(/["\]]/g, "'") +
        '". ]]',
      '[[typewrite Twelve kegs full, three empty, one suspiciously light. ]]',
      '[[done Tallied the cellar: 12 full kegs, 3 empty, 1 to check (offline demo: nothing was read).]]',
    ].join(' '),
    menu: [
      'Write tonight’s menu board.',
      '[[think The menu first; then ask before writing anything.]]',
      '[[typewrite Drafting the new menu board. ]]',
      `[[permission Write ${json({ file_path: 'menu.md', content: '# Tonight\n\n- Spillway Stout\n- Barrel-aged nonsense\n' })}]]`,
      '[[typewrite The board is ready for the evening crowd. ]]',
      '[[done Wrote the menu board (offline demo: no file was written).]]',
    ].join(' '),
  };
}

/** Turns what Jake is told into his demo script. */
export function demoScript(text: string): string {
  if (/\[\[\w+/.test(text)) return text;
  if (text.startsWith(SQUAD_REPORTS)) {
    const reports = text
      .split('\n')
      .slice(1)
      .map((line) =>
        line
          .replace(/^- /, '')
          .replace(/ \([\w-]+\)/, '') // the agent's id: a model needs it, a reader does not
          .replace(/\[\[|\]\]/g, '')
          .replace(/\.$/, ''),
      )
      .join('; ');
    return `[[typewrite *rings the brass bell* NEWS from the Slop Squad! ${reports}. That is the whole demo, friend: the real thing is this, with a model behind me. Set an API key or sign in with Claude when you are ready.]]`;
  }
  const { tally, menu } = demoAssignments(text);
  return [
    '[[think Offline demo: no model here, just the script and the real machinery.]]',
    '[[typewrite STEP RIGHT UP! This is the OFFLINE DEMO (a script, no model, no cost), but everything around me is real: the worker, the squad, the approvals. Two jobs, two of my FINEST, summoning now. ]]',
    `[[tool summon_agent ${json({ assignment: tally, engine: 'scripted' })}]]`,
    `[[tool summon_agent ${json({ assignment: menu, engine: 'scripted' })}]]`,
    '[[typewrite Watch them in the squad list. The second one will ask you before it writes anything (polite; I trained it myself).]]',
  ].join(' ');
}

/** Jake's engine for the offline demo: the scripted engine behind the demo script. */
export class DemoJakeEngine implements Engine {
  readonly name = 'scripted' as const;
  private readonly scripted = new ScriptedEngine();

  probe(): ReturnType<Engine['probe']> {
    return this.scripted.probe();
  }

  createSession(ctx: EngineContext): EngineSession {
    const session = this.scripted.createSession(ctx);
    return {
      runTurn: (text) => session.runTurn(demoScript(text)),
      interrupt: () => session.interrupt(),
      dispose: () => session.dispose(),
    };
  }
}
