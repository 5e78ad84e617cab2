// How a tool call reads in one line, for the transcript's summary rows and for notifications
// (which have no room for a diff): the file path, command or pattern it is about, and a short
// preview of what it would write or run.
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function clipLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** A short label for the call: file path, command, pattern, URL or assignment. */
export function toolSubject(input: unknown, max = 120): string {
  if (!input || typeof input !== 'object') return '';
  const i = input as Record<string, unknown>;
  const subject =
    str(i.file_path) ??
    str(i.path) ??
    str(i.command) ??
    str(i.pattern) ??
    str(i.url) ??
    str(i.assignment) ??
    '';
  return subject.length > max ? `${subject.slice(0, max)}…` : subject;
}

/**
 * What the call would do, in one line: `+N −M` lines and the first changed line for an edit or
 * a write; nothing more for a command (its subject is the command).
 */
export function toolPreview(tool: string, input: unknown, max = 120): string {
  if (!input || typeof input !== 'object') return '';
  const i = input as Record<string, unknown>;
  const count = (text: string | undefined): number =>
    text === undefined || text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
  const oldString = str(i.old_string);
  const newString = str(i.new_string);
  if (oldString !== undefined && newString !== undefined) {
    const first = newString.split('\n').find((l) => l.trim()) ?? '';
    return `+${count(newString)} −${count(oldString)}: ${clipLine(first, max)}`;
  }
  const content = str(i.content);
  if (tool === 'Write' && content !== undefined) {
    const first = content.split('\n').find((l) => l.trim()) ?? '';
    return `+${count(content)} lines: ${clipLine(first, max)}`;
  }
  const description = str(i.description);
  return description ? clipLine(description, max) : '';
}
