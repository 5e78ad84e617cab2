// The changes of the agent on screen (when it works on a branch of its own): its files with
// their status and +/- counts, files that run code flagged, and the review actions. The diffs
// themselves open in VS Code's diff editors; nothing here applies anything by itself.
import type { AgentRow, ChangesView, WebviewMessage } from '../protocol/webview';
import { el, icon, iconButton } from './dom';

type Post = (message: WebviewMessage) => void;
type Action = Extract<WebviewMessage, { type: 'review' }>['action'];

const STATUS: Record<string, string> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  T: 'type changed',
};

export function renderChanges(
  target: HTMLElement,
  agent: AgentRow | undefined,
  view: ChangesView | undefined,
  post: Post,
): void {
  if (!agent?.branch) {
    target.replaceChildren();
    target.hidden = true;
    return;
  }
  const act = (action: Action, path?: string) => (): void =>
    post({ type: 'review', agentId: agent.id, action, ...(path !== undefined ? { path } : {}) });
  target.hidden = false;
  const box = el('details', 'changes');
  box.open = view !== undefined && !view.busy;
  const summary = el('summary');
  const title = el('span', 'changes-title', `Changes on ${agent.branch}`);
  summary.append(icon('git-branch'), title);
  box.addEventListener('toggle', () => {
    // Opening asks for the current changes (the agent may have moved on since).
    if (box.open && !view?.review) act('load')();
  });
  box.append(summary);
  if (view?.busy) box.append(el('p', 'empty', 'Fetching the changes…'));
  else if (view?.error) box.append(el('p', 'changes-error', view.error));
  const review = view?.review;
  if (review) {
    const total = review.files.reduce(
      (t, f) => ({ add: t.add + f.additions, del: t.del + f.deletions }),
      { add: 0, del: 0 },
    );
    title.textContent = `Changes on ${review.branch}: ${review.files.length} file${review.files.length === 1 ? '' : 's'}, +${total.add} −${total.del} (from ${review.base.slice(0, 8)})`;
    const list = el('ul', 'change-list');
    list.setAttribute('aria-label', `Files ${review.agentName} changed`);
    for (const f of review.files) {
      const row = el('li', `change status-${f.status}${f.risk ? ' risky' : ''}`);
      const name = el('button', 'change-path', f.path);
      name.type = 'button';
      name.title = `Open the diff of ${f.path}`;
      name.addEventListener('click', act('openFile', f.path));
      row.append(
        el('span', `change-status s-${f.status}`, f.status),
        name,
        el('span', 'change-counts', f.binary ? 'binary' : `+${f.additions} −${f.deletions}`),
        iconButton('check', `Apply ${f.path} only`, act('applyFile', f.path)),
      );
      row.title = `${STATUS[f.status] ?? f.status}${f.risk ? `; runs code: ${f.risk}` : ''}`;
      if (f.risk) row.append(el('div', 'change-risk', `runs code: ${f.risk}`));
      list.append(row);
    }
    if (review.files.length === 0) box.append(el('p', 'empty', 'No changes committed yet.'));
    else box.append(list);
    const actions = el('div', 'change-actions');
    actions.append(
      iconButton('diff-multiple', 'Review all: open every diff', act('openAll'), 'Review'),
      iconButton(
        'check-all',
        `Apply all of ${review.agentName}'s changes to your files`,
        act('apply'),
        'Apply all',
      ),
    );
    if (review.lastApply)
      actions.append(
        iconButton(
          'discard',
          'Undo the last apply (your files come back)',
          act('undo'),
          'Undo apply',
        ),
      );
    actions.append(
      iconButton('git-branch', `Check out ${review.branch}`, act('checkout'), 'Check out'),
    );
    if (review.sameDisk)
      actions.append(
        iconButton(
          'multiple-windows',
          'Open its worktree in a new window',
          act('openWorktree'),
          'Open worktree',
        ),
      );
    actions.append(
      iconButton('trash', `Discard ${review.branch} (asks first)`, act('discard'), 'Discard'),
    );
    box.append(actions);
  } else if (!view) {
    box.append(el('p', 'empty', 'Open to see what it changed.'));
  }
  target.replaceChildren(box);
}
