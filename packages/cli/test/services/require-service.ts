import { describe, it } from 'vitest';

/** The services the service suites run against, and the variable that says where each is. */
export const SERVICE_ENV = {
  kafka: 'TRADENOVA_KAFKA_BROKERS',
  postgres: 'TRADENOVA_PG_URL',
  redis: 'TRADENOVA_REDIS_URL',
} as const;

/** A service a suite needs. */
export type Service = keyof typeof SERVICE_ENV;

/** The one command that starts the services and runs these suites against them. */
export const RUN_SERVICES_COMMAND = 'bash scripts/services.sh run ./tn test packages/cli/test/services';

/** What to do with a suite: run it against `value`, skip it, or fail because CI requires it. */
export type ServiceGate =
  | { action: 'run'; value: string }
  | { action: 'skip'; message: string }
  | { action: 'fail'; message: string };

/** Decides from the environment; pure, so the rule itself is tested. */
export function serviceGate(service: Service, env: Record<string, string | undefined>): ServiceGate {
  const name = SERVICE_ENV[service];
  const value = env[name]?.trim();
  if (value) return { action: 'run', value };
  if (env.TRADENOVA_REQUIRE_SERVICES === '1' || env.TRADENOVA_REQUIRE_SERVICES === 'true') {
    return {
      action: 'fail',
      message: `${service}: ${name} is not set but TRADENOVA_REQUIRE_SERVICES is; CI must run every service suite (start them with: bash scripts/services.sh start)`,
    };
  }
  return {
    action: 'skip',
    message: `SKIPPED ${service} suites: ${name} is not set. To run them against real servers: ${RUN_SERVICES_COMMAND}`,
  };
}

const warned = new Set<Service>();

/**
 * `describe` for a suite that needs a real service. With its variable set the suite
 * runs and `body` gets the value; without it the suite is reported as skipped with a
 * loud message naming the command that runs it, unless TRADENOVA_REQUIRE_SERVICES=1
 * (CI), where the suite fails instead. A set variable pointing at a server that does
 * not answer fails in the suite's own hooks either way.
 */
export function describeWithService(service: Service, title: string, body: (value: string) => void): void {
  const gate = serviceGate(service, process.env);
  switch (gate.action) {
    case 'run':
      describe(title, () => body(gate.value));
      return;
    case 'fail':
      describe(title, () => {
        it(`needs ${SERVICE_ENV[service]}`, () => {
          throw new Error(gate.message);
        });
      });
      return;
    case 'skip':
      if (!warned.has(service)) {
        warned.add(service);
        console.warn(`\n\u001b[33m!!! ${gate.message}\u001b[0m\n`);
      }
      // Registered, not hidden: the tests show up as skipped in the count.
      describe.skip(title, () => body(''));
      return;
  }
}
