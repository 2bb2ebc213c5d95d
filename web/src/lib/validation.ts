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
