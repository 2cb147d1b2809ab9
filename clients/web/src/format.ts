const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const day = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** A message's time: the hour today, else the day. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return sameDay(d, new Date()) ? time.format(d) : day.format(d);
}

export const clock = (iso: string): string => time.format(new Date(iso));
export const fullTime = (iso: string): string => full.format(new Date(iso));

/** The label of the day a message belongs to, for the separators in a conversation. */
export function dayLabel(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  if (sameDay(d, today)) return 'Today';
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  return sameDay(d, yesterday) ? 'Yesterday' : day.format(d);
}
