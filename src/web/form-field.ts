/** A field of a posted form as typed, or '' when it is missing or not text (a repeated field arrives as an array). */
export function formField(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}
