// The one way to turn a caught value into a sentence for a log line or the UI.
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
