import { useInput, useWindowSize } from 'ink';
import { useSyncExternalStore } from 'react';
import { Dashboard, type Theme } from './components.js';
import type { DashboardController } from './controller.js';
import { keyToCommand } from './keys.js';
import type { DashboardStore } from './store.js';

/** The store's state, re-rendered when it changes (batched by the store). */
export function useDashboardState(store: DashboardStore) {
  return useSyncExternalStore(store.subscribe, store.getState);
}

/** Keys to commands: the mapping is pure (`keyToCommand`); this only connects it to Ink. */
export function useDashboardKeys(store: DashboardStore, controller: Pick<DashboardController, 'run'>): void {
  useInput((input, key) => {
    const command = keyToCommand(store.getState(), input, key);
    if (command.type !== 'none') controller.run(command);
  });
}

/** The live dashboard: state from the store, keys to the controller. */
export function App({
  store,
  controller,
  theme,
}: {
  store: DashboardStore;
  controller: Pick<DashboardController, 'run'>;
  theme: Theme;
}) {
  const state = useDashboardState(store);
  const { rows, columns } = useWindowSize();
  useDashboardKeys(store, controller);
  return <Dashboard state={state} rows={rows} columns={columns} theme={theme} />;
}
