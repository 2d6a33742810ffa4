import type { Request } from 'express';
import { ADMIN_ROLE } from '../../contracts/identity.ts';
import type { WatchableVideo } from './queries.ts';

/** The roles of a user, from the credentials projection (read per request, so a revoked role counts at once). */
export type RolesOf = (userId: string) => Promise<readonly string[]>;

/**
 * Public and unlisted videos are for anyone with the link; a draft only for its creator and
 * admins. The roles are read only for a draft seen by someone logged in who is not its creator.
 */
export async function mayWatch(
  req: Request,
  video: Pick<WatchableVideo, 'ownerId' | 'visibility'>,
  rolesOf: RolesOf,
): Promise<boolean> {
  if (video.visibility !== 'draft') return true;
  const { userId } = req.context;
  if (userId === null) return false;
  if (userId === video.ownerId) return true;
  return (await rolesOf(userId)).includes(ADMIN_ROLE);
}
