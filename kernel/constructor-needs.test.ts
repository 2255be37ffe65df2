import { describe, expect, it } from 'vitest';
import { readConstructorNeeds } from './constructor-needs.ts';

describe('readConstructorNeeds', () => {
  it('reads the destructured tools, defaults marking optional ones', () => {
    class P {
      constructor({ http, db, logger = undefined }: { http: unknown; db: unknown; logger?: unknown }) {
        void [http, db, logger];
      }
    }
    expect(readConstructorNeeds(P)).toEqual([
      { tool: 'http', optional: false },
      { tool: 'db', optional: false },
      { tool: 'logger', optional: true },
    ]);
  });

  it('needs nothing without a constructor', () => {
    expect(readConstructorNeeds(class {})).toEqual([]);
  });

  it('is not fooled by a similar-looking string or method', () => {
    class P {
      label = 'constructor({ mailer })';
      constructor({ db }: { db: unknown }) {
        void db;
      }
      other({ state }: { state: unknown }) {
        return state;
      }
    }
    expect(readConstructorNeeds(P)).toEqual([{ tool: 'db', optional: false }]);
  });

  it('explains what is wrong with an undestructured parameter or ...rest', () => {
    class Whole {
      constructor(tools: unknown) {
        void tools;
      }
    }
    expect(readConstructorNeeds(Whole)).toMatch(/one destructured parameter/);
    class Rest {
      constructor({ db, ...rest }: Record<string, unknown>) {
        void [db, rest];
      }
    }
    expect(readConstructorNeeds(Rest)).toMatch(/\.\.\.rest/);
  });
});
