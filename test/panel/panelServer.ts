// The built webview (dist/webview) in Debian's Chromium, served from a loopback HTTP server
// with the same HTML and CSP the extension uses. `acquireVsCodeApi` is a stub that records
// what the panel posts and keeps its state, so a test plays the extension host.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensureBrowser } from '../../scripts/browser.mjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderWebviewHtml } from '../../extension/core/webviewHtml';
import type { HostMessage, TranscriptMessage, WebviewMessage } from '../../protocol/webview';

/** Set by test/globalSetup.ts; benchmarks find (or install) one themselves. */
const browserPath = (): string => process.env.TAVERN_CHROMIUM ?? ensureBrowser();
// From the repository root (tests and benchmarks both run there).
const ASSETS = resolve(process.cwd(), 'dist/webview');
const NONCE = 'dGVzdC1ub25jZS0xMjM0NQ==';

/** A few of the variables VS Code injects, enough to see a theme in screenshots. */
export const THEMES: Record<string, Record<string, string>> = {
  dark: {
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-sideBar-background': '#181818',
    '--vscode-textLink-foreground': '#4daafc',
    '--vscode-errorForeground': '#f85149',
    '--vscode-editorWarning-foreground': '#cca700',
    '--vscode-badge-background': '#616161',
    '--vscode-badge-foreground': '#f8f8f8',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-input-background': '#313131',
    '--vscode-input-foreground': '#cccccc',
    '--vscode-textCodeBlock-background': '#2b2b2b',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-list-inactiveSelectionBackground': '#37373d',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
  },
  light: {
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-editor-background': '#ffffff',
    '--vscode-sideBar-background': '#f8f8f8',
    '--vscode-textLink-foreground': '#005fb8',
    '--vscode-errorForeground': '#e51400',
    '--vscode-editorWarning-foreground': '#bf8803',
    '--vscode-badge-background': '#cccccc',
    '--vscode-badge-foreground': '#3b3b3b',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-input-background': '#ffffff',
    '--vscode-input-foreground': '#3b3b3b',
    '--vscode-textCodeBlock-background': '#f2f2f2',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
  },
  // VS Code's "Dark High Contrast": black, white text, cyan borders, orange focus.
  'high-contrast': {
    '--vscode-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#ffffff',
    '--vscode-editor-background': '#000000',
    '--vscode-sideBar-background': '#000000',
    '--vscode-textLink-foreground': '#21a6ff',
    '--vscode-errorForeground': '#f48771',
    '--vscode-editorWarning-foreground': '#ffd370',
    '--vscode-badge-background': '#000000',
    '--vscode-badge-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#000000',
    '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-button-border': '#6fc3df',
    '--vscode-input-background': '#000000',
    '--vscode-input-foreground': '#ffffff',
    '--vscode-input-border': '#6fc3df',
    '--vscode-textCodeBlock-background': '#000000',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-contrastActiveBorder': '#f38518',
    '--vscode-focusBorder': '#f38518',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
  },
};

export interface PanelServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the panel page and dist/webview; `theme` picks the injected variables. */
export async function servePanel(): Promise<PanelServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/' || url.pathname === '/index.html') {
        const origin = `http://${req.headers.host}`;
        const html = renderWebviewHtml({
          cspSource: origin,
          nonce: NONCE,
          scriptUri: `${origin}/main.js`,
          styleUri: `${origin}/styles.css`,
          codiconUri: `${origin}/codicon.css`,
        })
          // The CSP forbids inline styles, so the theme comes as a stylesheet like VS Code's.
          .replace(
            '<title>',
            `<link href="${origin}/theme.css?${url.searchParams.get('theme') ?? 'dark'}" rel="stylesheet">\n<title>`,
          )
          .replace(
            '<script nonce=',
            `<script nonce="${NONCE}" src="${origin}/stub.js"></script>\n<script nonce=`,
          );
        res.writeHead(200, { 'content-type': 'text/html' }).end(html);
        return;
      }
      if (url.pathname === '/theme.css') {
        const theme = THEMES[url.search.slice(1)] ?? THEMES.dark!;
        const vars = Object.entries(theme)
          .map(([k, v]) => `${k}: ${v};`)
          .join(' ');
        res
          .writeHead(200, { 'content-type': 'text/css' })
          .end(`html { ${vars} } body { background: var(--vscode-sideBar-background); }`);
        return;
      }
      if (url.pathname === '/stub.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(STUB);
        return;
      }
      const name = url.pathname.slice(1);
      if (!/^[\w.-]+$/.test(name)) return void res.writeHead(404).end();
      const body = await readFile(join(ASSETS, name));
      const type = name.endsWith('.js')
        ? 'text/javascript'
        : name.endsWith('.css')
          ? 'text/css'
          : 'font/ttf';
      res.writeHead(200, { 'content-type': type }).end(body);
    })().catch(() => res.writeHead(404).end());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

// The stub VS Code API: records posts and state; sessionStorage keeps state across reloads.
const STUB = `
window.__posted = [];
window.__xss = 0;
window.__cspViolations = 0;
window.__cspLog = [];
document.addEventListener('securitypolicyviolation', (e) => { window.__cspViolations++; window.__cspLog.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample); });
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(m),
  getState: () => JSON.parse(sessionStorage.getItem('state') || 'null'),
  setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
});
`;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: browserPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
}

/** Plays the host: delivers one message to the panel the way VS Code does (a window message). */
export async function send(page: Page, message: HostMessage | TranscriptMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

/** Resolves after the page has drawn `frames` more animation frames (the panel draws per frame). */
export async function framesDrawn(page: Page, frames = 2): Promise<void> {
  await page.evaluate(async (n) => {
    for (let i = 0; i < n; i++) await new Promise((r) => requestAnimationFrame(() => r(null)));
  }, frames);
}

export async function posted(page: Page): Promise<WebviewMessage[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
}
