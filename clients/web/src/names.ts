/**
 * How users are shown. The platform has no user directory, so a name is known only for the
 * local users of `npm start`; anyone else is shown by the end of their id.
 */
const names = new Map<string, string>();

export function rememberNames(users: { userId: string; name: string }[]): void {
  for (const u of users) names.set(u.userId.toLowerCase(), u.name);
}

export function nameOf(userId: string | undefined): string {
  if (!userId) return 'Unknown';
  return names.get(userId) ?? `User …${userId.slice(-6)}`;
}

export const initialOf = (userId: string | undefined): string => {
  const name = names.get(userId ?? '');
  return name ? name.slice(0, 1).toUpperCase() : (userId ?? '?').slice(-2);
};
