// Pending approvals for the agent on screen, pinned above the input so they never scroll
// away: Allow / Always allow / Deny for a tool, Approve / Reject-with-feedback for a plan.
// Nothing here is modal; the squad list carries the badge.
import type { Approval, WebviewMessage } from '../protocol/webview';
import { el, iconButton } from './dom';
import { renderMarkdown } from './markdown';
import { toolInputView, toolSubject } from './toolView';

type Post = (message: WebviewMessage) => void;

function planText(input: unknown): string {
  const plan = (input as { plan?: unknown } | null)?.plan;
  return typeof plan === 'string' ? plan : (JSON.stringify(input, null, 2) ?? '');
}

function approvalCard(a: Approval, agentName: string, post: Post): HTMLElement {
  const card = el('div', `approval approval-${a.request}`);
  card.setAttribute('role', 'group');
  const answer = (
    decision: 'allow' | 'deny',
    extra: { always?: boolean; message?: string } = {},
  ): void => {
    card.classList.add('answered');
    for (const b of Array.from(card.querySelectorAll('button'))) b.disabled = true;
    post({ type: 'answer', agentId: a.agentId, requestId: a.requestId, decision, ...extra });
  };
  if (a.request === 'plan') {
    card.setAttribute('aria-label', `${agentName} proposes a plan`);
    const body = el('div', 'plan markdown');
    renderMarkdown(planText(a.input), body);
    const feedback = el('textarea', 'feedback');
    feedback.rows = 2;
    feedback.placeholder = 'Feedback for a rejection (optional)';
    feedback.setAttribute('aria-label', 'Feedback if you reject the plan');
    const actions = el('div', 'approval-actions');
    actions.append(
      iconButton('check', 'Approve the plan', () => answer('allow'), 'Approve'),
      iconButton(
        'close',
        'Reject the plan',
        () => answer('deny', { message: feedback.value.trim() || 'The user rejected the plan.' }),
        'Reject',
      ),
    );
    card.append(
      el('div', 'approval-title', `${agentName} proposes a plan`),
      el('div', 'approval-origin', `on the ${a.workerLabel}`),
      body,
      feedback,
      actions,
    );
    return card;
  }
  card.setAttribute('aria-label', `${agentName} asks to use ${a.tool}`);
  const details = el('details', 'approval-input');
  const summary = el('summary', undefined, `${a.tool} ${toolSubject(a.input)}`);
  details.append(summary, toolInputView(a.tool, a.input));
  details.open = true;
  const actions = el('div', 'approval-actions');
  actions.append(
    iconButton('check', `Allow ${a.tool} once`, () => answer('allow'), 'Allow'),
    iconButton(
      'check-all',
      `Always allow ${a.tool} on the ${a.workerLabel}, in this project`,
      () => answer('allow', { always: true }),
      'Always allow',
    ),
    iconButton(
      'close',
      `Deny ${a.tool}`,
      () => answer('deny', { message: 'The user denied it.' }),
      'Deny',
    ),
  );
  card.append(
    el('div', 'approval-title', `${agentName} asks to use ${a.tool}`),
    el('div', 'approval-origin', `on the ${a.workerLabel}`),
    details,
    actions,
  );
  return card;
}

export function renderApprovals(
  target: HTMLElement,
  approvals: readonly Approval[],
  agentName: string,
  post: Post,
): void {
  target.replaceChildren(...approvals.map((a) => approvalCard(a, agentName, post)));
  target.hidden = approvals.length === 0;
}
