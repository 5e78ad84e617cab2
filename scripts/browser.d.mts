// Types for scripts/browser.mjs (used from the TypeScript test setup).
export function ensureBrowser(log?: (message: string) => void): string;
