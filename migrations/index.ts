import type { Knex } from 'knex';
import * as subscriberPositions from './20261126000001_subscriber_positions.ts';
import * as homePage from './20261126000002_home_page.ts';
import * as positionsPerGroupMember from './20261128000003_positions_per_group_member.ts';
import * as skippedMessages from './20261128000004_skipped_messages.ts';
import * as homePageWithoutRowGuard from './20261128000005_home_page_without_row_guard.ts';
import * as positionHandover from './20261128000006_position_handover.ts';
import * as userCredentials from './20261128000007_user_credentials.ts';
import * as rateLimits from './20261128000008_rate_limits.ts';
import * as videos from './20261128000009_videos.ts';
import * as videoRowGuards from './20261129000010_video_row_guards.ts';
import * as adminUsers from './20261130000012_admin_users.ts';
import * as adminStreams from './20261130000013_admin_streams.ts';
import * as auditChain from './20261130000014_audit_chain.ts';
import * as projectionRebuilds from './20261130000015_projection_rebuilds.ts';
import * as personalDataKeys from './20261130000016_personal_data_keys.ts';
import * as auditChainPredecessors from './20261202000020_audit_chain_predecessors.ts';
import * as sessions from './20261206000010_sessions.ts';
import * as viewingWindows from './20261206000020_viewing_windows.ts';
import * as viewingRateLimits from './20261206000021_viewing_rate_limits.ts';
import * as videoTakeDowns from './20261206000030_video_take_downs.ts';
import * as userProfiles from './20261207100001_user_profiles.ts';
import * as passwordVersions from './20261207200001_password_versions.ts';
import * as emailVerified from './20261207300001_email_verified.ts';
import * as videoVisibility from './20261208100001_video_visibility.ts';
import * as videoVisibilityListings from './20261208100002_video_visibility_listings.ts';
import * as videoOperationsPerKind from './20261208100020_video_operations_per_kind.ts';
import * as videoSearch from './20261209100000_video_search.ts';
import * as popularVideos from './20261209200001_popular_videos.ts';
import * as playbackPositions from './20261209300001_playback_positions.ts';
import * as videoSearchWords from './20261210100000_video_search_words.ts';
import * as videoTitleWords from './20261211100000_video_title_words.ts';
import * as popularVideoPositions from './20261211200000_popular_video_positions.ts';
import * as videoSearchRanks from './20261212100000_video_search_ranks.ts';
import * as channelViews from './20261212200000_channel_views.ts';
import * as adminUsersVideosStillUp from './20261212300000_admin_users_videos_still_up.ts';
import * as videoSearchRanksHeadScore from './20261213100000_video_search_ranks_head_score.ts';
import * as videoSearchOr from './20261213200000_video_search_or.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

// Listed here rather than discovered on disk, so the same code migrates under tsx and from the
// compiled build without knex guessing file extensions. Append new migrations at the end.
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261126000001_subscriber_positions', subscriberPositions],
  ['20261126000002_home_page', homePage],
  ['20261128000003_positions_per_group_member', positionsPerGroupMember],
  ['20261128000004_skipped_messages', skippedMessages],
  ['20261128000005_home_page_without_row_guard', homePageWithoutRowGuard],
  ['20261128000006_position_handover', positionHandover],
  ['20261128000007_user_credentials', userCredentials],
  ['20261128000008_rate_limits', rateLimits],
  ['20261128000009_videos', videos],
  ['20261129000010_video_row_guards', videoRowGuards],
  ['20261130000012_admin_users', adminUsers],
  ['20261130000013_admin_streams', adminStreams],
  ['20261130000014_audit_chain', auditChain],
  ['20261130000015_projection_rebuilds', projectionRebuilds],
  ['20261130000016_personal_data_keys', personalDataKeys],
  ['20261202000020_audit_chain_predecessors', auditChainPredecessors],
  ['20261206000010_sessions', sessions],
  ['20261206000020_viewing_windows', viewingWindows],
  ['20261206000021_viewing_rate_limits', viewingRateLimits],
  ['20261206000030_video_take_downs', videoTakeDowns],
  ['20261207100001_user_profiles', userProfiles],
  ['20261207200001_password_versions', passwordVersions],
  ['20261207300001_email_verified', emailVerified],
  ['20261208100001_video_visibility', videoVisibility],
  ['20261208100002_video_visibility_listings', videoVisibilityListings],
  ['20261208100020_video_operations_per_kind', videoOperationsPerKind],
  ['20261209100000_video_search', videoSearch],
  ['20261209200001_popular_videos', popularVideos],
  ['20261209300001_playback_positions', playbackPositions],
  ['20261210100000_video_search_words', videoSearchWords],
  ['20261211100000_video_title_words', videoTitleWords],
  ['20261211200000_popular_video_positions', popularVideoPositions],
  ['20261212100000_video_search_ranks', videoSearchRanks],
  ['20261212200000_channel_views', channelViews],
  ['20261212300000_admin_users_videos_still_up', adminUsersVideosStillUp],
  ['20261213100000_video_search_ranks_head_score', videoSearchRanksHeadScore],
  ['20261213200000_video_search_or', videoSearchOr],
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([candidate]) => candidate === name);
    if (!found) throw new Error(`Unknown migration ${name}`);
    return found[1];
  },
};
