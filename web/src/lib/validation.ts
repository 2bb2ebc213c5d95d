export const NAME_MAX_LENGTH = 200;

/** Client-side check of a customer or site name; the server remains the authority. */
export function validateName(raw: string): string | null {
  const name = raw.trim();
  if (name.length === 0) return 'Enter a name.';
  if (name.length > NAME_MAX_LENGTH) {
    return `Use at most ${NAME_MAX_LENGTH} characters (this name has ${name.length}).`;
  }
  return null;
}

/** The server's minimum (src/security/password.ts); checked here too, to say so before a round trip. */
export const PASSWORD_MIN_LENGTH = 12;

/** Why the server would refuse this password, or null; the server remains the authority. */
export function validatePassword(password: string): string | null {
  // Code points, as the server counts them: an emoji is one character as the user sees it.
  const length = [...password.normalize('NFC')].length;
  if (length < PASSWORD_MIN_LENGTH)
    return `Use at least ${PASSWORD_MIN_LENGTH} characters (this password has ${length}).`;
  return null;
}

/** Problems with a new password typed twice, by field. */
export function validateNewPassword(password: string, repeat: string): { password?: string; repeat?: string } {
  const problem = validatePassword(password);
  if (problem) return { password: problem };
  if (password !== repeat) return { repeat: 'The two passwords are not the same.' };
  return {};
}
