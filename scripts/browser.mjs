// Finds a Chromium-family browser for the panel tests, the e2e and the benchmarks: the one
// named by TAVERN_CHROMIUM, else a system Chromium, Chrome or Edge. On Debian or Ubuntu it
// installs Chromium from the distribution when none is there and it may (root, or sudo without
// a password); anywhere else it says exactly what to install. Never a browser download of a
// test tool's own.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = {
  linux: [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/snap/bin/chromium',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/microsoft-edge',
    '/usr/bin/microsoft-edge-stable',
  ],
  darwin: [
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  ],
  win32: [
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe',
  ],
};

const HOW =
  'Install Chromium, Google Chrome or Microsoft Edge (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium), or point TAVERN_CHROMIUM at one.';

function found() {
  const named = process.env.TAVERN_CHROMIUM;
  if (named) {
    if (existsSync(named)) return named;
    throw new Error(`TAVERN_CHROMIUM is ${named}, which does not exist. ${HOW}`);
  }
  return (CANDIDATES[process.platform] ?? []).find((p) => existsSync(p));
}

function canInstallWithApt() {
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) return undefined;
  if (process.getuid?.() === 0) return '';
  try {
    execSync('sudo -n true', { stdio: 'ignore' });
    return 'sudo -n ';
  } catch {
    return undefined;
  }
}

/** The browser's path; installs Debian's Chromium when it can; throws saying what to do. */
export function ensureBrowser(log = (m) => console.log(`[browser] ${m}`)) {
  const existing = found();
  if (existing) return existing;
  const sudo = canInstallWithApt();
  if (sudo === undefined) throw new Error(`No Chromium, Chrome or Edge found. ${HOW}`);
  log('no Chromium found: installing the distribution package (apt-get install chromium)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync(`${sudo}apt-get update -qq`, { stdio: 'inherit', env });
  try {
    execSync(`${sudo}apt-get install -y -qq chromium`, { stdio: 'inherit', env });
  } catch {
    // Ubuntu names it chromium-browser.
    execSync(`${sudo}apt-get install -y -qq chromium-browser`, { stdio: 'inherit', env });
  }
  const installed = found();
  if (!installed) throw new Error(`apt-get finished but no browser appeared. ${HOW}`);
  return installed;
}

if (process.argv[1]?.endsWith('browser.mjs')) console.log(ensureBrowser());
