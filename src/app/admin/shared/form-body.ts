import type { Request } from 'express';

/** A posted form's fields, or none when nothing was posted (the body parser leaves req.body unset). */
export const formBody = (req: Request): Record<string, unknown> =>
  (req.body as Record<string, unknown> | undefined) ?? {};
