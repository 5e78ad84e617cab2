// The Tavern side panel (view `tavern.panel`): a webview fed with worker health. Messages are
// validated both ways; resources come only from dist/webview.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { parseWebviewMessage, type HostMessage } from '../../protocol/webview';
import { renderWebviewHtml } from '../core/webviewHtml';
import type { WorkerPool } from '../core/workers/workerPool';

export class WorkersViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'tavern.panel';
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly pool: WorkerPool,
    private readonly localWorkerEnabled: () => boolean,
  ) {
    this.disposables.push({ dispose: pool.onChanged(() => this.postWorkers()).dispose });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const assets = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [assets] };
    const asset = (name: string): string =>
      view.webview.asWebviewUri(vscode.Uri.joinPath(assets, name)).toString();
    view.webview.html = renderWebviewHtml({
      cspSource: view.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: asset('main.js'),
      styleUri: asset('styles.css'),
      codiconUri: asset('codicon.css'),
    });
    view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw), this, this.disposables);
    view.onDidDispose(() => (this.view = undefined), this, this.disposables);
  }

  notice(level: 'info' | 'error', text: string): void {
    this.post({ type: 'notice', level, text });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private onMessage(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return; // not ours or malformed: ignore, never act on it
    switch (message.type) {
      case 'ready':
        return this.postWorkers();
      case 'attachWorker':
        void vscode.commands.executeCommand('tavern.attachWorker');
        return;
      case 'detachWorker':
        void vscode.commands.executeCommand('tavern.detachWorker', message.workerId);
        return;
      case 'restartLocalWorker':
        void vscode.commands.executeCommand('tavern.restartLocalWorker');
        return;
    }
  }

  private postWorkers(): void {
    this.post({
      type: 'workers',
      workers: this.pool.summaries(),
      localWorkerEnabled: this.localWorkerEnabled(),
    });
  }

  private post(message: HostMessage): void {
    void this.view?.webview.postMessage(message);
  }
}
