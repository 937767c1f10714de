import type * as JsFix from 'jspurefix';
import { importOptionalPeer } from '../../optional-peer.js';

/** The jspurefix module, loaded on first use so importing `./fix` costs nothing until a session starts. */
export type JsFixModule = typeof JsFix;

let loading: Promise<JsFixModule> | undefined;

/**
 * Loads jspurefix (and `reflect-metadata`, which its dependency injection needs
 * before any of its classes load). Dictionary parsing is memoized by path: the
 * stock launcher re-parses the XML on every session (~0.7 s), which would make
 * each reconnect and each simulator start that much slower.
 */
export function loadJsFix(): Promise<JsFixModule> {
  loading ??= (async () => {
    const imported = await importOptionalPeer('the FIX adapter', ['jspurefix'], async () => {
      await import('reflect-metadata');
      return (await import('jspurefix')) as JsFixModule & { default?: JsFixModule };
    });
    const lib = imported.default ?? imported;
    const proto = lib.DefinitionFactory.prototype as {
      getDefinitions: (path: string, ...rest: unknown[]) => Promise<unknown>;
    };
    const original = proto.getDefinitions;
    const cache = new Map<string, Promise<unknown>>();
    proto.getDefinitions = function (this: unknown, path: string, ...rest: unknown[]) {
      let parsed = cache.get(path);
      if (!parsed) {
        parsed = original.call(this, path, ...rest);
        // A failed parse is not cached, so a corrected path can be tried again.
        parsed.catch(() => cache.delete(path));
        cache.set(path, parsed);
      }
      return parsed;
    };
    return lib;
  })();
  return loading;
}

/** The stock dictionary of a FIX version, or the custom QuickFIX XML path when one is configured. */
export function dictionaryFor(version: '4.2' | '4.4', custom?: string): string {
  if (custom) return custom;
  return version === '4.2' ? 'qf42' : 'qf44';
}
