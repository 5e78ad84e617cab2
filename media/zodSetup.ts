// Imported first by main.ts, before any schema exists: the webview's CSP forbids eval, so
// zod must not even probe for it (the probe itself is reported as a CSP violation).
import { config } from 'zod';

config({ jitless: true });
