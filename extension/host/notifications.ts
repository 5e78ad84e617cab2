// Notifications for what would otherwise go unseen while the panel is hidden: an approval (with
// the tool, its path or command and a one-line preview, and who asks from which worker) and a
// report. They never take focus; "Open" shows that agent's card in the panel.
import * as vscode from 'vscode';
import { toolPreview, toolSubject } from '../../protocol/toolSummary';
import type { PendingApproval } from '../core/approvals';
import type { Approvals } from '../core/approvals';
import type { AgentReport } from '../core/coordinator/coordinator';
import { COMMANDS } from './commandIds';

const OPEN = 'Open in Tavern';

function openAgent(folder: string | undefined, agentId: string): void {
  void vscode.commands.executeCommand(COMMANDS.openAgent, folder, agentId);
}

export function notifyApproval(approvals: Approvals, a: PendingApproval): void {
  const who = `${a.agentName} (${a.workerLabel})`;
  let text: string;
  if (a.request === 'plan') text = `${who} proposes a plan.`;
  else {
    const subject = toolSubject(a.input, 80);
    const preview = toolPreview(a.tool, a.input, 80);
    text = `${who} asks to use ${a.tool}${subject ? ` on ${subject}` : ''}${preview ? ` (${preview})` : ''}.`;
  }
  const buttons = a.request === 'plan' ? [OPEN] : ['Allow', 'Deny', OPEN];
  void vscode.window.showInformationMessage(`Tavern: ${text}`, ...buttons).then((choice) => {
    if (!choice) return;
    if (choice === OPEN) return openAgent(a.folder, a.agentId);
    approvals.answer(
      a.agentId,
      a.requestId,
      choice === 'Allow'
        ? { decision: 'allow' }
        : { decision: 'deny', message: 'The user denied it.' },
    );
  });
}

export function notifyReport(report: AgentReport, folder?: string): void {
  const { agent, status, summary } = report;
  const verb =
    status === 'done'
      ? 'finished'
      : status === 'blocked'
        ? 'is blocked'
        : status === 'needs_input'
          ? 'needs input'
          : 'stopped without a report';
  const short = summary.length > 200 ? `${summary.slice(0, 200)}…` : summary;
  void vscode.window
    .showInformationMessage(`Tavern: ${agent.name} ${verb}: ${short}`, OPEN)
    .then((choice) => {
      if (choice) openAgent(folder, agent.id);
    });
}
