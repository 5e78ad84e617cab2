// Claude Code reports a missing or rejected login as an ordinary assistant message ("Not
// logged in · Please run /login", "Invalid API key · Fix external API key") followed by a
// result whose subtype is still `success`. Such a turn must end as a failure that says what
// to do, with the machine-readable code `auth_required` (the panel turns it into the welcome
// card), never as "ended with success".
import { SIGN_IN_HINT } from './claudeAuth';

/** The error code on the `error` event of a turn that failed for want of credentials. */
export const AUTH_REQUIRED = 'auth_required';

/** The SDK's assistant-message error kinds that a sign-in or an API key fixes. */
const AUTH_KINDS = new Set(['authentication_failed', 'oauth_org_not_allowed']);

/** The same failures as older CLIs word them, without the `error` field. */
const AUTH_TEXT =
  /not logged in|please run \/login|invalid api key|invalid x-api-key|authentication_error|oauth token (?:has )?expired|failed to authenticate/i;

export interface TurnFailure {
  /** The SDK's `error` kind on the synthetic assistant message, if any. */
  kind?: string | undefined;
  /** HTTP status of the failed API call (null: none was made, e.g. "Not logged in"). */
  status?: number | null | undefined;
  /** What Claude Code said. */
  text: string;
}

/** The HTTP status, from the SDK or from older CLIs' "API Error: 401 ..." text. */
function statusOf(failure: TurnFailure): number | undefined {
  return failure.status ?? (Number(/^API Error: (\d{3})\b/.exec(failure.text)?.[1]) || undefined);
}

export function isAuthFailure(failure: TurnFailure): boolean {
  const status = statusOf(failure);
  return (
    (failure.kind !== undefined && AUTH_KINDS.has(failure.kind)) ||
    status === 401 ||
    status === 403 ||
    AUTH_TEXT.test(failure.text)
  );
}

/** The message a turn that failed to authenticate ends with: what happened, then what to do. */
export function authFailureMessage(failure: TurnFailure): string {
  const said = failure.text.trim();
  const status = statusOf(failure);
  if (status === 401 || status === 403)
    return `Claude Code's credentials were rejected (${status}: ${said}). Check the API key (ANTHROPIC_API_KEY), or sign in again with \`claude auth login\` on the machine Claude Code runs on.`;
  return `Claude Code is not signed in (it said: "${said}"). To use it, ${SIGN_IN_HINT}.`;
}
