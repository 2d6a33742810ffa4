import { adminStreamsDefinition } from './admin-streams/index.ts';
import { adminUsersDefinition } from './admin-users/index.ts';
import { creatorsVideosDefinition } from './creators-videos/index.ts';
import { homePageDefinition } from './home-page/index.ts';
import { playbackDefinition } from './playback/index.ts';
import { popularVideosDefinition } from './popular-videos/index.ts';
import { userCredentialsDefinition } from './user-credentials/index.ts';
import { userProfilesDefinition } from './user-profiles/index.ts';
import { videoOperationsDefinition } from './video-operations/index.ts';
import { videoSearchDefinition } from './video-search/index.ts';
import { videosDefinition } from './videos/index.ts';

/**
 * Every projection, the one list the live wiring (src/system.ts) and the rebuild
 * (src/rebuild/registry.ts) both read: adding a projection is adding its definition here. In the
 * order 'all' rebuilds them in. Never add personal_data.personal_data_keys: it is no projection
 * (nothing rebuilds a deleted key), and user-credentials, user-profiles and admin-users read it to open sealed
 * fields (docs/personal-data.md). The audit chain is no projection either: it only ever grows,
 * and its links vouch for what was read when (src/aggregators/audit-chain).
 */
export const PROJECTIONS = [
  homePageDefinition,
  userCredentialsDefinition,
  videosDefinition,
  creatorsVideosDefinition,
  videoOperationsDefinition,
  adminUsersDefinition,
  adminStreamsDefinition,
  userProfilesDefinition,
  playbackDefinition,
  videoSearchDefinition,
  popularVideosDefinition,
] as const;

export type ProjectionName = (typeof PROJECTIONS)[number]['name'];
