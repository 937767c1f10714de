import { hostname, userInfo } from 'node:os';

/** Who a control change is recorded as: `TRADENOVA_ACTOR`, else `user@host` of this process. */
export function controlActor(env: NodeJS.ProcessEnv): string {
  const given = env.TRADENOVA_ACTOR?.trim();
  if (given) return given.slice(0, 200);
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where the change came from.
  }
  return `${user}@${hostname()}`;
}
