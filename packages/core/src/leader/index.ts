export {
  type LeaderActivity,
  LeaderSignalSource,
  type LeaderSignalSourceOptions,
} from './leader-source.js';
export { LeaderMirror, type LeaderMirrorOptions, withLeaderMirror } from './mirror.js';
