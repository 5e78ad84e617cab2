// How a tool call reads in a transcript: edits as line diffs, writes as added lines, shell
// commands as a command line, anything else as indented JSON. All text via textContent.
import { diffLines } from 'diff';
import { el } from './dom';

export { toolSubject } from '../protocol/toolSummary';

const MAX_SHOWN = 40_000;

function clip(text: string): string {
  return text.length > MAX_SHOWN
    ? `${text.slice(0, MAX_SHOWN)}\n… (${text.length - MAX_SHOWN} more characters)`
    : text;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** One line diff of old -> new: removed lines, added lines, unchanged context. */
export function diffView(oldText: string, newText: string): HTMLElement {
  const pre = el('pre', 'diff');
  for (const part of diffLines(clip(oldText), clip(newText))) {
    const cls = part.added ? 'add' : part.removed ? 'del' : 'ctx';
    const sign = part.added ? '+' : part.removed ? '-' : ' ';
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const line of lines) pre.append(el('span', `line ${cls}`, `${sign} ${line}\n`));
  }
  return pre;
}

/** The tool input, shown the most readable way its shape allows. */
export function toolInputView(name: string, input: unknown): HTMLElement {
  const i = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const oldString = str(i.old_string);
  const newString = str(i.new_string);
  if (oldString !== undefined && newString !== undefined) return diffView(oldString, newString);
  if (Array.isArray(i.edits)) {
    const box = el('div', 'edits');
    for (const edit of i.edits as Record<string, unknown>[])
      box.append(diffView(str(edit?.old_string) ?? '', str(edit?.new_string) ?? ''));
    return box;
  }
  const content = str(i.content);
  if (name === 'Write' && content !== undefined) return diffView('', content);
  const command = str(i.command);
  if (
    command !== undefined &&
    Object.keys(i).every((k) => k === 'command' || k === 'description' || k === 'timeout')
  )
    return el('pre', 'command', `$ ${clip(command)}`);
  return el('pre', 'json', clip(JSON.stringify(input, null, 2) ?? String(input)));
}
