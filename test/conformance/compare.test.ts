import { expect, it } from 'vitest';
import { ANY, differences, missing } from './compare.ts';

it('ignores key order in maps, as value.proto says', () => {
  expect(differences({ mapValue: { fields: { a: { intValue: '1' }, b: { stringValue: 'x' } } } }, { mapValue: { fields: { b: { stringValue: 'x' }, a: { intValue: '1' } } } })).toEqual([]);
});

it('compares int64 as exact digits: 2^53 + 1 is not 2^53', () => {
  expect(differences({ intValue: '9007199254740993' }, { intValue: '9007199254740992' })).toEqual(['$.intValue: expected "9007199254740993", got "9007199254740992"']);
});

it('tells an absent field from an empty one, and a missing key from an extra one', () => {
  expect(differences({}, { row: {} })).toEqual(['$.row: expected nothing, got {}']);
  expect(differences({ row: {} }, {})).toEqual(['$.row: expected an object, got nothing']);
  expect(differences([1, 2], [2, 1])).toEqual(['$[0]: expected 1, got 2', '$[1]: expected 2, got 1']);
});

it('lets $any match any present value, never an absent one', () => {
  expect(differences({ id: ANY }, { id: 'e-1' })).toEqual([]);
  expect(differences({ id: ANY }, {})).toEqual(['$.id: expected a value, got nothing']);
});

it('checks only the keys an expectation names with missing()', () => {
  expect(missing({ statement: '1' }, { statement: '1', sql: 'x' })).toEqual([]);
  expect(missing({ statement: '1' }, { statement: '0' })).toEqual(['$.statement: expected "1", got "0"']);
});

it('matches $zeros:<n> against exactly n zero bytes in base64', () => {
  expect(differences('$zeros:3', 'AAAA')).toEqual([]);
  expect(differences('$zeros:3', 'AAAB')).toEqual(['$: expected 3 zero bytes, got 3 bytes']);
  expect(differences('$zeros:4', 'AAAA')).toEqual(['$: expected 4 zero bytes, got 3 bytes']);
});
