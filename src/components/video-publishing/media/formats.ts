/**
 * The containers ffmpeg may open an upload as (its `-format_whitelist`). Without it, ffmpeg
 * guesses from the content and would follow an HLS playlist or concat list disguised as a
 * video, reading other files or URLs, and would take images and text for video. Demuxer
 * names: mov covers MP4/MOV/M4V/3GP, matroska covers MKV/WebM.
 */
export const ACCEPTED_CONTAINERS = 'mov,matroska,avi,flv,mpegts,mpeg,ogg,asf';

/** What the creator is told their file should be. */
export const ACCEPTED_CONTAINERS_FOR_PEOPLE = 'MP4, MOV, MKV, WebM, AVI, FLV, MPEG, OGG or WMV';
