import type { AdapterCapabilities, CapabilityDeclaration, CapabilityName, Support } from './contract.js';

/** Every feature, in the order of `AdapterCapabilities`. */
export const CAPABILITY_NAMES: readonly CapabilityName[] = [
  'brackets',
  'nativeOco',
  'modify',
  'clientOrderIds',
  'positionQuery',
  'leaderFillStream',
  'netReversal',
];

/**
 * What the engine does where a broker has no native feature: it holds bracket legs
 * and their one-cancels-other itself, splits a reversal into close then open, and
 * cancels and replaces instead of modifying. The rest cannot be made up.
 */
const WITHOUT_NATIVE: CapabilityDeclaration = {
  brackets: 'emulated',
  nativeOco: 'emulated',
  modify: 'emulated',
  clientOrderIds: 'none',
  positionQuery: 'none',
  leaderFillStream: 'none',
  netReversal: 'emulated',
};

/**
 * An adapter's capabilities from its one declaration: `has` keeps the declaration,
 * and each boolean field (what the engine reads today) is true where the broker
 * offers the feature natively.
 */
export function declareCapabilities(has: CapabilityDeclaration): AdapterCapabilities {
  const flags = Object.fromEntries(CAPABILITY_NAMES.map((name) => [name, has[name] === 'native'])) as Record<
    CapabilityName,
    boolean
  >;
  return Object.freeze({ ...flags, has: Object.freeze({ ...has }) });
}

/**
 * How `capabilities` offers `name`. The boolean decides native or not (a test double
 * may override it over a spread declaration); `has` then says emulated or none,
 * defaulting to what the engine can emulate.
 */
export function supportOf(capabilities: AdapterCapabilities, name: CapabilityName): Support {
  if (capabilities[name]) return 'native';
  const declared = capabilities.has?.[name];
  return declared === undefined || declared === 'native' ? WITHOUT_NATIVE[name] : declared;
}
