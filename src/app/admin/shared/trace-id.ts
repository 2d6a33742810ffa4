/** Any trace id a writer may have used, within reason: no control characters, not a page long. */
export function parseTraceId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 && !/[\u0000-\u001f\u007f]/.test(value)
    ? value
    : undefined;
}
