// "Always allow" rules per project, kept in .tavern/permissions.json: a tool name exactly, or
// a prefix ending in `*` (e.g. `mcp__github__*`).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class PermissionRules {
  private rules: string[] = [];
  private readonly file: string;

  constructor(
    tavernDir: string,
    private readonly writable: boolean,
  ) {
    this.file = join(tavernDir, 'permissions.json');
    if (existsSync(this.file)) {
      try {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { alwaysAllow?: unknown };
        if (Array.isArray(parsed.alwaysAllow))
          this.rules = parsed.alwaysAllow.filter((r): r is string => typeof r === 'string');
      } catch {
        // An unreadable rules file allows nothing automatically.
      }
    }
  }

  list(): readonly string[] {
    return this.rules;
  }

  allows(tool: string): boolean {
    return this.rules.some((rule) =>
      rule.endsWith('*') ? tool.startsWith(rule.slice(0, -1)) : rule === tool,
    );
  }

  add(rule: string): void {
    if (this.rules.includes(rule)) return;
    this.rules.push(rule);
    if (!this.writable) return;
    writeFileSync(this.file + '.tmp', JSON.stringify({ alwaysAllow: this.rules }, null, 2) + '\n');
    renameSync(this.file + '.tmp', this.file);
  }
}
