import { countLabel, messageHref, streamMessagesHref, timeLabel } from '../dashboard/format.ts';
import type { AdminUser, UserVideo } from './queries.ts';
import type { TimelineEntry } from './timeline.ts';

export const userHref = (userId: string): string => `/admin/users/${userId}`;

export function userView(user: AdminUser) {
  return {
    userId: user.userId,
    href: userHref(user.userId),
    email: user.email ?? '(not registered)',
    registeredAt: timeLabel(user.registeredAt),
    welcomeEmail: user.welcomeEmailSentAt ? timeLabel(user.welcomeEmailSentAt) : 'not sent',
    roles: user.roles.length > 0 ? user.roles.join(', ') : '—',
    logIns: countLabel(user.logIns),
    failedLogIns: countLabel(user.failedLogIns),
    lastLogInAt: timeLabel(user.lastLogInAt),
    videos: countLabel(user.videos),
    viewings: countLabel(user.viewings),
    countedViewings: countLabel(user.countedViewings),
  };
}

export function videoView(video: UserVideo) {
  return {
    videoId: video.videoId,
    name: video.name ?? 'Untitled',
    status: video.status,
    acceptedAt: timeLabel(video.acceptedAt),
    href: messageHref(video.globalPosition),
  };
}

export function entryView(entry: TimelineEntry) {
  return {
    globalPosition: entry.globalPosition,
    href: messageHref(entry.globalPosition),
    time: timeLabel(entry.time),
    timeIso: entry.time.toISOString(),
    type: entry.type,
    streamName: entry.streamName,
    streamHref: streamMessagesHref(entry.streamName),
    about: entry.about,
  };
}
