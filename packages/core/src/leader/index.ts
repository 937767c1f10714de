export {
  type LeaderActivity,
  LeaderSignalSource,
  type LeaderSignalSourceOptions,
} from './leader-source.js';
