// The webview's HTML. The CSP allows nothing by default; styles and fonts only from the
// extension's own dist/webview folder, and only the script carrying this load's nonce, so an
// injected <script> or inline handler can never run.
export interface WebviewHtmlOptions {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
}

const escapeAttr = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function renderWebviewHtml(o: WebviewHtmlOptions): string {
  const csp = [
    `default-src 'none'`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `img-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${escapeAttr(o.codiconUri)}" rel="stylesheet">
<link href="${escapeAttr(o.styleUri)}" rel="stylesheet">
<title>Tavern</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
